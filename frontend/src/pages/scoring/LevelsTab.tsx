/**
 * Levels name score ranges (e.g. Cold 0–49, Warm 50–99, Hot 100+), one list per kind of
 * score: engagement (the primary ruleset), profile (fit) and account. Gaps and overlaps are
 * shown, not refused: the API decides what it accepts.
 */
import { Alert, Group, List, NumberInput, SegmentedControl, Stack, Text, TextInput } from "@mantine/core";
import { useForm } from "@mantine/form";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useSearchParams } from "react-router";
import { api } from "../../api/client";
import { unwrap } from "../../api/errors";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { DataTable, type Column } from "../../components/DataTable";
import { applyApiErrors } from "../../components/formErrors";
import { WriteButton } from "../../components/WriteButton";
import { describeLevelRange, levelRangeProblems } from "./scoringForms";
import { FormModal, notifyFailure, useAfterChange, useEditing, type Schemas } from "./shared";

type Level = Schemas["LevelOutput"];
type LevelKind = "engagement" | "profile" | "account";

const KINDS: { value: LevelKind; label: string; scoreName: string }[] = [
  { value: "engagement", label: "Engagement", scoreName: "the primary ruleset’s score" },
  { value: "profile", label: "Profile (fit)", scoreName: "the profile (fit) score" },
  { value: "account", label: "Account", scoreName: "the account score" },
];

const LEVEL_PATHS = {
  engagement: { list: "/api/v1/levels/engagement", item: "/api/v1/levels/engagement/{level_id}" },
  profile: { list: "/api/v1/levels/profile", item: "/api/v1/levels/profile/{level_id}" },
  account: { list: "/api/v1/levels/account", item: "/api/v1/levels/account/{level_id}" },
} as const;

export function LevelsTab() {
  const [searchParams, setSearchParams] = useSearchParams();
  const kind = KINDS.find((candidate) => candidate.value === searchParams.get("kind")) ?? KINDS[0]!;
  const paths = LEVEL_PATHS[kind.value];
  const levels = useQuery({ queryKey: [paths.list], queryFn: () => unwrap(api.GET(paths.list)) });
  const { editing, setEditing, close } = useEditing<Level>();
  const [deleting, setDeleting] = useState<Level | null>(null);
  const afterChange = useAfterChange();
  const remove = useMutation({
    mutationFn: (level: Level) => unwrap(api.DELETE(paths.item, { params: { path: { level_id: level.level_id } } })),
    onSuccess: () => afterChange([paths.list], "Level deleted."),
    onError: (error) => notifyFailure("Not deleted", error),
    onSettled: () => setDeleting(null),
  });
  const sorted = [...(levels.data ?? [])].sort((a, b) => a.min_score - b.min_score);
  const problems = levelRangeProblems(sorted);
  const columns: Column<Level>[] = [
    { key: "name", header: "Level", render: (level) => <Text size="sm" fw={500}>{level.name}</Text> },
    { key: "range", header: "Score range", render: (level) => <Text size="sm">{describeLevelRange(level)}</Text> },
    {
      key: "actions",
      header: <span className="visually-hidden">Actions</span>,
      align: "right",
      render: (level) => (
        <Group gap="xs" justify="flex-end" wrap="nowrap">
          <WriteButton size="xs" variant="default" onClick={() => setEditing(level)} aria-label={`Edit level ${level.name}`}>
            Edit
          </WriteButton>
          <WriteButton size="xs" variant="subtle" color="red" onClick={() => setDeleting(level)} aria-label={`Delete level ${level.name}`}>
            Delete
          </WriteButton>
        </Group>
      ),
    },
  ];
  const newLevelButton = <WriteButton onClick={() => setEditing("new")}>New level</WriteButton>;
  return (
    <Stack>
      <Group justify="space-between">
        <SegmentedControl aria-label="Kind of level" data={KINDS.map(({ value, label }) => ({ value, label }))} value={kind.value} onChange={(value) => setSearchParams({ kind: value })} />
        {newLevelButton}
      </Group>
      <Text size="sm" c="dimmed">
        {kind.label} levels name ranges of {kind.scoreName}; leads, segments and triggers use them.
      </Text>
      {problems.length > 0 && (
        <Alert color="yellow" title="Check the ranges">
          <List size="sm">
            {problems.map((problem) => (
              <List.Item key={problem}>{problem}</List.Item>
            ))}
          </List>
        </Alert>
      )}
      <DataTable
        caption={`${kind.label} levels`}
        columns={columns}
        rows={levels.data ? sorted : undefined}
        rowKey={(level) => level.level_id}
        isLoading={levels.isPending}
        error={levels.error}
        onRetry={() => void levels.refetch()}
        empty={{ title: `No ${kind.label.toLowerCase()} levels`, description: "Add levels from cold to hot, for example Cold 0–49, Warm 50–99 and Hot from 100.", action: newLevelButton }}
      />
      {editing !== null && <LevelFormModal kind={kind.value} level={editing === "new" ? null : editing} suggestedMin={(sorted.at(-1)?.max_score ?? -1) + 1} onClose={close} />}
      <ConfirmDialog opened={deleting !== null} title={`Delete level “${deleting?.name ?? ""}”?`} confirmLabel="Delete level" destructive loading={remove.isPending} onConfirm={() => deleting && remove.mutate(deleting)} onCancel={() => setDeleting(null)}>
        Leads in this range will have no {kind.label.toLowerCase()} level until another level covers it.
      </ConfirmDialog>
    </Stack>
  );
}

function LevelFormModal({ kind, level, suggestedMin, onClose }: { kind: LevelKind; level: Level | null; suggestedMin: number; onClose: () => void }) {
  const paths = LEVEL_PATHS[kind];
  const afterChange = useAfterChange();
  const [failure, setFailure] = useState<unknown>(null);
  const form = useForm({
    initialValues: { name: level?.name ?? "", min_score: level?.min_score ?? suggestedMin, max_score: (level?.max_score ?? "") as number | "" },
    validate: {
      name: (value) => (value.trim() ? null : "Name the level"),
      max_score: (value, values) => (value !== "" && value < values.min_score ? "At least the minimum score" : null),
    },
  });
  const submit = form.onSubmit(async (values) => {
    setFailure(null);
    const body = { ...values, max_score: values.max_score === "" ? null : values.max_score };
    try {
      if (level) await unwrap(api.PUT(paths.item, { params: { path: { level_id: level.level_id } }, body }));
      else await unwrap(api.POST(paths.list, { body }));
      await afterChange([paths.list], `Level “${values.name}” saved.`);
      onClose();
    } catch (error) {
      applyApiErrors(form, error);
      setFailure(error);
    }
  });
  return (
    <FormModal opened title={level ? `Edit level “${level.name}”` : "New level"} submitLabel={level ? "Save" : "Create level"} onClose={onClose} onSubmit={submit} submitting={form.submitting} failure={failure}>
      <TextInput label="Name" required data-autofocus placeholder="Hot" {...form.getInputProps("name")} />
      <Group grow align="flex-start">
        <NumberInput label="Minimum score" allowDecimal={false} {...form.getInputProps("min_score")} />
        <NumberInput label="Maximum score" description="Empty: no upper bound" allowDecimal={false} {...form.getInputProps("max_score")} />
      </Group>
    </FormModal>
  );
}
