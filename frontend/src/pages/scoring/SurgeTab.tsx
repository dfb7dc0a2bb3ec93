/**
 * Surge policy: events that come in a run (a session) earn more. The presets' bands are fixed
 * by the API and shown as it answers them; `custom` edits its own bands. The preview applies
 * the bands to the first events of a session, as the scoring engine does.
 */
import { ActionIcon, Card, Group, NumberInput, SegmentedControl, Skeleton, Stack, Table, Text, Title } from "@mantine/core";
import { useForm } from "@mantine/form";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { api } from "../../api/client";
import { unwrap } from "../../api/errors";
import { useCan } from "../../auth/SessionContext";
import { DataTable } from "../../components/DataTable";
import { applyApiErrors, FormErrorAlert } from "../../components/formErrors";
import { WriteButton } from "../../components/WriteButton";
import { surgedPoints, surgeMultiplier, type SurgeBandValue } from "./scoringForms";
import { useAfterChange, type Schemas } from "./shared";

type SurgePolicy = Schemas["SurgePolicyOutput"];
type SurgeMode = Schemas["SurgeModeEnum"];

const SURGE_POLICY = "/api/v1/settings/ou/surge-policy";
const MODES: { value: SurgeMode; label: string; description: string }[] = [
  { value: "off", label: "Off", description: "Every event earns its rule’s points." },
  { value: "gentle", label: "Gentle", description: "3+ events ×1.1, 5+ ×1.2, 10+ ×1.5; at most ×1.5." },
  { value: "standard", label: "Standard", description: "3+ events ×1.25, 5+ ×1.5, 10+ ×2; at most ×2." },
  { value: "custom", label: "Custom", description: "Your own bands and cap." },
];
const PREVIEW_EVENTS = 12;
const PREVIEW_WEIGHT = 10;

export function SurgeTab() {
  const policy = useQuery({ queryKey: [SURGE_POLICY], queryFn: () => unwrap(api.GET(SURGE_POLICY)) });
  if (policy.error) return <DataTable caption="Surge policy" columns={[]} rows={undefined} rowKey={() => ""} isLoading={false} error={policy.error} onRetry={() => void policy.refetch()} empty={{ title: "" }} />;
  if (!policy.data) return <Skeleton height={240} />;
  return <SurgePolicyForm key={policy.dataUpdatedAt} policy={policy.data} />;
}

function SurgePolicyForm({ policy }: { policy: SurgePolicy }) {
  const canWrite = useCan("write");
  const afterChange = useAfterChange();
  const [failure, setFailure] = useState<unknown>(null);
  const form = useForm({
    initialValues: {
      mode: policy.mode,
      bands: policy.mode === "custom" ? policy.bands : [{ min_events: 3, multiplier: 1.25 }],
      idle_reset_seconds: policy.idle_reset_seconds as number | null,
      multiplier_cap: policy.mode === "custom" ? policy.multiplier_cap : 2,
    },
  });
  const values = form.getValues();
  const submit = form.onSubmit(async (submitted) => {
    setFailure(null);
    try {
      // The API answers the idle reset in effect (the OU's session timeout when none was set): send it only when changed, so it is not pinned by accident.
      const { idle_reset_seconds, ...rest } = submitted;
      const changes = submitted.mode === "custom" ? rest : { mode: submitted.mode };
      await unwrap(api.PUT(SURGE_POLICY, { body: form.isDirty("idle_reset_seconds") ? { ...changes, idle_reset_seconds } : changes }));
      await afterChange([SURGE_POLICY], "Surge policy saved. Rescore to apply it to past events.");
    } catch (error) {
      applyApiErrors(form, error);
      setFailure(error);
    }
  });
  // What the preview shows: the bands being edited for custom, else what the API says is in effect for the saved mode.
  const previewBands: SurgeBandValue[] = values.mode === "custom" ? values.bands : values.mode === policy.mode ? policy.bands : [];
  const previewCap = values.mode === "custom" ? values.multiplier_cap : values.mode === policy.mode ? policy.multiplier_cap : 1;
  const previewKnown = values.mode === "custom" || values.mode === policy.mode || values.mode === "off";

  return (
    <form onSubmit={submit} noValidate>
      <Group align="flex-start" gap="xl" wrap="wrap">
        <Stack flex={1} miw={360} maw={620}>
          <Text size="sm" c="dimmed">
            A session is a run of a lead’s events with gaps shorter than the idle reset. The k-th event of a session earns the multiplier of the band it has reached, capped; points round half up.
          </Text>
          <FormErrorAlert error={failure} />
          <Stack gap={4}>
            <Text size="sm" fw={500} id="surge-mode-label">
              Mode
            </Text>
            <SegmentedControl data={MODES.map(({ value, label }) => ({ value, label }))} disabled={!canWrite} aria-labelledby="surge-mode-label" {...form.getInputProps("mode")} />
            <Text size="xs" c="dimmed">
              {MODES.find((mode) => mode.value === values.mode)?.description}
            </Text>
          </Stack>
          <NumberInput
            label="Idle reset (seconds)"
            description="A gap this long starts a new session. Empty: the OU’s session timeout."
            allowDecimal={false}
            min={1}
            disabled={!canWrite || values.mode === "off"}
            value={values.idle_reset_seconds ?? ""}
            onChange={(value) => form.setFieldValue("idle_reset_seconds", typeof value === "number" ? value : null)}
            error={form.errors.idle_reset_seconds}
          />
          {values.mode === "custom" && (
            <Card withBorder>
              <Stack gap="xs">
                <Title order={5}>Bands</Title>
                {values.bands.map((_, index) => (
                  <Group key={index} align="flex-start" wrap="nowrap">
                    <NumberInput label="From event #" allowDecimal={false} min={1} disabled={!canWrite} {...form.getInputProps(`bands.${index}.min_events`)} />
                    <NumberInput label="Multiplier" decimalScale={2} step={0.05} min={1} max={3} disabled={!canWrite} {...form.getInputProps(`bands.${index}.multiplier`)} />
                    {canWrite && (
                      <ActionIcon variant="subtle" color="red" mt={26} onClick={() => form.removeListItem("bands", index)} disabled={values.bands.length === 1} aria-label={`Remove band ${index + 1}`} data-write-control="">
                        ✕
                      </ActionIcon>
                    )}
                  </Group>
                ))}
                {typeof form.errors.bands === "string" && <Text size="sm" c="red">{form.errors.bands}</Text>}
                <Group>
                  <WriteButton variant="subtle" size="xs" onClick={() => form.insertListItem("bands", { min_events: (values.bands.at(-1)?.min_events ?? 1) + 2, multiplier: 1.5 })}>
                    Add band
                  </WriteButton>
                </Group>
                <NumberInput label="Multiplier cap" description="1 to 3" decimalScale={2} step={0.05} min={1} max={3} disabled={!canWrite} {...form.getInputProps("multiplier_cap")} />
              </Stack>
            </Card>
          )}
          <Group>
            <WriteButton type="submit" loading={form.submitting} disabled={!form.isDirty()}>
              Save surge policy
            </WriteButton>
          </Group>
        </Stack>
        <Card withBorder w={320}>
          <Title order={5} mb={4}>
            Preview
          </Title>
          <Text size="xs" c="dimmed" mb="xs">
            A session of {PREVIEW_EVENTS} events of a {PREVIEW_WEIGHT}-point rule.
          </Text>
          {previewKnown ? (
            <Table withRowBorders={false} verticalSpacing={2} fz="sm">
              <Table.Caption className="visually-hidden">Surge preview</Table.Caption>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Event</Table.Th>
                  <Table.Th ta="right">Multiplier</Table.Th>
                  <Table.Th ta="right">Points</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {Array.from({ length: PREVIEW_EVENTS }, (_, index) => {
                  const multiplier = surgeMultiplier(previewBands, previewCap, index + 1);
                  return (
                    <Table.Tr key={index}>
                      <Table.Td>#{index + 1}</Table.Td>
                      <Table.Td ta="right">×{multiplier.toFixed(2)}</Table.Td>
                      <Table.Td ta="right">{surgedPoints(PREVIEW_WEIGHT, multiplier)}</Table.Td>
                    </Table.Tr>
                  );
                })}
              </Table.Tbody>
            </Table>
          ) : (
            <Text size="sm">{MODES.find((mode) => mode.value === values.mode)?.description}</Text>
          )}
        </Card>
      </Group>
    </form>
  );
}
