/**
 * Event types of the OU: hide one (out of lists and analytics, new events not scored), cap
 * how far its events go (observe / decide / activate), or delete all its events after a dry
 * run shows how many events and event scores would go.
 */
import { Badge, Group, Select, Stack, Switch, Text } from "@mantine/core";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { api } from "../../api/client";
import { toFormError, unwrap } from "../../api/errors";
import { useCan } from "../../auth/SessionContext";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { DataTable, type Column } from "../../components/DataTable";
import { WriteButton } from "../../components/WriteButton";
import { notifyFailure, useAfterChange, type Schemas } from "./shared";

type EventTypeSetting = Schemas["EventTypeSettingOutput"];
type Scope = Schemas["MaxProcessingScopeEnum"];

const EVENT_TYPES = "/api/v1/settings/event-types";
const SCOPES: { value: Scope; label: string }[] = [
  { value: "observe", label: "Observe: stored only" },
  { value: "decide", label: "Decide: scored, no triggers" },
  { value: "activate", label: "Activate: scored and triggers" },
];

export function EventTypesTab() {
  const eventTypes = useQuery({ queryKey: [EVENT_TYPES], queryFn: () => unwrap(api.GET(EVENT_TYPES)) });
  const canWrite = useCan("write");
  const afterChange = useAfterChange();
  const [deleting, setDeleting] = useState<string | null>(null);
  const update = useMutation({
    mutationFn: ({ eventType, body }: { eventType: string; body: Schemas["EventTypeSettingInputRequest"] }) =>
      unwrap(api.PUT("/api/v1/settings/event-types/{event_type}", { params: { path: { event_type: eventType } }, body })),
    onSuccess: (setting) => afterChange([EVENT_TYPES], `“${setting.event_type}” updated.`),
    onError: (error) => notifyFailure("Not changed", error),
  });
  const columns: Column<EventTypeSetting>[] = [
    { key: "event_type", header: "Event type", render: (row) => <Group gap="xs"><Text size="sm" ff="monospace">{row.event_type}</Text>{row.hidden && <Badge color="gray" size="sm">Hidden</Badge>}</Group> },
    { key: "events_count", header: "Events", align: "right", render: (row) => row.events_count.toLocaleString() },
    {
      key: "hidden",
      header: "Hidden",
      render: (row) =>
        canWrite ? (
          <Switch checked={row.hidden} onChange={() => update.mutate({ eventType: row.event_type, body: { hidden: !row.hidden } })} aria-label={`Hide ${row.event_type}`} data-write-control="" />
        ) : (
          <Text size="sm">{row.hidden ? "Yes" : "No"}</Text>
        ),
    },
    {
      key: "scope",
      header: "Processing",
      render: (row) =>
        canWrite ? (
          <Select
            data={SCOPES}
            value={row.max_processing_scope}
            allowDeselect={false}
            onChange={(value) => value && update.mutate({ eventType: row.event_type, body: { max_processing_scope: value as Scope } })}
            aria-label={`Processing of ${row.event_type}`}
            data-write-control=""
            w={250}
          />
        ) : (
          <Text size="sm">{SCOPES.find((scope) => scope.value === row.max_processing_scope)?.label}</Text>
        ),
    },
    {
      key: "actions",
      header: <span className="visually-hidden">Actions</span>,
      align: "right",
      render: (row) => (
        <WriteButton size="xs" variant="subtle" color="red" onClick={() => setDeleting(row.event_type)} disabled={row.events_count === 0} aria-label={`Delete events of ${row.event_type}`}>
          Delete events…
        </WriteButton>
      ),
    },
  ];
  return (
    <Stack>
      <Text size="sm" c="dimmed">
        Every event type this OU has received. Hide noise, hold a new type at “observe” until its rules are ready, or delete a type’s events.
      </Text>
      <DataTable
        caption="Event types"
        columns={columns}
        rows={eventTypes.data}
        rowKey={(row) => row.event_type}
        isLoading={eventTypes.isPending}
        error={eventTypes.error}
        onRetry={() => void eventTypes.refetch()}
        empty={{
          title: "No events yet",
          description: (
            <>
              Event types appear here as events arrive. Send one with <code>POST /api/v1/events</code> (see Data → Import for CSV files).
            </>
          ),
        }}
      />
      {deleting !== null && <DeleteEventsDialog eventType={deleting} onClose={() => setDeleting(null)} />}
    </Stack>
  );
}

function DeleteEventsDialog({ eventType, onClose }: { eventType: string; onClose: () => void }) {
  const afterChange = useAfterChange();
  const preview = useQuery({
    queryKey: ["/api/v1/settings/event-types/{event_type}/delete-preview", eventType],
    queryFn: () => unwrap(api.GET("/api/v1/settings/event-types/{event_type}/delete-preview", { params: { path: { event_type: eventType } } })),
    staleTime: 0,
  });
  const remove = useMutation({
    mutationFn: () => unwrap(api.DELETE("/api/v1/settings/event-types/{event_type}/events", { params: { path: { event_type: eventType } } })),
    onSuccess: async () => {
      await afterChange([EVENT_TYPES, "/api/v1/events", "/api/v1/analytics"], `Events of “${eventType}” deleted. Rescore to update lead scores.`);
      onClose();
    },
    onError: (error) => notifyFailure("Not deleted", error),
  });
  return (
    <ConfirmDialog opened title={`Delete all “${eventType}” events?`} confirmLabel="Delete events" destructive loading={remove.isPending || preview.isPending} onConfirm={() => remove.mutate()} onCancel={onClose}>
      {preview.error ? (
        <Text c="red" size="sm">
          {toFormError(preview.error).message}
        </Text>
      ) : preview.data ? (
        <>
          This deletes <strong>{preview.data.events_count.toLocaleString()} events</strong> and <strong>{preview.data.event_scores_count.toLocaleString()} event scores</strong> in this OU. It cannot be undone. Lead scores stay as they are until you rescore.
        </>
      ) : (
        "Counting what would be deleted…"
      )}
    </ConfirmDialog>
  );
}
