/**
 * One trigger: what makes it fire and where it sends, a simulation over past events (kinds with
 * a simulate route), its firings and its deliveries; edit and delete for those who may write.
 */
import { Alert, Anchor, Badge, Button, Card, Group, NumberInput, SimpleGrid, Stack, Tabs, Text, TextInput, Title } from "@mantine/core";
import { useForm } from "@mantine/form";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useNavigate } from "react-router";
import { toFormError } from "../../api/errors";
import { invalidatePaths } from "../../api/queryClient";
import type { components } from "../../api/schema";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { DataTable, type Column } from "../../components/DataTable";
import { applyApiErrors } from "../../components/formErrors";
import { PageHeader } from "../../components/PageHeader";
import { RelativeTime } from "../../components/Time";
import { WriteButton } from "../../components/WriteButton";
import { Deliveries } from "./Deliveries";
import { LIST_PATH, deleteTrigger, listFirings, simulateTrigger } from "./triggerApi";
import { KIND_INFO, describeCondition, describeDestinations, type TriggerKind, type TriggerOutput } from "./triggerForm";
import { useTrigger } from "./useTrigger";

type Firing = components["schemas"]["FiringOutput"];

const PAGE_SIZE = 50;

const leadLink = (leadId: string) => (
  <Anchor component={Link} to={`/leads/${encodeURIComponent(leadId)}`} size="sm">
    {leadId}
  </Anchor>
);

const FIRING_COLUMNS: Column<Firing>[] = [
  { key: "created_at", header: "Fired", render: (firing) => <RelativeTime value={firing.created_at} /> },
  { key: "lead_id", header: "Lead", render: (firing) => leadLink(firing.lead_id) },
  { key: "event_type", header: "Event", render: (firing) => firing.event_type || "membership change" },
  { key: "score", header: "Score", align: "right", render: (firing) => firing.score ?? "—" },
  {
    key: "deliveries",
    header: "Deliveries",
    render: ({ deliveries }) => {
      const counts = Object.entries(deliveries).filter(([, count]) => count > 0);
      return counts.length ? (
        <Group gap={4}>
          {counts.map(([status, count]) => (
            <Badge key={status} size="sm" variant="light" color={status === "delivered" ? "teal" : status === "failed" ? "red" : "gray"}>
              {count} {status}
            </Badge>
          ))}
        </Group>
      ) : (
        "—"
      );
    },
  },
];

function Simulate({ kind, trigger }: { kind: TriggerKind; trigger: TriggerOutput }) {
  const form = useForm({ initialValues: { lead_id: "", days: 30 as number | "" } });
  const simulation = useMutation({
    mutationFn: (values: { lead_id: string; days: number | "" }) =>
      simulateTrigger(kind, trigger.trigger_id, { days: values.days === "" ? 30 : values.days, ...(values.lead_id.trim() ? { lead_id: values.lead_id.trim() } : {}) }) ?? Promise.reject(new Error("This kind cannot be simulated.")),
    onError: (error) => applyApiErrors(form, error),
  });
  return (
    <Stack gap="md" maw={760}>
      <Text size="sm" c="dimmed">
        Replays the past days' events against this trigger without sending anything: would it have fired, and for whom?
      </Text>
      <form onSubmit={form.onSubmit((values) => simulation.mutate(values))} noValidate>
        <Group align="flex-start">
          <NumberInput label="Days to look back" min={1} allowDecimal={false} w={170} {...form.getInputProps("days")} />
          <TextInput label="Lead" placeholder="Every lead active in the period" description="Test one lead only" w={280} {...form.getInputProps("lead_id")} />
          <Button type="submit" mt={25} loading={simulation.isPending}>
            Simulate
          </Button>
        </Group>
      </form>
      {simulation.error && !Object.keys(toFormError(simulation.error).fieldErrors).length && (
        <Alert color="red" title="Simulation failed">
          {toFormError(simulation.error).message}
        </Alert>
      )}
      {simulation.data && (
        <Card withBorder aria-live="polite">
          <Stack gap="xs">
            <Group gap="xs">
              <Badge color={simulation.data.would_fire ? "teal" : "gray"} size="lg" variant="light">
                {simulation.data.would_fire ? "Would fire" : "Would not fire"}
              </Badge>
              <Text size="sm">
                {simulation.data.total_matches.toLocaleString()} firing{simulation.data.total_matches === 1 ? "" : "s"} over all leads
              </Text>
            </Group>
            {simulation.data.message && <Text size="sm">{simulation.data.message}</Text>}
            {simulation.data.matched_leads.length > 0 && (
              <Group gap={6}>
                {simulation.data.matched_leads.map((leadId) => (
                  <span key={leadId}>{leadLink(leadId)}</span>
                ))}
              </Group>
            )}
          </Stack>
        </Card>
      )}
    </Stack>
  );
}

function Firings({ kind, trigger }: { kind: TriggerKind; trigger: TriggerOutput }) {
  const [page, setPage] = useState(1);
  const query = { trigger_id: trigger.trigger_id, page, limit: PAGE_SIZE };
  const firings = useQuery({
    queryKey: [`${LIST_PATH[kind]}/events`, query],
    queryFn: () => listFirings(kind, query) ?? Promise.resolve({ rows: [], total: 0 }),
    placeholderData: keepPreviousData,
    refetchInterval: 10_000,
  });
  return (
    <DataTable
      caption="Firings"
      columns={FIRING_COLUMNS}
      rows={firings.data?.rows}
      rowKey={(firing) => firing.id}
      isLoading={firings.isLoading}
      error={firings.error}
      onRetry={() => void firings.refetch()}
      page={page}
      pageSize={PAGE_SIZE}
      total={firings.data?.total}
      onPageChange={setPage}
      empty={{ title: "It has not fired yet", description: trigger.active ? "Each time it fires for a lead, the firing and its deliveries show here." : "It is inactive: activate it to let it fire." }}
    />
  );
}

function Summary({ kind, trigger }: { kind: TriggerKind; trigger: TriggerOutput }) {
  return (
    <SimpleGrid cols={{ base: 1, sm: 3 }}>
      <Card withBorder>
        <Text size="xs" c="dimmed" tt="uppercase" fw={700}>
          Fires when
        </Text>
        <Text size="sm">{describeCondition(kind, trigger)}</Text>
      </Card>
      <Card withBorder>
        <Text size="xs" c="dimmed" tt="uppercase" fw={700}>
          Sends to
        </Text>
        <Text size="sm">{describeDestinations(trigger)}</Text>
        {trigger.webhook_disabled_at && (
          <Text size="xs" c="red">
            Webhook off since <RelativeTime value={trigger.webhook_disabled_at} /> (the receiver answered 410 Gone); save the trigger to resume.
          </Text>
        )}
      </Card>
      <Card withBorder>
        <Text size="xs" c="dimmed" tt="uppercase" fw={700}>
          Status
        </Text>
        <Text size="sm">
          {trigger.active ? "Active" : "Inactive"} · updated <RelativeTime value={trigger.updated_at} />
        </Text>
      </Card>
    </SimpleGrid>
  );
}

export function TriggerDetail() {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const { found, placeholder } = useTrigger();
  const [confirmDelete, setConfirmDelete] = useState(false);
  const remove = useMutation({
    mutationFn: ({ kind, triggerId }: { kind: TriggerKind; triggerId: string }) => deleteTrigger(kind, triggerId),
    onSuccess: async (_, { kind }) => {
      await invalidatePaths(queryClient, [LIST_PATH[kind]]);
      void navigate("/triggers");
    },
  });
  if (!found) return placeholder;
  const { kind, trigger } = found;
  const info = KIND_INFO[kind];
  return (
    <>
      <PageHeader
        title={trigger.name || trigger.trigger_id}
        description={
          <>
            <Badge variant="light" mr={6}>
              {info.label}
            </Badge>
            {trigger.description || info.summary}
          </>
        }
        actions={
          <>
            <WriteButton variant="default" onClick={() => void navigate(`/triggers/${kind}/${trigger.trigger_id}/edit`)}>
              Edit
            </WriteButton>
            <WriteButton color="red" variant="light" onClick={() => setConfirmDelete(true)}>
              Delete
            </WriteButton>
          </>
        }
      />
      <Stack gap="md">
        <Summary kind={kind} trigger={trigger} />
        <Tabs defaultValue={info.listsFirings ? "firings" : "deliveries"} keepMounted={false}>
          <Tabs.List aria-label="Trigger views">
            {info.listsFirings && <Tabs.Tab value="firings">Firings</Tabs.Tab>}
            <Tabs.Tab value="deliveries">Deliveries</Tabs.Tab>
            {info.simulates && <Tabs.Tab value="simulate">Simulate</Tabs.Tab>}
          </Tabs.List>
          {info.listsFirings && (
            <Tabs.Panel value="firings" pt="md">
              <Firings kind={kind} trigger={trigger} />
            </Tabs.Panel>
          )}
          <Tabs.Panel value="deliveries" pt="md">
            <Title order={4} className="visually-hidden">
              Deliveries
            </Title>
            <Deliveries triggerId={trigger.trigger_id} />
          </Tabs.Panel>
          {info.simulates && (
            <Tabs.Panel value="simulate" pt="md">
              <Simulate kind={kind} trigger={trigger} />
            </Tabs.Panel>
          )}
        </Tabs>
      </Stack>
      <ConfirmDialog
        opened={confirmDelete}
        title={`Delete ${trigger.name || trigger.trigger_id}?`}
        confirmLabel="Delete trigger"
        destructive
        loading={remove.isPending}
        onConfirm={() => remove.mutate({ kind, triggerId: trigger.trigger_id })}
        onCancel={() => setConfirmDelete(false)}
      >
        It stops firing at once.
        {remove.error ? <Text c="red">{toFormError(remove.error).message}</Text> : null}
      </ConfirmDialog>
    </>
  );
}
