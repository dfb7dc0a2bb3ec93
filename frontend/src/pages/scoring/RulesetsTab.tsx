/**
 * Rulesets and their rules. The selected ruleset lives in the query string (`?ruleset=rs_1`)
 * so a link opens it; without one the primary ruleset is shown. A rescore replays every lead
 * under the current configuration; its job's progress is polled until it finishes.
 */
import { ActionIcon, Alert, Autocomplete, Badge, Card, Group, Menu, NavLink, NumberInput, Progress, Skeleton, Stack, Switch, Text, TextInput, Title } from "@mantine/core";
import { useForm } from "@mantine/form";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useSearchParams } from "react-router";
import { api } from "../../api/client";
import { toFormError, unwrap } from "../../api/errors";
import { useCan } from "../../auth/SessionContext";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { DataTable, type Column } from "../../components/DataTable";
import { applyApiErrors } from "../../components/formErrors";
import { formatDateTime, userTimeZone } from "../../components/time";
import { isJobFinished, useJobProgress } from "../../components/useJobProgress";
import { WriteButton } from "../../components/WriteButton";
import { fromLocalInput, toLocalInput } from "./scoringForms";
import { FormModal, notifyFailure, useAfterChange, useEditing, type Schemas } from "./shared";

type Ruleset = Schemas["RulesetOutput"];
type Rule = Schemas["RuleOutput"];
type RescoreJob = Schemas["RescoreJobOut"];

const RULESETS = "/api/v1/rulesets";
const RULES = "/api/v1/rules";

export function RulesetsTab() {
  const [searchParams, setSearchParams] = useSearchParams();
  const rulesets = useQuery({ queryKey: [RULESETS], queryFn: () => unwrap(api.GET(RULESETS)) });
  const { editing, setEditing, close } = useEditing<Ruleset>();
  const list = rulesets.data ?? [];
  const selected = list.find((ruleset) => ruleset.ruleset_id === searchParams.get("ruleset")) ?? list.find((ruleset) => ruleset.is_primary) ?? list[0];
  const newRulesetButton = <WriteButton onClick={() => setEditing("new")}>New ruleset</WriteButton>;

  return (
    <Stack>
      <Group justify="space-between">
        <Text size="sm" c="dimmed" maw={640}>
          A ruleset turns events into a score: each rule adds its weight to every event of its type. The primary ruleset’s score sets levels and the default sort of leads.
        </Text>
        {newRulesetButton}
      </Group>
      {rulesets.error ? (
        <DataTable caption="Rulesets" columns={[]} rows={undefined} rowKey={() => ""} isLoading={false} error={rulesets.error} onRetry={() => void rulesets.refetch()} empty={{ title: "" }} />
      ) : rulesets.isPending ? (
        <Skeleton height={160} />
      ) : list.length === 0 ? (
        <Card withBorder py="xl">
          <Stack align="center" gap="xs" ta="center">
            <Text fw={600}>No rulesets yet</Text>
            <Text size="sm" c="dimmed" maw={480}>
              Create a ruleset, then add a rule per event type (for example “page_view” worth 1 point, “demo_request” worth 50). Events already stored are scored when you rescore.
            </Text>
            {newRulesetButton}
          </Stack>
        </Card>
      ) : (
        <Group align="flex-start" wrap="nowrap" gap="lg">
          <Card withBorder p="xs" w={260} component="nav" aria-label="Rulesets">
            {list.map((ruleset) => (
              <NavLink
                key={ruleset.ruleset_id}
                active={ruleset.ruleset_id === selected?.ruleset_id}
                label={ruleset.name}
                description={ruleset.active ? undefined : "Inactive"}
                rightSection={ruleset.is_primary ? <Badge size="xs">Primary</Badge> : null}
                onClick={() => setSearchParams({ ruleset: ruleset.ruleset_id })}
                aria-current={ruleset.ruleset_id === selected?.ruleset_id ? "page" : undefined}
              />
            ))}
          </Card>
          {selected && <RulesetDetail key={selected.ruleset_id} ruleset={selected} onEdit={() => setEditing(selected)} />}
        </Group>
      )}
      {editing !== null && <RulesetFormModal ruleset={editing === "new" ? null : editing} onClose={close} onSaved={(id) => setSearchParams({ ruleset: id })} />}
    </Stack>
  );
}

function RulesetDetail({ ruleset, onEdit }: { ruleset: Ruleset; onEdit: () => void }) {
  const canWrite = useCan("write");
  const afterChange = useAfterChange();
  const [confirming, setConfirming] = useState<"delete" | "rescore" | null>(null);
  const [rescoreStarted, setRescoreStarted] = useState(false);
  const update = useMutation({
    mutationFn: (body: Schemas["PatchedRulesetInputRequest"]) => unwrap(api.PUT("/api/v1/rulesets/{ruleset_id}", { params: { path: { ruleset_id: ruleset.ruleset_id } }, body })),
    onSuccess: () => afterChange([RULESETS], `“${ruleset.name}” updated.`),
    onError: (error) => notifyFailure("Not changed", error),
  });
  const remove = useMutation({
    mutationFn: () => unwrap(api.DELETE("/api/v1/rulesets/{ruleset_id}", { params: { path: { ruleset_id: ruleset.ruleset_id } } })),
    onSuccess: () => afterChange([RULESETS, RULES], `“${ruleset.name}” deleted.`),
    onError: (error) => notifyFailure("Not deleted", error),
    onSettled: () => setConfirming(null),
  });
  const rescore = useMutation({
    mutationFn: () => unwrap(api.POST("/api/v1/rulesets/{ruleset_id}/rescore", { params: { path: { ruleset_id: ruleset.ruleset_id } } })),
    onSuccess: () => setRescoreStarted(true),
    onError: (error) => notifyFailure("Rescore not started", error),
    onSettled: () => setConfirming(null),
  });

  return (
    <Stack flex={1} miw={0}>
      <Group justify="space-between" align="flex-start">
        <Stack gap={4}>
          <Group gap="xs">
            <Title order={3}>{ruleset.name}</Title>
            {ruleset.is_primary && <Badge>Primary</Badge>}
            {!ruleset.active && <Badge color="gray">Inactive</Badge>}
          </Group>
          <Text size="xs" c="dimmed">
            Score column <code>{ruleset.score_column}</code> · updated {formatDateTime(ruleset.updated_at)}
          </Text>
        </Stack>
        {canWrite && (
          <Group gap="xs">
            <WriteButton variant="light" onClick={() => setConfirming("rescore")} loading={rescore.isPending}>
              Rescore
            </WriteButton>
            <Menu position="bottom-end">
              <Menu.Target>
                <ActionIcon variant="default" size="lg" aria-label={`More actions for ${ruleset.name}`} data-write-control="">
                  ⋯
                </ActionIcon>
              </Menu.Target>
              <Menu.Dropdown>
                <Menu.Item onClick={onEdit}>Rename…</Menu.Item>
                {!ruleset.is_primary && <Menu.Item onClick={() => update.mutate({ is_primary: true })}>Make primary</Menu.Item>}
                <Menu.Item onClick={() => update.mutate({ active: !ruleset.active })}>{ruleset.active ? "Deactivate" : "Activate"}</Menu.Item>
                <Menu.Divider />
                <Menu.Item color="red" onClick={() => setConfirming("delete")}>
                  Delete…
                </Menu.Item>
              </Menu.Dropdown>
            </Menu>
          </Group>
        )}
      </Group>
      {rescoreStarted && <RescoreProgress rulesetId={ruleset.ruleset_id} />}
      <RulesTable ruleset={ruleset} />
      <ConfirmDialog
        opened={confirming === "rescore"}
        title={`Rescore “${ruleset.name}”?`}
        confirmLabel="Rescore"
        loading={rescore.isPending}
        onConfirm={() => rescore.mutate()}
        onCancel={() => setConfirming(null)}
      >
        Every lead of this OU is replayed from its stored events under the current rules, decay, filters and surge policy. Scores and levels may change; triggers do not fire again.
      </ConfirmDialog>
      <ConfirmDialog
        opened={confirming === "delete"}
        title={`Delete “${ruleset.name}”?`}
        confirmLabel="Delete ruleset"
        destructive
        loading={remove.isPending}
        onConfirm={() => remove.mutate()}
        onCancel={() => setConfirming(null)}
      >
        Its rules and every lead’s score under it are deleted. {ruleset.is_primary && "The oldest remaining ruleset becomes primary."}
      </ConfirmDialog>
    </Stack>
  );
}

function RescoreProgress({ rulesetId }: { rulesetId: string }) {
  const afterChange = useAfterChange();
  const job = useJobProgress<RescoreJob>(`/api/v1/rulesets/${rulesetId}/rescore`);
  const data = job.data;
  const completed = data?.status === "completed";
  useEffect(() => {
    if (completed) void afterChange(["/api/v1/leads", "/api/v1/analytics"], "Rescore finished: scores follow the current rules.");
  }, [completed, afterChange]);
  if (job.error) return <Alert color="red" title="Rescore progress unavailable">{toFormError(job.error).message}</Alert>;
  const percent = Math.round((data?.progress ?? 0) * 100);
  const failed = data?.status === "failed";
  return (
    <Alert color={failed ? "red" : data?.status === "completed" ? "teal" : "blue"} title={failed ? "Rescore failed" : data?.status === "completed" ? "Rescore finished" : "Rescoring…"} role="status">
      <Stack gap={6}>
        <Progress value={percent} animated={!isJobFinished(data)} aria-label="Rescore progress" />
        <Text size="sm">
          {data?.leads_done.toLocaleString() ?? 0} of {data?.leads_total?.toLocaleString() ?? "…"} leads ({percent}%)
          {failed && data?.error ? ` — ${data.error}` : ""}
        </Text>
      </Stack>
    </Alert>
  );
}

/** "Always", "From 3 Dec 2026, 09:00", "Until …", "… → …" in the user's zone. */
function describeWindow(rule: Pick<Rule, "start_at" | "end_at">): string {
  if (rule.start_at && rule.end_at) return `${formatDateTime(rule.start_at)} → ${formatDateTime(rule.end_at)}`;
  if (rule.start_at) return `From ${formatDateTime(rule.start_at)}`;
  if (rule.end_at) return `Until ${formatDateTime(rule.end_at)}`;
  return "Always";
}

function RulesTable({ ruleset }: { ruleset: Ruleset }) {
  const params = { ruleset_id: ruleset.ruleset_id };
  const rules = useQuery({ queryKey: [RULES, params], queryFn: () => unwrap(api.GET(RULES, { params: { query: params } })) });
  const { editing, setEditing, close } = useEditing<Rule>();
  const [deleting, setDeleting] = useState<Rule | null>(null);
  const afterChange = useAfterChange();
  const canWrite = useCan("write");
  const toggle = useMutation({
    mutationFn: (rule: Rule) => unwrap(api.PUT("/api/v1/rules/{rule_id}", { params: { path: { rule_id: rule.rule_id } }, body: { active: !rule.active } })),
    onSuccess: (rule) => afterChange([RULES], `Rule for “${rule.event_type}” ${rule.active ? "activated" : "paused"}.`),
    onError: (error) => notifyFailure("Not changed", error),
  });
  const remove = useMutation({
    mutationFn: (rule: Rule) => unwrap(api.DELETE("/api/v1/rules/{rule_id}", { params: { path: { rule_id: rule.rule_id } } })),
    onSuccess: () => afterChange([RULES], "Rule deleted. Points it gave stay until you rescore."),
    onError: (error) => notifyFailure("Not deleted", error),
    onSettled: () => setDeleting(null),
  });

  const columns: Column<Rule>[] = [
    {
      key: "event_type",
      header: "Event type",
      render: (rule) => (
        <Group gap="xs" wrap="nowrap">
          {rule.icon && <span aria-hidden>{rule.icon}</span>}
          <Text size="sm" ff="monospace">
            {rule.event_type}
          </Text>
        </Group>
      ),
    },
    { key: "weight", header: "Points", align: "right", render: (rule) => <Text size="sm" fw={600} c={rule.weight < 0 ? "red" : undefined}>{rule.weight > 0 ? `+${rule.weight}` : rule.weight}</Text> },
    { key: "window", header: `Window (${userTimeZone})`, render: (rule) => <Text size="sm">{describeWindow(rule)}</Text> },
    {
      key: "active",
      header: "Active",
      render: (rule) =>
        canWrite ? (
          <Switch checked={rule.active} onChange={() => toggle.mutate(rule)} aria-label={`Rule for ${rule.event_type} active`} data-write-control="" />
        ) : (
          <Badge color={rule.active ? "teal" : "gray"}>{rule.active ? "Active" : "Paused"}</Badge>
        ),
    },
    {
      key: "actions",
      header: <span className="visually-hidden">Actions</span>,
      align: "right",
      render: (rule) => (
        <Group gap="xs" justify="flex-end" wrap="nowrap">
          <WriteButton size="xs" variant="default" onClick={() => setEditing(rule)} aria-label={`Edit rule for ${rule.event_type}`}>
            Edit
          </WriteButton>
          <WriteButton size="xs" variant="subtle" color="red" onClick={() => setDeleting(rule)} aria-label={`Delete rule for ${rule.event_type}`}>
            Delete
          </WriteButton>
        </Group>
      ),
    },
  ];

  return (
    <Stack gap="xs">
      <Group justify="space-between">
        <Title order={4}>Rules</Title>
        <WriteButton size="sm" onClick={() => setEditing("new")}>
          New rule
        </WriteButton>
      </Group>
      <DataTable
        caption={`Rules of ${ruleset.name}`}
        columns={columns}
        rows={rules.data}
        rowKey={(rule) => rule.rule_id}
        isLoading={rules.isPending}
        error={rules.error}
        onRetry={() => void rules.refetch()}
        empty={{
          title: "No rules in this ruleset",
          description: "Add a rule for each event type that signals interest: its points are added to a lead’s score for every such event.",
          action: <WriteButton onClick={() => setEditing("new")}>New rule</WriteButton>,
        }}
      />
      {editing !== null && <RuleFormModal rulesetId={ruleset.ruleset_id} rule={editing === "new" ? null : editing} onClose={close} />}
      <ConfirmDialog
        opened={deleting !== null}
        title="Delete this rule?"
        confirmLabel="Delete rule"
        destructive
        loading={remove.isPending}
        onConfirm={() => deleting && remove.mutate(deleting)}
        onCancel={() => setDeleting(null)}
      >
        Events of type <code>{deleting?.event_type}</code> stop scoring in this ruleset. Points already given stay until the ruleset is rescored.
      </ConfirmDialog>
    </Stack>
  );
}

function RulesetFormModal({ ruleset, onClose, onSaved }: { ruleset: Ruleset | null; onClose: () => void; onSaved: (rulesetId: string) => void }) {
  const afterChange = useAfterChange();
  const [failure, setFailure] = useState<unknown>(null);
  const form = useForm({
    initialValues: { name: ruleset?.name ?? "", is_primary: ruleset?.is_primary ?? false, active: ruleset?.active ?? true },
    validate: { name: (value) => (value.trim() ? null : "Name the ruleset") },
  });
  const submit = form.onSubmit(async (values) => {
    setFailure(null);
    try {
      const saved = ruleset
        ? await unwrap(api.PUT("/api/v1/rulesets/{ruleset_id}", { params: { path: { ruleset_id: ruleset.ruleset_id } }, body: values }))
        : await unwrap(api.POST(RULESETS, { body: { ...values, score_column: "total_score" } }));
      await afterChange([RULESETS], ruleset ? `“${saved.name}” saved.` : `“${saved.name}” created.`);
      onSaved(saved.ruleset_id);
      onClose();
    } catch (error) {
      applyApiErrors(form, error);
      setFailure(error);
    }
  });
  return (
    <FormModal opened title={ruleset ? `Edit “${ruleset.name}”` : "New ruleset"} submitLabel={ruleset ? "Save" : "Create ruleset"} onClose={onClose} onSubmit={submit} submitting={form.submitting} failure={failure}>
      <TextInput label="Name" required data-autofocus {...form.getInputProps("name")} />
      <Switch label="Primary" description="Levels, the default sort of leads and default scores use the primary ruleset." disabled={ruleset?.is_primary} {...form.getInputProps("is_primary", { type: "checkbox" })} />
      <Switch label="Active" description="An inactive ruleset does not score new events." {...form.getInputProps("active", { type: "checkbox" })} />
    </FormModal>
  );
}

function RuleFormModal({ rulesetId, rule, onClose }: { rulesetId: string; rule: Rule | null; onClose: () => void }) {
  const afterChange = useAfterChange();
  const [failure, setFailure] = useState<unknown>(null);
  const eventTypes = useQuery({ queryKey: ["/api/v1/settings/event-types"], queryFn: () => unwrap(api.GET("/api/v1/settings/event-types")) });
  const form = useForm({
    initialValues: {
      event_type: rule?.event_type ?? "",
      weight: rule?.weight ?? 10,
      icon: rule?.icon ?? "",
      active: rule?.active ?? true,
      start_at: toLocalInput(rule?.start_at),
      end_at: toLocalInput(rule?.end_at),
    },
    validate: {
      event_type: (value) => (value.trim() ? null : "Enter the event type this rule scores"),
      weight: (value) => (Number.isInteger(value) ? null : "Points are a whole number (negative to take points away)"),
      end_at: (value, values) => (value && values.start_at && new Date(value) <= new Date(values.start_at) ? "The end must be after the start" : null),
    },
  });
  const submit = form.onSubmit(async (values) => {
    setFailure(null);
    const body = { ...values, start_at: fromLocalInput(values.start_at), end_at: fromLocalInput(values.end_at) };
    try {
      if (rule) await unwrap(api.PUT("/api/v1/rules/{rule_id}", { params: { path: { rule_id: rule.rule_id } }, body }));
      else await unwrap(api.POST(RULES, { body: { ...body, ruleset_id: rulesetId } }));
      await afterChange([RULES], rule ? "Rule saved." : `Rule for “${values.event_type}” created.`);
      onClose();
    } catch (error) {
      applyApiErrors(form, error);
      setFailure(error);
    }
  });
  return (
    <FormModal opened title={rule ? `Edit rule for “${rule.event_type}”` : "New rule"} submitLabel={rule ? "Save" : "Create rule"} onClose={onClose} onSubmit={submit} submitting={form.submitting} failure={failure}>
      <Autocomplete
        label="Event type"
        description="Case-sensitive, as your events send it."
        required
        data-autofocus
        data={(eventTypes.data ?? []).map((type) => type.event_type)}
        {...form.getInputProps("event_type")}
      />
      <Group grow align="flex-start">
        <NumberInput label="Points per event" description="Negative to take points away." allowDecimal={false} {...form.getInputProps("weight")} />
        <TextInput label="Icon" description="An emoji shown beside the event." maxLength={16} {...form.getInputProps("icon")} />
      </Group>
      <Group grow align="flex-start">
        <TextInput type="datetime-local" label="Counts from" description={`Empty: always (${userTimeZone})`} {...form.getInputProps("start_at")} />
        <TextInput type="datetime-local" label="Counts until" description="Empty: no end" {...form.getInputProps("end_at")} />
      </Group>
      <Switch label="Active" {...form.getInputProps("active", { type: "checkbox" })} />
    </FormModal>
  );
}
