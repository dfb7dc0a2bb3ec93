import { ActionIcon, Badge, Card, Divider, Group, SegmentedControl, Select, Stack, Text, TextInput } from "@mantine/core";
import type { UseFormReturnType } from "@mantine/form";
import { WriteButton } from "../../components/WriteButton";
import {
  LEVEL_TYPES,
  METADATA_TYPES,
  OPERATOR_LABELS,
  RULE_TYPE_LABELS,
  emptyGroup,
  emptyRule,
  needsNumber,
  operatorsFor,
  ruleTypesFor,
  takesValue,
  withRuleType,
  type GroupDraft,
  type RuleDraft,
  type RuleType,
} from "./ruleBuilder";

export interface SegmentFormValues {
  name: string;
  description: string;
  active: boolean;
  groups: GroupDraft[];
}

export type SegmentForm = UseFormReturnType<SegmentFormValues>;

interface BuilderProps {
  form: SegmentForm;
  levelNames: Partial<Record<RuleType, readonly string[]>>;
  abmEnabled: boolean;
}

function RuleRow({ form, groupIndex, ruleIndex, rule, levelNames, abmEnabled, canRemove }: BuilderProps & { groupIndex: number; ruleIndex: number; rule: RuleDraft; canRemove: boolean }) {
  const path = `groups.${groupIndex}.rules.${ruleIndex}`;
  const position = `group ${groupIndex + 1}, rule ${ruleIndex + 1}`;
  const levels = levelNames[rule.rule_type] ?? [];
  const setRule = (next: RuleDraft) => form.setFieldValue(path, next);
  return (
    <Group align="flex-start" gap="xs" wrap="wrap" data-testid="segment-rule">
      <Select
        aria-label={`Rule type, ${position}`}
        data={ruleTypesFor({ abmEnabled }).map((type) => ({ value: type, label: RULE_TYPE_LABELS[type] }))}
        value={rule.rule_type}
        onChange={(value) => value && setRule(withRuleType(rule, value as RuleType))}
        allowDeselect={false}
        error={form.errors[`${path}.rule_type`]}
        w={190}
      />
      {METADATA_TYPES.includes(rule.rule_type) && (
        <TextInput aria-label={`Property, ${position}`} placeholder="property, e.g. company.size" {...form.getInputProps(`${path}.field_name`)} w={190} />
      )}
      {rule.rule_type === "event_metadata" && (
        <TextInput aria-label={`Event type, ${position}`} placeholder="any event type" {...form.getInputProps(`${path}.event_type`)} w={160} />
      )}
      <Select
        aria-label={`Operator, ${position}`}
        data={operatorsFor(rule.rule_type).map((operator) => ({ value: operator, label: OPERATOR_LABELS[operator] }))}
        value={rule.operator}
        onChange={(value) => value && form.setFieldValue(`${path}.operator`, value)}
        allowDeselect={false}
        error={form.errors[`${path}.operator`]}
        w={160}
      />
      {takesValue(rule.operator) &&
        (LEVEL_TYPES.includes(rule.rule_type) ? (
          <Select
            aria-label={`Level, ${position}`}
            placeholder={levels.length ? "Pick a level" : "No levels yet"}
            data={[...levels]}
            value={levels.find((name) => name.toLowerCase() === rule.value.toLowerCase()) ?? null}
            onChange={(value) => form.setFieldValue(`${path}.value`, value ?? "")}
            error={form.errors[`${path}.value`]}
            w={170}
          />
        ) : (
          <TextInput
            aria-label={`Value, ${position}`}
            placeholder={needsNumber(rule) ? "a number" : "value"}
            inputMode={needsNumber(rule) ? "decimal" : undefined}
            {...form.getInputProps(`${path}.value`)}
            w={170}
          />
        ))}
      {canRemove && (
        <ActionIcon variant="subtle" color="gray" size="lg" aria-label={`Remove ${position}`} onClick={() => form.removeListItem(`groups.${groupIndex}.rules`, ruleIndex)} data-write-control="">
          ✕
        </ActionIcon>
      )}
    </Group>
  );
}

function GroupCard({ group, groupIndex, groupCount, ...props }: BuilderProps & { group: GroupDraft; groupIndex: number; groupCount: number }) {
  const { form } = props;
  const onlyRule = group.rules.length === 1 && groupCount === 1;
  return (
    <Card withBorder padding="sm" component="fieldset" aria-label={`Group ${groupIndex + 1}`} style={{ margin: 0 }}>
      <Stack gap="xs">
        <Group justify="space-between">
          <Group gap="xs">
            <Text size="sm" fw={600} id={`segment-group-${groupIndex}-op`}>
              Group {groupIndex + 1}: leads match
            </Text>
            <SegmentedControl
              size="xs"
              aria-labelledby={`segment-group-${groupIndex}-op`}
              value={group.op}
              onChange={(value) => form.setFieldValue(`groups.${groupIndex}.op`, value)}
              data={[
                { value: "AND", label: "all rules (AND)" },
                { value: "OR", label: "any rule (OR)" },
              ]}
            />
          </Group>
          {groupCount > 1 && (
            <WriteButton size="xs" variant="subtle" color="red" onClick={() => form.removeListItem("groups", groupIndex)}>
              Remove group
            </WriteButton>
          )}
        </Group>
        {group.rules.map((rule, ruleIndex) => (
          <Stack key={rule.key} gap={4}>
            {ruleIndex > 0 && (
              <Badge variant="light" color="gray" size="xs">
                {group.op === "OR" ? "or" : "and"}
              </Badge>
            )}
            <RuleRow {...props} groupIndex={groupIndex} ruleIndex={ruleIndex} rule={rule} canRemove={!onlyRule} />
          </Stack>
        ))}
        <Group>
          <WriteButton size="xs" variant="light" onClick={() => form.insertListItem(`groups.${groupIndex}.rules`, emptyRule())}>
            Add rule to group {groupIndex + 1}
          </WriteButton>
        </Group>
      </Stack>
    </Card>
  );
}

/** Groups of rules: every group must hold (AND); within a group all or any rule, as the group says. */
export function RuleBuilder(props: BuilderProps) {
  const groups = props.form.values.groups;
  return (
    <Stack gap="xs">
      {groups.map((group, groupIndex) => (
        <Stack key={group.key} gap="xs">
          {groupIndex > 0 && <Divider label="AND" labelPosition="center" />}
          <GroupCard {...props} group={group} groupIndex={groupIndex} groupCount={groups.length} />
        </Stack>
      ))}
      <Group>
        <WriteButton variant="default" size="xs" onClick={() => props.form.insertListItem("groups", emptyGroup())}>
          Add group (AND)
        </WriteButton>
      </Group>
    </Stack>
  );
}
