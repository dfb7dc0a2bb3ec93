/**
 * Filters keep inorganic activity out of scores: velocity (inorganic) filters suppress bursts
 * of one event type; attribute filters suppress events whose metadata matches conditions.
 */
import { ActionIcon, Badge, Group, NumberInput, Select, Stack, Switch, Text, TextInput, Title } from "@mantine/core";
import { useForm } from "@mantine/form";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { api } from "../../api/client";
import { unwrap } from "../../api/errors";
import { useCan } from "../../auth/SessionContext";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { DataTable, type Column } from "../../components/DataTable";
import { applyApiErrors } from "../../components/formErrors";
import { WriteButton } from "../../components/WriteButton";
import { describeDuration, renameFieldErrors, splitDuration, toMilliseconds, type DurationUnit } from "./scoringForms";
import { FormModal, notifyFailure, useAfterChange, useEditing, type Schemas } from "./shared";

type InorganicFilter = Schemas["InorganicFilterOutput"];
type AttributeFilter = Schemas["AttributeFilterOutput"];
type Operator = Schemas["ConditionOperatorEnum"];

const INORGANIC = "/api/v1/filters";
const ATTRIBUTE = "/api/v1/filters/attributes";
const DURATION_UNITS: DurationUnit[] = ["seconds", "minutes", "hours", "days"];
const OPERATORS: { value: Operator; label: string }[] = [
  { value: "equals", label: "equals" },
  { value: "not_equals", label: "does not equal" },
  { value: "contains", label: "contains" },
  { value: "not_contains", label: "does not contain" },
  { value: "starts_with", label: "starts with" },
  { value: "ends_with", label: "ends with" },
  { value: "greater_than", label: ">" },
  { value: "greater_or_equal", label: "≥" },
  { value: "less_than", label: "<" },
  { value: "less_or_equal", label: "≤" },
  { value: "in", label: "is one of (comma-separated)" },
  { value: "not_in", label: "is none of (comma-separated)" },
  { value: "exists", label: "exists" },
  { value: "not_exists", label: "does not exist" },
];
const VALUELESS: ReadonlySet<string> = new Set(["exists", "not_exists"]);
const LIST_OPERATORS: ReadonlySet<string> = new Set(["in", "not_in"]);

export function FiltersTab() {
  return (
    <Stack gap="xl">
      <InorganicFilters />
      <AttributeFilters />
    </Stack>
  );
}

function InorganicFilters() {
  const filters = useQuery({ queryKey: [INORGANIC], queryFn: () => unwrap(api.GET(INORGANIC)) });
  const { editing, setEditing, close } = useEditing<InorganicFilter>();
  const [deleting, setDeleting] = useState<InorganicFilter | null>(null);
  const afterChange = useAfterChange();
  const remove = useMutation({
    mutationFn: (filter: InorganicFilter) => unwrap(api.DELETE("/api/v1/filters/{filter_id}", { params: { path: { filter_id: filter.filter_id } } })),
    onSuccess: () => afterChange([INORGANIC], "Velocity filter deleted."),
    onError: (error) => notifyFailure("Not deleted", error),
    onSettled: () => setDeleting(null),
  });
  const columns: Column<InorganicFilter>[] = [
    { key: "event_type", header: "Event type", render: (filter) => <Text size="sm" ff="monospace">{filter.event_type}</Text> },
    { key: "threshold", header: "Allowed", render: (filter) => <Text size="sm">{filter.count_threshold} per {describeDuration(filter.time_window_ms)}</Text> },
    { key: "burst", header: "Beyond that", render: (filter) => <Text size="sm">{filter.group_events ? "Keep the first event of the burst, take back the rest" : "Events are not scored"}</Text> },
    {
      key: "actions",
      header: <span className="visually-hidden">Actions</span>,
      align: "right",
      render: (filter) => (
        <Group gap="xs" justify="flex-end" wrap="nowrap">
          <WriteButton size="xs" variant="default" onClick={() => setEditing(filter)} aria-label={`Edit velocity filter for ${filter.event_type}`}>
            Edit
          </WriteButton>
          <WriteButton size="xs" variant="subtle" color="red" onClick={() => setDeleting(filter)} aria-label={`Delete velocity filter for ${filter.event_type}`}>
            Delete
          </WriteButton>
        </Group>
      ),
    },
  ];
  return (
    <Stack gap="xs">
      <Group justify="space-between">
        <Stack gap={2}>
          <Title order={4}>Velocity filters</Title>
          <Text size="sm" c="dimmed">Bots and scripts send many events at once: beyond the allowed count in the window, events of the type do not score.</Text>
        </Stack>
        <WriteButton onClick={() => setEditing("new")}>New velocity filter</WriteButton>
      </Group>
      <DataTable
        caption="Velocity filters"
        columns={columns}
        rows={filters.data}
        rowKey={(filter) => filter.filter_id}
        isLoading={filters.isPending}
        error={filters.error}
        onRetry={() => void filters.refetch()}
        empty={{ title: "No velocity filters", description: "Add one for event types a bot could repeat, for example at most 20 “page_view” per minute.", action: <WriteButton onClick={() => setEditing("new")}>New velocity filter</WriteButton> }}
      />
      {editing !== null && <InorganicFilterModal filter={editing === "new" ? null : editing} onClose={close} />}
      <ConfirmDialog opened={deleting !== null} title="Delete this velocity filter?" confirmLabel="Delete" destructive loading={remove.isPending} onConfirm={() => deleting && remove.mutate(deleting)} onCancel={() => setDeleting(null)}>
        Bursts of <code>{deleting?.event_type}</code> score in full from now on.
      </ConfirmDialog>
    </Stack>
  );
}

function InorganicFilterModal({ filter, onClose }: { filter: InorganicFilter | null; onClose: () => void }) {
  const afterChange = useAfterChange();
  const [failure, setFailure] = useState<unknown>(null);
  const initialWindow = splitDuration(filter?.time_window_ms ?? 60_000);
  const form = useForm({
    initialValues: {
      event_type: filter?.event_type ?? "",
      count_threshold: filter?.count_threshold ?? 20,
      time_window_amount: initialWindow.amount,
      time_window_unit: initialWindow.unit,
      group_events: filter?.group_events ?? false,
    },
  });
  const submit = form.onSubmit(async ({ time_window_amount, time_window_unit, ...values }) => {
    setFailure(null);
    const body = { ...values, time_window_ms: toMilliseconds(time_window_amount, time_window_unit) };
    try {
      if (filter) await unwrap(api.PUT("/api/v1/filters/{filter_id}", { params: { path: { filter_id: filter.filter_id } }, body }));
      else await unwrap(api.POST(INORGANIC, { body }));
      await afterChange([INORGANIC], "Velocity filter saved.");
      onClose();
    } catch (error) {
      applyApiErrors({ setErrors: (errors) => form.setErrors(renameFieldErrors(errors, { time_window_ms: "time_window_amount" })) }, error);
      setFailure(error);
    }
  });
  return (
    <FormModal opened title={filter ? "Edit velocity filter" : "New velocity filter"} submitLabel={filter ? "Save" : "Create"} onClose={onClose} onSubmit={submit} submitting={form.submitting} failure={failure}>
      <TextInput label="Event type" required data-autofocus {...form.getInputProps("event_type")} />
      <Group grow align="flex-start">
        <NumberInput label="Events allowed" allowDecimal={false} {...form.getInputProps("count_threshold")} />
        <NumberInput label="Within" {...form.getInputProps("time_window_amount")} />
        <Select label="Unit" data={DURATION_UNITS} allowDeselect={false} {...form.getInputProps("time_window_unit")} />
      </Group>
      <Switch label="Group bursts" description="Keep the first event of a burst and take back the points of the rest." {...form.getInputProps("group_events", { type: "checkbox" })} />
    </FormModal>
  );
}

function describeCondition(condition: Schemas["ConditionOutput"]): string {
  const operator = OPERATORS.find((option) => option.value === condition.condition)?.label ?? condition.condition;
  if (VALUELESS.has(condition.condition)) return `${condition.property} ${operator}`;
  const value = Array.isArray(condition.value) ? condition.value.join(", ") : String(condition.value);
  return `${condition.property} ${operator} “${value}”`;
}

function AttributeFilters() {
  const filters = useQuery({ queryKey: [ATTRIBUTE], queryFn: () => unwrap(api.GET(ATTRIBUTE)) });
  const { editing, setEditing, close } = useEditing<AttributeFilter>();
  const [deleting, setDeleting] = useState<AttributeFilter | null>(null);
  const canWrite = useCan("write");
  const afterChange = useAfterChange();
  const toggle = useMutation({
    mutationFn: (filter: AttributeFilter) => unwrap(api.PUT("/api/v1/filters/attributes/{filter_id}", { params: { path: { filter_id: filter.filter_id } }, body: { active: !filter.active } })),
    onSuccess: () => afterChange([ATTRIBUTE], "Attribute filter updated."),
    onError: (error) => notifyFailure("Not changed", error),
  });
  const remove = useMutation({
    mutationFn: (filter: AttributeFilter) => unwrap(api.DELETE("/api/v1/filters/attributes/{filter_id}", { params: { path: { filter_id: filter.filter_id } } })),
    onSuccess: () => afterChange([ATTRIBUTE], "Attribute filter deleted."),
    onError: (error) => notifyFailure("Not deleted", error),
    onSettled: () => setDeleting(null),
  });
  const columns: Column<AttributeFilter>[] = [
    { key: "name", header: "Name", render: (filter) => <Text size="sm" fw={500}>{filter.name}</Text> },
    { key: "event_type", header: "Event type", render: (filter) => (filter.event_type ? <Text size="sm" ff="monospace">{filter.event_type}</Text> : <Text size="sm" c="dimmed">Any</Text>) },
    { key: "conditions", header: "Suppressed when all hold", render: (filter) => <Stack gap={0}>{filter.conditions.map((condition, index) => <Text key={index} size="sm">{describeCondition(condition)}</Text>)}</Stack> },
    {
      key: "active",
      header: "Active",
      render: (filter) =>
        canWrite ? <Switch checked={filter.active} onChange={() => toggle.mutate(filter)} aria-label={`${filter.name} active`} data-write-control="" /> : <Badge color={filter.active ? "teal" : "gray"}>{filter.active ? "Active" : "Off"}</Badge>,
    },
    {
      key: "actions",
      header: <span className="visually-hidden">Actions</span>,
      align: "right",
      render: (filter) => (
        <Group gap="xs" justify="flex-end" wrap="nowrap">
          <WriteButton size="xs" variant="default" onClick={() => setEditing(filter)} aria-label={`Edit ${filter.name}`}>
            Edit
          </WriteButton>
          <WriteButton size="xs" variant="subtle" color="red" onClick={() => setDeleting(filter)} aria-label={`Delete ${filter.name}`}>
            Delete
          </WriteButton>
        </Group>
      ),
    },
  ];
  return (
    <Stack gap="xs">
      <Group justify="space-between">
        <Stack gap={2}>
          <Title order={4}>Attribute filters</Title>
          <Text size="sm" c="dimmed">Events whose metadata matches every condition do not score — internal traffic, test accounts, known crawlers.</Text>
        </Stack>
        <WriteButton onClick={() => setEditing("new")}>New attribute filter</WriteButton>
      </Group>
      <DataTable
        caption="Attribute filters"
        columns={columns}
        rows={filters.data}
        rowKey={(filter) => filter.filter_id}
        isLoading={filters.isPending}
        error={filters.error}
        onRetry={() => void filters.refetch()}
        empty={{ title: "No attribute filters", description: "Add one to keep your own team’s activity out of scores, for example “email ends with @yourcompany.com”.", action: <WriteButton onClick={() => setEditing("new")}>New attribute filter</WriteButton> }}
      />
      {editing !== null && <AttributeFilterModal filter={editing === "new" ? null : editing} onClose={close} />}
      <ConfirmDialog opened={deleting !== null} title={`Delete “${deleting?.name ?? ""}”?`} confirmLabel="Delete" destructive loading={remove.isPending} onConfirm={() => deleting && remove.mutate(deleting)} onCancel={() => setDeleting(null)}>
        Events it suppressed score again from now on.
      </ConfirmDialog>
    </Stack>
  );
}

interface ConditionDraft {
  property: string;
  condition: Operator;
  value: string;
}

function toDraft(condition: Schemas["ConditionOutput"]): ConditionDraft {
  const value = Array.isArray(condition.value) ? condition.value.join(", ") : condition.value === null || condition.value === undefined ? "" : String(condition.value);
  return { property: condition.property, condition: condition.condition as Operator, value };
}

function toConditionInput({ property, condition, value }: ConditionDraft): Schemas["ConditionInputRequest"] {
  if (VALUELESS.has(condition)) return { property, condition };
  if (LIST_OPERATORS.has(condition)) return { property, condition, value: value.split(",").map((item) => item.trim()).filter(Boolean) };
  return { property, condition, value };
}

function AttributeFilterModal({ filter, onClose }: { filter: AttributeFilter | null; onClose: () => void }) {
  const afterChange = useAfterChange();
  const [failure, setFailure] = useState<unknown>(null);
  const form = useForm({
    initialValues: {
      name: filter?.name ?? "",
      event_type: filter?.event_type ?? "",
      active: filter?.active ?? true,
      conditions: filter?.conditions.map(toDraft) ?? [{ property: "", condition: "equals" as Operator, value: "" }],
    },
  });
  const submit = form.onSubmit(async (values) => {
    setFailure(null);
    const body = { ...values, event_type: values.event_type.trim() || null, conditions: values.conditions.map(toConditionInput) };
    try {
      if (filter) await unwrap(api.PUT("/api/v1/filters/attributes/{filter_id}", { params: { path: { filter_id: filter.filter_id } }, body }));
      else await unwrap(api.POST(ATTRIBUTE, { body }));
      await afterChange([ATTRIBUTE], `“${values.name}” saved.`);
      onClose();
    } catch (error) {
      applyApiErrors(form, error);
      setFailure(error);
    }
  });
  return (
    <FormModal opened title={filter ? `Edit “${filter.name}”` : "New attribute filter"} submitLabel={filter ? "Save" : "Create"} onClose={onClose} onSubmit={submit} submitting={form.submitting} failure={failure}>
      <TextInput label="Name" required data-autofocus {...form.getInputProps("name")} />
      <TextInput label="Event type" description="Empty: events of any type." {...form.getInputProps("event_type")} />
      <Text size="sm" fw={500}>
        Conditions on event metadata (all must hold)
      </Text>
      {form.getValues().conditions.map((condition, index) => (
        <Group key={index} align="flex-start" wrap="nowrap">
          <TextInput label="Property" placeholder="email" flex={1} {...form.getInputProps(`conditions.${index}.property`)} />
          <Select label="Condition" data={OPERATORS} allowDeselect={false} w={200} {...form.getInputProps(`conditions.${index}.condition`)} />
          <TextInput label="Value" flex={1} disabled={VALUELESS.has(condition.condition)} {...form.getInputProps(`conditions.${index}.value`)} />
          <ActionIcon variant="subtle" color="red" mt={26} onClick={() => form.removeListItem("conditions", index)} disabled={form.getValues().conditions.length === 1} aria-label={`Remove condition ${index + 1}`}>
            ✕
          </ActionIcon>
        </Group>
      ))}
      {form.errors.conditions && <Text size="sm" c="red">{form.errors.conditions}</Text>}
      <Group>
        <WriteButton variant="subtle" size="xs" onClick={() => form.insertListItem("conditions", { property: "", condition: "equals", value: "" })} disabled={form.getValues().conditions.length >= 20}>
          Add condition
        </WriteButton>
      </Group>
      <Switch label="Active" {...form.getInputProps("active", { type: "checkbox" })} />
    </FormModal>
  );
}
