import { Anchor, Badge, Button, Code, Group, Select, SimpleGrid, Stack, Text, TextInput } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import { api } from "../../api/client";
import { unwrap } from "../../api/errors";
import { DataTable, type Column } from "../../components/DataTable";
import { RelativeTime } from "../../components/Time";
import { EventFilterFields } from "./EventFilterFields";
import {
  NO_FILTERS,
  formatDelta,
  hasPageFilters,
  narrowPage,
  toEventsQuery,
  type EngagementEvent,
  type EventFilters,
  type StatusFilter,
  type SuppressionFilter,
} from "./eventFilters";

const PAGE_SIZE = 50;

const COLUMNS: Column<EngagementEvent>[] = [
  { key: "timestamp", header: "Occurred", render: (event) => <RelativeTime value={event.timestamp} /> },
  { key: "event_type", header: "Type", render: (event) => <Code>{event.event_type}</Code> },
  {
    key: "lead_id",
    header: "Lead",
    render: (event) => (
      <Anchor component={Link} to={`/leads/${encodeURIComponent(event.lead_id)}`} size="sm">
        {event.lead_id}
      </Anchor>
    ),
  },
  { key: "channel", header: "Channel", render: (event) => event.channel },
  {
    key: "status",
    header: "Status",
    render: (event) =>
      event.suppression_reason ? (
        <Badge color="orange" variant="light" title={event.suppression_reason}>
          Suppressed: {event.suppression_reason}
        </Badge>
      ) : (
        <Badge color={event.status === "processed" ? "teal" : "gray"} variant="light">
          {event.status}
        </Badge>
      ),
  },
  { key: "score_delta", header: "Score Δ", align: "right", render: (event) => formatDelta(event.score_delta) },
];

function NoEventsYet() {
  const origin = window.location.origin;
  return (
    <Stack gap="xs" align="stretch" ta="left">
      <Text size="sm">Send your first event with an API credential (Settings → API credentials), or import a CSV:</Text>
      <Code block>{`curl -u CLIENT_ID:CLIENT_SECRET ${origin}/api/v1/events \\
  -H 'Content-Type: application/json' \\
  -d '{"lead_id": "lead-1", "event_type": "page_view"}'`}</Code>
    </Stack>
  );
}

export function EventsTab() {
  const [filters, setFilters] = useState<EventFilters>(NO_FILTERS);
  const [page, setPage] = useState(1);
  const [debouncedLead] = useDebouncedValue(filters.leadId, 300);
  const query = { ...toEventsQuery({ ...filters, leadId: debouncedLead }), page, limit: PAGE_SIZE };
  const update = (change: Partial<EventFilters>) => {
    setFilters((current) => ({ ...current, ...change }));
    setPage(1);
  };

  const events = useQuery({
    queryKey: ["/api/v1/events", query],
    queryFn: async () => {
      const call = api.GET("/api/v1/events", { params: { query } });
      const rows = await unwrap(call);
      const total = Number((await call).response.headers.get("X-Total-Count") ?? rows.length);
      return { rows, total };
    },
    placeholderData: keepPreviousData,
  });

  const rows = events.data ? narrowPage(events.data.rows, filters) : undefined;
  const filtered = JSON.stringify(filters) !== JSON.stringify(NO_FILTERS);

  return (
    <Stack gap="md">
      <SimpleGrid cols={{ base: 1, sm: 2, lg: 4 }} spacing="sm">
        <EventFilterFields filters={filters} update={update} />
        <TextInput type="datetime-local" label="Until" value={filters.until} onChange={(event) => update({ until: event.currentTarget.value })} />
        <Select
          label="Status"
          data={[
            { value: "any", label: "Any status" },
            { value: "processed", label: "Scored" },
            { value: "pending", label: "Pending (not scored yet)" },
          ]}
          value={filters.status}
          onChange={(status) => update({ status: (status ?? "any") as StatusFilter })}
          allowDeselect={false}
        />
        <Select
          label="Suppression"
          data={[
            { value: "any", label: "Suppressed or not" },
            { value: "suppressed", label: "Suppressed only" },
            { value: "counted", label: "Not suppressed" },
          ]}
          value={filters.suppression}
          onChange={(suppression) => update({ suppression: (suppression ?? "any") as SuppressionFilter })}
          allowDeselect={false}
        />
        <Group align="flex-end">
          <Button variant="default" onClick={() => update(NO_FILTERS)} disabled={!filtered}>
            Clear filters
          </Button>
        </Group>
      </SimpleGrid>
      {hasPageFilters(filters) && rows && events.data && (
        <Text size="sm" c="dimmed" role="status">
          Status, suppression and “Until” narrow this page: {rows.length} of its {events.data.rows.length} events match.
        </Text>
      )}
      <DataTable
        caption="Events"
        columns={COLUMNS}
        rows={rows}
        rowKey={(event) => event.id}
        isLoading={events.isPending}
        error={events.error}
        onRetry={() => void events.refetch()}
        empty={
          filtered
            ? { title: "No events match these filters", description: "Widen the filters or clear them.", action: <Button variant="light" onClick={() => update(NO_FILTERS)}>Clear filters</Button> }
            : { title: "No events yet", description: <NoEventsYet /> }
        }
        page={page}
        pageSize={PAGE_SIZE}
        total={events.data?.total}
        onPageChange={setPage}
      />
    </Stack>
  );
}
