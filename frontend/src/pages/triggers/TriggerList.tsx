import { Badge, Menu, SegmentedControl, Stack, Text } from "@mantine/core";
import { useQueries } from "@tanstack/react-query";
import { useState } from "react";
import { useNavigate } from "react-router";
import { DataTable, type Column } from "../../components/DataTable";
import { LIST_PATH, listTriggers } from "./triggerApi";
import { KIND_INFO, TRIGGER_KINDS, describeCondition, describeDestinations, type TriggerKind, type TriggerOutput } from "./triggerForm";
import { WriteButton } from "../../components/WriteButton";
import { useCan } from "../../auth/SessionContext";

interface Row {
  kind: TriggerKind;
  trigger: TriggerOutput;
}

const COLUMNS: Column<Row>[] = [
  {
    key: "name",
    header: "Trigger",
    render: ({ trigger }) => (
      <Text size="sm" fw={600}>
        {trigger.name || trigger.trigger_id}
      </Text>
    ),
  },
  { key: "kind", header: "Kind", render: ({ kind }) => <Badge variant="light">{KIND_INFO[kind].label}</Badge> },
  { key: "condition", header: "Fires when", render: ({ kind, trigger }) => <Text size="sm">{describeCondition(kind, trigger)}</Text> },
  { key: "destinations", header: "Sends to", render: ({ trigger }) => <Text size="sm">{describeDestinations(trigger)}</Text> },
  {
    key: "active",
    header: "Status",
    render: ({ trigger }) =>
      trigger.webhook_disabled_at ? (
        <Badge color="red" variant="light" title="The webhook receiver answered 410 Gone: save the trigger again to resume">
          Webhook off
        </Badge>
      ) : (
        <Badge color={trigger.active ? "teal" : "gray"} variant="light">
          {trigger.active ? "Active" : "Inactive"}
        </Badge>
      ),
  },
];

/** "New trigger" with the kind to create. */
export function NewTriggerMenu() {
  const navigate = useNavigate();
  // Menu.Target needs an element: a member who may not write gets no menu at all.
  if (!useCan("write")) return null;
  return (
    <Menu position="bottom-end" withinPortal>
      <Menu.Target>
        <WriteButton>New trigger</WriteButton>
      </Menu.Target>
      <Menu.Dropdown>
        {TRIGGER_KINDS.map((kind) => (
          <Menu.Item key={kind} onClick={() => void navigate(`/triggers/new/${kind}`)}>
            <Text size="sm" fw={600}>
              {KIND_INFO[kind].label}
            </Text>
            <Text size="xs" c="dimmed">
              {KIND_INFO[kind].summary}
            </Text>
          </Menu.Item>
        ))}
      </Menu.Dropdown>
    </Menu>
  );
}

export function TriggerList() {
  const navigate = useNavigate();
  const [kindFilter, setKindFilter] = useState<TriggerKind | "all">("all");
  const lists = useQueries({
    queries: TRIGGER_KINDS.map((kind) => ({ queryKey: [LIST_PATH[kind]], queryFn: () => listTriggers(kind) })),
  });
  const rows = lists.every((list) => list.data)
    ? TRIGGER_KINDS.flatMap((kind, index) => (lists[index]?.data ?? []).map((trigger) => ({ kind, trigger }))).filter((row) => kindFilter === "all" || row.kind === kindFilter)
    : undefined;
  const error = lists.find((list) => list.error)?.error;
  return (
    <Stack gap="sm">
      <SegmentedControl
        aria-label="Kind of trigger"
        value={kindFilter}
        onChange={(value) => setKindFilter(value as TriggerKind | "all")}
        data={[{ value: "all", label: "All kinds" }, ...TRIGGER_KINDS.map((kind) => ({ value: kind, label: KIND_INFO[kind].label }))]}
        style={{ alignSelf: "flex-start" }}
      />
      <DataTable
        caption="Triggers"
        columns={COLUMNS}
        rows={rows}
        rowKey={({ trigger }) => trigger.trigger_id}
        isLoading={lists.some((list) => list.isLoading)}
        error={error}
        onRetry={() => lists.forEach((list) => void list.refetch())}
        onRowClick={({ kind, trigger }) => void navigate(`/triggers/${kind}/${trigger.trigger_id}`)}
        empty={{
          title: kindFilter === "all" ? "No triggers yet" : `No ${KIND_INFO[kindFilter].label.toLowerCase()} triggers yet`,
          description: "A trigger tells your team (webhook, email, Slack, Teams) when a lead gets hot: crosses a score, completes a sequence, surges or enters a segment.",
          action: <NewTriggerMenu />,
        }}
      />
    </Stack>
  );
}
