/**
 * A lead's events as a virtualized list (only the rows in view are in the DOM, so 10,000
 * events scroll like 10) with the selected event's scoring explained beside it. Keyboard:
 * the list is one tab stop; arrows, Home and End move the selection.
 */
import { Alert, Badge, Code, Grid, Group, Paper, ScrollArea, Skeleton, Stack, Table, Text, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useVirtualizer } from "@tanstack/react-virtual";
import { useEffect, useRef, useState, type KeyboardEvent } from "react";
import { api } from "../../api/client";
import { toFormError, unwrap } from "../../api/errors";
import { formatDateTime } from "../../components/time";
import { suppressionLabel } from "./ScoreHistoryChart";
import type { LeadEvent } from "./useLeadEventHistory";

const ROW_HEIGHT = 52;
const LIST_HEIGHT = 460;

function DeltaBadge({ event }: { event: LeadEvent }) {
  if (event.suppression_reason) return <Badge color="gray" variant="outline">suppressed</Badge>;
  if (event.score_delta === null) return <Badge color="gray" variant="light">pending</Badge>;
  const delta = event.score_delta;
  const color = delta > 0 ? "green" : delta < 0 ? (event.event_type === "DECAY" ? "orange" : "red") : "gray";
  return (
    <Badge color={color} variant="light" miw={52}>
      {delta > 0 ? `+${delta}` : delta}
    </Badge>
  );
}

function EventExplanation({ event }: { event: LeadEvent }) {
  const explain = useQuery({
    queryKey: [`/api/v1/events/${event.id}/explain`],
    queryFn: () => unwrap(api.GET("/api/v1/events/{event_id}/explain", { params: { path: { event_id: event.id } } })),
  });
  return (
    <Paper withBorder p="md" aria-live="polite" data-testid="event-explanation">
      <Stack gap="sm">
        <div>
          <Title order={4}>{event.event_type}</Title>
          <Text size="sm" c="dimmed">
            {formatDateTime(event.timestamp)} · {event.channel} · from {event.source} · {event.id}
          </Text>
        </div>
        {event.suppression_reason && (
          <Alert color="gray" title="Not scored">
            Suppressed: {suppressionLabel(event.suppression_reason)}. The event is kept for the audit trail.
          </Alert>
        )}
        {explain.isPending && <Skeleton height={80} />}
        {explain.error && (
          <Alert color="red" role="alert" title="Could not explain this event">
            {toFormError(explain.error).message}
          </Alert>
        )}
        {explain.data && explain.data.rulesets.length === 0 && !event.suppression_reason && (
          <Text size="sm" c="dimmed">
            {explain.data.status === "pending" ? "Not scored yet." : "No rule matched this event in any ruleset."}
          </Text>
        )}
        {explain.data && explain.data.rulesets.length > 0 && (
          <Table fz="sm" withTableBorder>
            <Table.Caption style={{ captionSide: "top", textAlign: "left" }}>How each ruleset scored it</Table.Caption>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Ruleset</Table.Th>
                <Table.Th>Rule</Table.Th>
                <Table.Th ta="right">Weight</Table.Th>
                <Table.Th ta="right">×</Table.Th>
                <Table.Th ta="right">Delta</Table.Th>
                <Table.Th ta="right">Score</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {explain.data.rulesets.map((score) => (
                <Table.Tr key={`${score.ruleset_id}-${score.kind}`}>
                  <Table.Td>{score.ruleset_name}</Table.Td>
                  <Table.Td>{score.kind === "rule" ? score.rule_ids.join(", ") || "—" : score.kind}</Table.Td>
                  <Table.Td ta="right">{score.weight}</Table.Td>
                  <Table.Td ta="right">{score.multiplier}</Table.Td>
                  <Table.Td ta="right">{score.delta > 0 ? `+${score.delta}` : score.delta}</Table.Td>
                  <Table.Td ta="right">
                    {score.before} → {score.after}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
        {Object.keys(event.metadata).length > 0 && (
          <Code block aria-label="Event metadata">
            {JSON.stringify(event.metadata, null, 2)}
          </Code>
        )}
      </Stack>
    </Paper>
  );
}

/** `total`: the events the lead has; `events` may hold only the newest while older pages load. */
export function EventTimeline({ events, total, loading }: { events: readonly LeadEvent[]; total: number; loading: boolean }) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const [selected, setSelected] = useState(0);
  const virtualizer = useVirtualizer({
    count: events.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 8,
  });
  const selectedEvent = events[Math.min(selected, events.length - 1)];

  useEffect(() => {
    if (selected >= events.length && events.length > 0) setSelected(events.length - 1);
  }, [events.length, selected]);

  const select = (index: number) => {
    const bounded = Math.max(0, Math.min(events.length - 1, index));
    setSelected(bounded);
    virtualizer.scrollToIndex(bounded, { align: "auto" });
  };
  const onKeyDown = (event: KeyboardEvent) => {
    const page = Math.floor(LIST_HEIGHT / ROW_HEIGHT);
    const moves: Record<string, number> = { ArrowDown: selected + 1, ArrowUp: selected - 1, PageDown: selected + page, PageUp: selected - page, Home: 0, End: events.length - 1 };
    const target = moves[event.key];
    if (target === undefined) return;
    event.preventDefault();
    select(target);
  };

  if (loading) return <Skeleton height={LIST_HEIGHT} />;
  if (events.length === 0) {
    return (
      <Text c="dimmed" size="sm">
        No events for this lead yet. Events sent with its id or one of its aliases appear here as they arrive.
      </Text>
    );
  }

  return (
    <Grid>
      <Grid.Col span={{ base: 12, md: 6 }}>
        <ScrollArea.Autosize mah={LIST_HEIGHT} viewportRef={scrollRef} type="auto">
          <div
            role="listbox"
            aria-label={`Events, newest first (${total.toLocaleString()})`}
            tabIndex={0}
            aria-activedescendant={selectedEvent ? `timeline-${selectedEvent.id}` : undefined}
            onKeyDown={onKeyDown}
            data-testid="event-timeline"
            style={{ height: virtualizer.getTotalSize(), position: "relative", outlineOffset: -2 }}
          >
            {virtualizer.getVirtualItems().map((item) => {
              const event = events[item.index]!;
              const isSelected = item.index === selected;
              return (
                <div
                  key={event.id}
                  id={`timeline-${event.id}`}
                  role="option"
                  aria-selected={isSelected}
                  onClick={() => setSelected(item.index)}
                  style={{
                    position: "absolute",
                    top: 0,
                    left: 0,
                    right: 0,
                    height: ROW_HEIGHT,
                    transform: `translateY(${item.start}px)`,
                    cursor: "pointer",
                    padding: "6px 10px",
                    borderBottom: "1px solid var(--mantine-color-gray-2)",
                    background: isSelected ? "var(--mantine-color-indigo-0)" : undefined,
                  }}
                >
                  <Group justify="space-between" wrap="nowrap" gap="xs">
                    <Stack gap={0} style={{ minWidth: 0 }}>
                      <Text size="sm" fw={500} truncate>
                        {event.event_type}
                      </Text>
                      <Text size="xs" c="dimmed">
                        {formatDateTime(event.timestamp)} · {event.channel}
                      </Text>
                    </Stack>
                    <DeltaBadge event={event} />
                  </Group>
                </div>
              );
            })}
          </div>
        </ScrollArea.Autosize>
      </Grid.Col>
      <Grid.Col span={{ base: 12, md: 6 }}>{selectedEvent && <EventExplanation key={selectedEvent.id} event={selectedEvent} />}</Grid.Col>
    </Grid>
  );
}
