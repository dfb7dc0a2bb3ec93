/**
 * The rule builder's model: a segment's rules as logic groups, and back.
 *
 * The API stores flat rules, each with a `logic_group` number and a `logic_op`; a lead is a
 * member when every group holds, and a group holds when all (AND) or one (OR) of its rules
 * does. The builder shows groups (ANDed, one operator per group) and turns them back into rules
 * numbered 0..n-1 in display order. Validation mirrors the API's (segments/rules.py) so a
 * mistake shows at its field before anything is sent; the API still has the last word.
 *
 * Saving goes rule by rule (the API has no bulk replace), and the API refuses any step that
 * leaves one group with both AND and OR rules. `planRuleChanges` orders the steps (deletes,
 * updates, creates) and, when some step would mix operators in a group number still used by
 * other rules, moves every group to fresh numbers above the ones in use.
 */
import type { components } from "../../api/schema";

export type RuleType = components["schemas"]["RuleTypeEnum"];
export type Operator = components["schemas"]["SegmentRuleOperatorEnum"];
export type LogicOp = components["schemas"]["LogicOpEnum"];
export type SavedRule = components["schemas"]["SegmentRuleOutput"];
export type RuleCondition = components["schemas"]["SegmentRuleConditionRequest"];

export interface RuleDraft {
  /** Stable React key; a saved rule's id when it has one. */
  key: string;
  ruleId?: string;
  rule_type: RuleType;
  field_name: string;
  operator: Operator;
  value: string;
  event_type: string;
}

export interface GroupDraft {
  key: string;
  op: LogicOp;
  rules: RuleDraft[];
}

export const RULE_TYPE_LABELS: Record<RuleType, string> = {
  lead_metadata: "Lead property",
  event_metadata: "Event property",
  engagement_level: "Engagement level",
  profile_level: "Profile (fit) level",
  engagement_score: "Engagement score",
  account_metadata: "Account property",
  account_level: "Account level",
};

export const OPERATOR_LABELS: Record<Operator, string> = {
  equals: "is",
  not_equals: "is not",
  contains: "contains",
  starts_with: "starts with",
  ends_with: "ends with",
  greater_than: "is greater than",
  less_than: "is less than",
  greater_than_or_equal: "is at least",
  less_than_or_equal: "is at most",
  is_empty: "is empty",
  is_not_empty: "is not empty",
};

const EQUALITY: Operator[] = ["equals", "not_equals"];
const NUMERIC: Operator[] = ["greater_than", "less_than", "greater_than_or_equal", "less_than_or_equal"];
const ALL_OPERATORS: Operator[] = [...EQUALITY, "contains", "starts_with", "ends_with", ...NUMERIC, "is_empty", "is_not_empty"];

export const METADATA_TYPES: readonly RuleType[] = ["lead_metadata", "event_metadata", "account_metadata"];
export const LEVEL_TYPES: readonly RuleType[] = ["engagement_level", "profile_level", "account_level"];
export const ABM_TYPES: readonly RuleType[] = ["account_metadata", "account_level"];

export function operatorsFor(ruleType: RuleType): Operator[] {
  if (LEVEL_TYPES.includes(ruleType)) return EQUALITY;
  if (ruleType === "engagement_score") return [...EQUALITY, ...NUMERIC];
  return ALL_OPERATORS;
}

export function ruleTypesFor({ abmEnabled }: { abmEnabled: boolean }): RuleType[] {
  return (Object.keys(RULE_TYPE_LABELS) as RuleType[]).filter((type) => abmEnabled || !ABM_TYPES.includes(type));
}

export function takesValue(operator: Operator): boolean {
  return operator !== "is_empty" && operator !== "is_not_empty";
}

export function needsNumber(rule: Pick<RuleDraft, "rule_type" | "operator">): boolean {
  return rule.rule_type === "engagement_score" || NUMERIC.includes(rule.operator);
}

/** The same numbers the API reads (no NaN, no infinities, a bounded exponent). */
const NUMBER = /^\s*[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]{1,3})?\s*$/;

let nextKey = 0;
export function newKey(prefix: string): string {
  nextKey += 1;
  return `${prefix}-${nextKey}`;
}

export function emptyRule(ruleType: RuleType = "lead_metadata"): RuleDraft {
  return { key: newKey("rule"), rule_type: ruleType, field_name: "", operator: "equals", value: "", event_type: "" };
}

export function emptyGroup(): GroupDraft {
  return { key: newKey("group"), op: "AND", rules: [emptyRule()] };
}

/** A rule after its type changed: an operator the type takes, and no leftovers of the old type. */
export function withRuleType(rule: RuleDraft, ruleType: RuleType): RuleDraft {
  return {
    ...rule,
    rule_type: ruleType,
    // Every rule type takes equals.
    operator: operatorsFor(ruleType).includes(rule.operator) ? rule.operator : "equals",
    field_name: METADATA_TYPES.includes(ruleType) ? rule.field_name : "",
    event_type: ruleType === "event_metadata" ? rule.event_type : "",
    value: LEVEL_TYPES.includes(ruleType) !== LEVEL_TYPES.includes(rule.rule_type) ? "" : rule.value,
  };
}

/** A saved segment's active rules as groups, in group number then display order. */
export function rulesToGroups(rules: readonly SavedRule[]): GroupDraft[] {
  const byGroup = new Map<number, SavedRule[]>();
  for (const rule of rules) {
    if (!rule.active) continue;
    byGroup.set(rule.logic_group, [...(byGroup.get(rule.logic_group) ?? []), rule]);
  }
  return [...byGroup.entries()]
    .sort(([a], [b]) => a - b)
    .map(([number, members]) => ({
      key: `group-${number}`,
      op: members[0]?.logic_op === "OR" ? "OR" : "AND",
      rules: [...members]
        .sort((a, b) => a.order_index - b.order_index)
        .map((rule) => ({
          key: rule.rule_id,
          ruleId: rule.rule_id,
          rule_type: rule.rule_type as RuleType,
          field_name: rule.field_name,
          operator: rule.operator as Operator,
          value: rule.value,
          event_type: rule.event_type,
        })),
    }));
}

function toCondition(rule: RuleDraft, logicGroup: number, op: LogicOp): RuleCondition {
  return {
    rule_type: rule.rule_type,
    operator: rule.operator,
    field_name: METADATA_TYPES.includes(rule.rule_type) ? rule.field_name.trim() : "",
    value: takesValue(rule.operator) ? rule.value.trim() : "",
    event_type: rule.rule_type === "event_metadata" ? rule.event_type.trim() : "",
    logic_group: logicGroup,
    logic_op: op,
  };
}

/** The groups as the API's rule conditions (what `/segments/preview` takes). */
export function groupsToConditions(groups: readonly GroupDraft[]): RuleCondition[] {
  return groups.flatMap((group, index) => group.rules.map((rule) => toCondition(rule, index, group.op)));
}

export interface ValidationContext {
  levelNames: Partial<Record<RuleType, readonly string[]>>;
  abmEnabled: boolean;
}

/** What is wrong with one rule, by its field (empty when nothing is). */
export function ruleErrors(rule: RuleDraft, { levelNames, abmEnabled }: ValidationContext): Partial<Record<"rule_type" | "field_name" | "operator" | "value" | "event_type", string>> {
  if (ABM_TYPES.includes(rule.rule_type) && !abmEnabled) return { rule_type: "Account rules need account-based marketing (ABM) enabled." };
  if (!operatorsFor(rule.rule_type).includes(rule.operator)) return { operator: "Pick an operator this rule type takes." };
  if (METADATA_TYPES.includes(rule.rule_type) && !rule.field_name.trim().split(".").every(Boolean)) {
    return { field_name: "Name a property (a dotted path for nested objects)." };
  }
  if (LEVEL_TYPES.includes(rule.rule_type)) {
    const names = levelNames[rule.rule_type] ?? [];
    if (!names.some((name) => name.toLowerCase() === rule.value.trim().toLowerCase())) {
      return { value: names.length ? "Pick a level." : "No levels of this kind yet: add them under Scoring." };
    }
    return {};
  }
  if (needsNumber(rule) && !NUMBER.test(rule.value)) return { value: "Enter a number." };
  return {};
}

/** Every field error of the builder, at the dotted path of its input ("groups.0.rules.1.value"). */
export function groupErrors(groups: readonly GroupDraft[], context: ValidationContext): Record<string, string> {
  const errors: Record<string, string> = {};
  groups.forEach((group, groupIndex) =>
    group.rules.forEach((rule, ruleIndex) => {
      for (const [field, message] of Object.entries(ruleErrors(rule, context))) {
        errors[`groups.${groupIndex}.rules.${ruleIndex}.${field}`] = message;
      }
    }),
  );
  return errors;
}

export interface RuleChanges {
  /** The logic group number of the builder's first group (its index is `logic_group - firstGroup`). */
  firstGroup: number;
  remove: string[];
  update: { ruleId: string; body: RuleCondition & { order_index: number } }[];
  create: (RuleCondition & { order_index: number })[];
}

interface Placed {
  ruleId?: string;
  body: RuleCondition & { order_index: number };
}

function place(groups: readonly GroupDraft[], firstGroup: number): Placed[] {
  return groups.flatMap((group, index) =>
    group.rules.map((rule, order) => ({ ruleId: rule.ruleId, body: { ...toCondition(rule, firstGroup + index, group.op), order_index: order } })),
  );
}

function changed(saved: SavedRule, body: Placed["body"]): boolean {
  return (
    saved.rule_type !== body.rule_type ||
    saved.operator !== body.operator ||
    saved.field_name !== body.field_name ||
    saved.value !== body.value ||
    saved.event_type !== body.event_type ||
    saved.logic_group !== body.logic_group ||
    saved.logic_op !== body.logic_op ||
    saved.order_index !== body.order_index
  );
}

/** Whether applying the steps in order ever leaves a group with both operators. */
function mixesOperators(saved: readonly SavedRule[], changes: RuleChanges): boolean {
  const state = new Map<string, { group: number; op: string }>();
  for (const rule of saved) if (rule.active) state.set(rule.rule_id, { group: rule.logic_group, op: rule.logic_op });
  const mixed = () => {
    const ops = new Map<number, string>();
    for (const { group, op } of state.values()) {
      if ((ops.get(group) ?? op) !== op) return true;
      ops.set(group, op);
    }
    return false;
  };
  for (const ruleId of changes.remove) state.delete(ruleId);
  for (const { ruleId, body } of changes.update) {
    state.set(ruleId, { group: body.logic_group, op: body.logic_op });
    if (mixed()) return true;
  }
  changes.create.forEach((body, index) => {
    state.set(`new-${index}`, { group: body.logic_group, op: body.logic_op });
  });
  return mixed();
}

function diff(saved: readonly SavedRule[], groups: readonly GroupDraft[], firstGroup: number): RuleChanges {
  const placed = place(groups, firstGroup);
  const savedById = new Map(saved.filter((rule) => rule.active).map((rule) => [rule.rule_id, rule]));
  const kept = new Set(placed.flatMap((item) => (item.ruleId ? [item.ruleId] : [])));
  return {
    firstGroup,
    remove: [...savedById.keys()].filter((ruleId) => !kept.has(ruleId)),
    update: placed.flatMap((item) => {
      const current = item.ruleId ? savedById.get(item.ruleId) : undefined;
      return item.ruleId && current && changed(current, item.body) ? [{ ruleId: item.ruleId, body: item.body }] : [];
    }),
    create: placed.filter((item) => !item.ruleId || !savedById.has(item.ruleId)).map((item) => item.body),
  };
}

/** The API calls that turn the saved rules into the builder's groups (inactive rules stay as they are). */
export function planRuleChanges(saved: readonly SavedRule[], groups: readonly GroupDraft[]): RuleChanges {
  const inPlace = diff(saved, groups, 0);
  if (!mixesOperators(saved, inPlace)) return inPlace;
  const firstFree = Math.max(-1, ...saved.map((rule) => rule.logic_group)) + 1;
  return diff(saved, groups, firstFree);
}
