/**
 * Create or edit a segment: name, description, active, and its rules in the builder, with a
 * live preview (count and sample, debounced) of who the rules match before anything is saved.
 */
import { Alert, Anchor, Badge, Button, Card, Group, Loader, Stack, Switch, Table, Text, TextInput, Textarea, Title } from "@mantine/core";
import { useForm } from "@mantine/form";
import { useDebouncedValue } from "@mantine/hooks";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useNavigate } from "react-router";
import { api } from "../../api/client";
import { ApiError, toFormError, unwrap } from "../../api/errors";
import { invalidatePaths } from "../../api/queryClient";
import type { components } from "../../api/schema";
import { useSession } from "../../auth/SessionContext";
import { FormErrorAlert } from "../../components/formErrors";
import { WriteButton } from "../../components/WriteButton";
import { RuleBuilder, type SegmentFormValues } from "./RuleBuilder";
import { emptyGroup, groupErrors, groupsToConditions, planRuleChanges, rulesToGroups, type GroupDraft, type RuleType, type SavedRule } from "./ruleBuilder";

type Segment = components["schemas"]["SegmentOutput"];

const PREVIEW_DEBOUNCE_MS = 400;

/** The OU's level names per level rule type (account levels only with ABM). */
export function useLevelNames(abmEnabled: boolean): Partial<Record<RuleType, readonly string[]>> {
  const names = (levels: { name: string }[] | undefined) => (levels ?? []).map((level) => level.name);
  const engagement = useQuery({ queryKey: ["/api/v1/levels/engagement"], queryFn: () => unwrap(api.GET("/api/v1/levels/engagement")) });
  const profile = useQuery({ queryKey: ["/api/v1/levels/profile"], queryFn: () => unwrap(api.GET("/api/v1/levels/profile")) });
  const account = useQuery({ queryKey: ["/api/v1/levels/account"], queryFn: () => unwrap(api.GET("/api/v1/levels/account")), enabled: abmEnabled });
  return { engagement_level: names(engagement.data), profile_level: names(profile.data), account_level: names(account.data) };
}

function LivePreview({ groups, valid }: { groups: GroupDraft[]; valid: boolean }) {
  const [debounced] = useDebouncedValue(groups, PREVIEW_DEBOUNCE_MS);
  const conditions = groupsToConditions(debounced);
  const preview = useQuery({
    queryKey: ["/api/v1/segments/preview", conditions],
    queryFn: () => unwrap(api.POST("/api/v1/segments/preview", { body: { rules: conditions } })),
    enabled: valid && conditions.length > 0,
    placeholderData: keepPreviousData,
    retry: false,
  });
  return (
    <Card withBorder padding="md" aria-live="polite" aria-busy={preview.isFetching}>
      <Stack gap="xs">
        <Group justify="space-between">
          <Title order={4}>Live preview</Title>
          {preview.isFetching && <Loader size="xs" aria-label="Updating preview" />}
        </Group>
        {!valid || conditions.length === 0 ? (
          <Text size="sm" c="dimmed">
            Complete the rules to see how many leads they match.
          </Text>
        ) : preview.error ? (
          <Alert color="red" title="No preview">
            {toFormError(preview.error).message}
          </Alert>
        ) : preview.data ? (
          <>
            <Text size="sm">
              <Text span fw={700} fz="xl" data-testid="segment-preview-count">
                {preview.data.count.toLocaleString()}
              </Text>{" "}
              leads match now
            </Text>
            {preview.data.sample.length > 0 ? (
              <Table>
                <Table.Caption className="visually-hidden">Sample of matching leads</Table.Caption>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Top matching leads</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {preview.data.sample.map((lead) => (
                    <Table.Tr key={lead.lead_id}>
                      <Table.Td>
                        <Anchor component={Link} to={`/leads/${encodeURIComponent(lead.lead_id)}`} size="sm">
                          {typeof lead.metadata.email === "string" ? lead.metadata.email : lead.lead_id}
                        </Anchor>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            ) : (
              <Text size="sm" c="dimmed">
                No lead matches these rules yet; loosen a rule or wait for more activity.
              </Text>
            )}
          </>
        ) : (
          <Loader size="sm" aria-label="Loading preview" />
        )}
      </Stack>
    </Card>
  );
}

/** Applies the rule changes one call at a time; a refused rule's messages land at its inputs. */
async function saveRules({ segmentId, saved, groups }: { segmentId: string; saved: SavedRule[]; groups: GroupDraft[] }) {
  const plan = planRuleChanges(saved, groups);
  const path = { segment_id: segmentId };
  const atRule = async (body: { logic_group: number; order_index: number }, call: () => Promise<unknown>) => {
    try {
      await call();
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      const prefix = `groups.${body.logic_group - plan.firstGroup}.rules.${body.order_index}`;
      const fieldErrors = Object.fromEntries(Object.entries(error.fieldErrors).map(([field, message]) => [`${prefix}.${field}`, message]));
      throw new ApiError({ status: error.status, message: error.message, fieldErrors });
    }
  };
  for (const ruleId of plan.remove) {
    await unwrap(api.DELETE("/api/v1/segments/{segment_id}/rules/{rule_id}", { params: { path: { ...path, rule_id: ruleId } } }));
  }
  for (const { ruleId, body } of plan.update) {
    await atRule(body, () => unwrap(api.PUT("/api/v1/segments/{segment_id}/rules/{rule_id}", { params: { path: { ...path, rule_id: ruleId } }, body })));
  }
  for (const body of plan.create) {
    await atRule(body, () => unwrap(api.POST("/api/v1/segments/{segment_id}/rules", { params: { path }, body: { ...body, active: true } })));
  }
}

export function SegmentEditor({ segment, savedRules }: { segment?: Segment; savedRules?: SavedRule[] }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const abmEnabled = useSession().organization?.abm_enabled ?? false;
  const levelNames = useLevelNames(abmEnabled);
  const context = { levelNames, abmEnabled };
  const form = useForm<SegmentFormValues>({
    initialValues: {
      name: segment?.name ?? "",
      description: segment?.description ?? "",
      active: segment?.active ?? true,
      groups: savedRules ? rulesToGroups(savedRules) : [emptyGroup()],
    },
    validate: (values) => ({ ...(values.name.trim() ? {} : { name: "Name the segment." }), ...groupErrors(values.groups, context) }),
  });
  const valid = Object.keys(groupErrors(form.values.groups, context)).length === 0;

  const save = useMutation({
    mutationFn: async (values: SegmentFormValues) => {
      const fields = { name: values.name.trim(), description: values.description, active: values.active };
      const saved = segment
        ? await unwrap(api.PUT("/api/v1/segments/{segment_id}", { params: { path: { segment_id: segment.segment_id } }, body: fields }))
        : await unwrap(api.POST("/api/v1/segments", { body: fields }));
      await saveRules({ segmentId: saved.segment_id, saved: savedRules ?? [], groups: values.groups });
      return saved;
    },
    onSuccess: async (saved) => {
      await invalidatePaths(queryClient, ["/api/v1/segments"]);
      void navigate(`/segments/${saved.segment_id}`);
    },
    onError: (error) => form.setErrors(toFormError(error).fieldErrors),
  });

  return (
    <form onSubmit={form.onSubmit((values) => save.mutate(values))} noValidate>
      <Group align="flex-start" gap="lg" wrap="wrap">
        <Stack gap="md" style={{ flex: "2 1 560px" }}>
          <FormErrorAlert error={save.error} />
          <TextInput label="Name" required {...form.getInputProps("name")} />
          <Textarea label="Description" autosize minRows={1} {...form.getInputProps("description")} />
          <Switch label="Active (keeps its members up to date)" {...form.getInputProps("active", { type: "checkbox" })} />
          <Stack gap={4}>
            <Title order={4}>Rules</Title>
            <Text size="sm" c="dimmed">
              A lead is in the segment when every group holds. <Badge size="xs">AND</Badge> between groups; inside a group, all or any of its rules.
            </Text>
          </Stack>
          <RuleBuilder form={form} levelNames={levelNames} abmEnabled={abmEnabled} />
          <Group>
            <WriteButton type="submit" loading={save.isPending}>
              {segment ? "Save segment" : "Create segment"}
            </WriteButton>
            <Button variant="default" component={Link} to={segment ? `/segments/${segment.segment_id}` : "/segments"}>
              Cancel
            </Button>
          </Group>
        </Stack>
        <Stack style={{ flex: "1 1 300px" }}>
          <LivePreview groups={form.values.groups} valid={valid} />
        </Stack>
      </Group>
    </form>
  );
}
