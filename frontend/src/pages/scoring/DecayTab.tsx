/** Decay: a lead inactive for a while loses points per full period of inactivity. */
import { Group, NumberInput, Select, Stack, Text } from "@mantine/core";
import { useForm } from "@mantine/form";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { api } from "../../api/client";
import { unwrap } from "../../api/errors";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { DataTable, type Column } from "../../components/DataTable";
import { applyApiErrors } from "../../components/formErrors";
import { WriteButton } from "../../components/WriteButton";
import { FormModal, notifyFailure, useAfterChange, useEditing, type Schemas } from "./shared";

type Decay = Schemas["DecayOutput"];
type DecayUnit = Schemas["UnitEnum"];

const DECAYS = "/api/v1/decays";
const UNITS: { value: DecayUnit; label: string }[] = [
  { value: "hours", label: "hours" },
  { value: "days", label: "days" },
  { value: "weeks", label: "weeks" },
];

export function DecayTab() {
  const decays = useQuery({ queryKey: [DECAYS], queryFn: () => unwrap(api.GET(DECAYS)) });
  const { editing, setEditing, close } = useEditing<Decay>();
  const [deleting, setDeleting] = useState<Decay | null>(null);
  const afterChange = useAfterChange();
  const remove = useMutation({
    mutationFn: (decay: Decay) => unwrap(api.DELETE("/api/v1/decays/{decay_id}", { params: { path: { decay_id: decay.decay_id } } })),
    onSuccess: () => afterChange([DECAYS], "Decay rule deleted."),
    onError: (error) => notifyFailure("Not deleted", error),
    onSettled: () => setDeleting(null),
  });
  const columns: Column<Decay>[] = [
    { key: "rule", header: "Rule", render: (decay) => <Text size="sm">After {decay.inactive_for} {decay.unit} without events, lose {decay.decrease} points per {decay.inactive_for} {decay.unit}</Text> },
    {
      key: "actions",
      header: <span className="visually-hidden">Actions</span>,
      align: "right",
      render: (decay) => (
        <Group gap="xs" justify="flex-end" wrap="nowrap">
          <WriteButton size="xs" variant="default" onClick={() => setEditing(decay)} aria-label={`Edit decay after ${decay.inactive_for} ${decay.unit}`}>
            Edit
          </WriteButton>
          <WriteButton size="xs" variant="subtle" color="red" onClick={() => setDeleting(decay)} aria-label={`Delete decay after ${decay.inactive_for} ${decay.unit}`}>
            Delete
          </WriteButton>
        </Group>
      ),
    },
  ];
  return (
    <Stack>
      <Group justify="space-between">
        <Text size="sm" c="dimmed" maw={640}>
          Scores fade when leads go quiet: after each full period without events, the decrease is taken from every ruleset’s score (never below zero).
        </Text>
        <WriteButton onClick={() => setEditing("new")}>New decay rule</WriteButton>
      </Group>
      <DataTable
        caption="Decay rules"
        columns={columns}
        rows={decays.data}
        rowKey={(decay) => decay.decay_id}
        isLoading={decays.isPending}
        error={decays.error}
        onRetry={() => void decays.refetch()}
        empty={{
          title: "Scores never decay",
          description: "Add a decay rule so that a lead who was hot last quarter does not stay hot forever — for example 10 points per 2 weeks of silence.",
          action: <WriteButton onClick={() => setEditing("new")}>New decay rule</WriteButton>,
        }}
      />
      {editing !== null && <DecayFormModal decay={editing === "new" ? null : editing} onClose={close} />}
      <ConfirmDialog opened={deleting !== null} title="Delete this decay rule?" confirmLabel="Delete" destructive loading={remove.isPending} onConfirm={() => deleting && remove.mutate(deleting)} onCancel={() => setDeleting(null)}>
        Scores stop decaying by this rule. Points already taken away stay until you rescore.
      </ConfirmDialog>
    </Stack>
  );
}

function DecayFormModal({ decay, onClose }: { decay: Decay | null; onClose: () => void }) {
  const afterChange = useAfterChange();
  const [failure, setFailure] = useState<unknown>(null);
  const form = useForm({
    initialValues: { inactive_for: decay?.inactive_for ?? 14, unit: (decay?.unit ?? "days") as DecayUnit, decrease: decay?.decrease ?? 10 },
  });
  const submit = form.onSubmit(async (values) => {
    setFailure(null);
    try {
      if (decay) await unwrap(api.PUT("/api/v1/decays/{decay_id}", { params: { path: { decay_id: decay.decay_id } }, body: values }));
      else await unwrap(api.POST(DECAYS, { body: values }));
      await afterChange([DECAYS], "Decay rule saved.");
      onClose();
    } catch (error) {
      applyApiErrors(form, error);
      setFailure(error);
    }
  });
  return (
    <FormModal opened title={decay ? "Edit decay rule" : "New decay rule"} submitLabel={decay ? "Save" : "Create"} onClose={onClose} onSubmit={submit} submitting={form.submitting} failure={failure}>
      <Group grow align="flex-start">
        <NumberInput label="Inactive for" allowDecimal={false} data-autofocus {...form.getInputProps("inactive_for")} />
        <Select label="Unit" data={UNITS} allowDeselect={false} {...form.getInputProps("unit")} />
      </Group>
      <NumberInput label="Points lost per period" allowDecimal={false} {...form.getInputProps("decrease")} />
    </FormModal>
  );
}
