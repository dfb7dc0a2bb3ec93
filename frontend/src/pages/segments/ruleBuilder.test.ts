import { describe, expect, it } from "vitest";
import {
  emptyRule,
  groupErrors,
  groupsToConditions,
  operatorsFor,
  planRuleChanges,
  ruleTypesFor,
  rulesToGroups,
  withRuleType,
  type GroupDraft,
  type RuleDraft,
  type SavedRule,
} from "./ruleBuilder";

function saved(ruleId: string, fields: Partial<SavedRule>): SavedRule {
  return {
    org_id: "org_1",
    unit_id: "ou_1",
    created_at: "2026-12-01T00:00:00Z",
    updated_at: "2026-12-01T00:00:00Z",
    created_by: null,
    updated_by: null,
    rule_id: ruleId,
    segment_id: "sg_1",
    rule_name: "",
    rule_type: "lead_metadata",
    field_name: "country",
    operator: "equals",
    value: "DE",
    event_type: "",
    logic_group: 0,
    logic_op: "AND",
    order_index: 0,
    active: true,
    ...fields,
  };
}

function rule(fields: Partial<RuleDraft>): RuleDraft {
  return { ...emptyRule(), ...fields };
}

const context = { levelNames: { engagement_level: ["Cold", "Warm", "Hot"] }, abmEnabled: false };

describe("rules <-> groups", () => {
  // (country = DE or country = AT) and score >= 50
  const rules = [
    saved("sgr_3", { rule_type: "engagement_score", field_name: "", operator: "greater_than_or_equal", value: "50", logic_group: 4 }),
    saved("sgr_2", { value: "AT", logic_group: 1, logic_op: "OR", order_index: 1 }),
    saved("sgr_1", { value: "DE", logic_group: 1, logic_op: "OR", order_index: 0 }),
    saved("sgr_9", { value: "FR", logic_group: 1, active: false }),
  ];

  it("groups active rules by number, in display order, with the group's operator", () => {
    const groups = rulesToGroups(rules);
    expect(groups.map((group) => [group.op, group.rules.map((item) => item.ruleId)])).toEqual([
      ["OR", ["sgr_1", "sgr_2"]],
      ["AND", ["sgr_3"]],
    ]);
  });

  it("numbers the groups 0..n-1 when turning them back into conditions", () => {
    const conditions = groupsToConditions(rulesToGroups(rules));
    expect(conditions.map((item) => [item.logic_group, item.logic_op, item.value])).toEqual([
      [0, "OR", "DE"],
      [0, "OR", "AT"],
      [1, "AND", "50"],
    ]);
  });

  it("sends only the fields a rule type takes", () => {
    const [condition] = groupsToConditions([{ key: "g", op: "AND", rules: [rule({ rule_type: "engagement_level", field_name: "stale", event_type: "x", operator: "equals", value: " Hot " })] }]);
    expect(condition).toMatchObject({ field_name: "", event_type: "", value: "Hot" });
    const [empty] = groupsToConditions([{ key: "g", op: "AND", rules: [rule({ field_name: "company", operator: "is_empty", value: "left over" })] }]);
    expect(empty?.value).toBe("");
  });
});

describe("operators and validation", () => {
  it("offers level rules only equality and the score only comparisons", () => {
    expect(operatorsFor("profile_level")).toEqual(["equals", "not_equals"]);
    expect(operatorsFor("engagement_score")).not.toContain("contains");
    expect(operatorsFor("lead_metadata")).toContain("is_not_empty");
  });

  it("offers account rules only with ABM", () => {
    expect(ruleTypesFor({ abmEnabled: false })).not.toContain("account_level");
    expect(ruleTypesFor({ abmEnabled: true })).toContain("account_metadata");
  });

  it("keeps an operator the new type takes and drops what it does not", () => {
    const changed = withRuleType(rule({ field_name: "country", operator: "contains", value: "DE" }), "engagement_level");
    expect(changed).toMatchObject({ operator: "equals", field_name: "", value: "" });
    expect(withRuleType(rule({ operator: "not_equals", value: "5" }), "engagement_score")).toMatchObject({ operator: "not_equals", value: "5" });
  });

  it("puts each mistake at its field", () => {
    const groups: GroupDraft[] = [
      { key: "a", op: "AND", rules: [rule({ field_name: "" }), rule({ rule_type: "engagement_score", operator: "greater_than", value: "1e999999" })] },
      { key: "b", op: "OR", rules: [rule({ rule_type: "engagement_level", operator: "equals", value: "Lukewarm" }), rule({ rule_type: "account_level", operator: "equals", value: "A" })] },
      { key: "c", op: "OR", rules: [rule({ field_name: "plan.tier", operator: "greater_than", value: "abc" }), rule({ field_name: "a..b" })] },
    ];
    expect(groupErrors(groups, context)).toEqual({
      "groups.0.rules.0.field_name": expect.any(String),
      "groups.0.rules.1.value": "Enter a number.",
      "groups.1.rules.0.value": "Pick a level.",
      "groups.1.rules.1.rule_type": expect.stringContaining("ABM"),
      "groups.2.rules.0.value": "Enter a number.",
      "groups.2.rules.1.field_name": expect.any(String),
    });
  });

  it("accepts level names whatever their case, and valid numbers", () => {
    const groups: GroupDraft[] = [{ key: "a", op: "AND", rules: [rule({ rule_type: "engagement_level", operator: "equals", value: "hot" }), rule({ rule_type: "engagement_score", operator: "less_than", value: " -2.5e3 " })] }];
    expect(groupErrors(groups, context)).toEqual({});
  });
});

describe("planRuleChanges", () => {
  it("deletes removed rules, updates changed ones, creates new ones and leaves the rest", () => {
    const current = [saved("sgr_1", { value: "DE" }), saved("sgr_2", { value: "AT", order_index: 1 }), saved("sgr_3", { value: "FR", order_index: 2 })];
    const [group] = rulesToGroups(current);
    if (!group) throw new Error("one group expected");
    const [first, , third] = group.rules;
    if (!first || !third) throw new Error("three rules expected");
    group.rules = [first, { ...third, value: "IT" }, rule({ field_name: "plan", value: "pro" })];
    const plan = planRuleChanges(current, [group]);
    expect(plan.remove).toEqual(["sgr_2"]);
    expect(plan.update).toEqual([{ ruleId: "sgr_3", body: expect.objectContaining({ value: "IT", order_index: 1, logic_group: 0 }) }]);
    expect(plan.create).toEqual([expect.objectContaining({ field_name: "plan", value: "pro", order_index: 2, logic_group: 0 })]);
  });

  it("moves the groups to fresh numbers when a step would mix AND and OR in one group", () => {
    const current = [saved("sgr_1", { value: "DE" }), saved("sgr_2", { value: "AT", order_index: 1 })];
    const groups = rulesToGroups(current).map((group) => ({ ...group, op: "OR" as const }));
    const plan = planRuleChanges(current, groups);
    expect(plan.firstGroup).toBe(1);
    expect(plan.update.map((step) => [step.ruleId, step.body.logic_group, step.body.logic_op])).toEqual([
      ["sgr_1", 1, "OR"],
      ["sgr_2", 1, "OR"],
    ]);
  });

  it("keeps the numbers when every step is consistent", () => {
    const current = [saved("sgr_1", { value: "DE" })];
    const groups = [...rulesToGroups(current), { key: "new", op: "OR" as const, rules: [rule({ field_name: "a", value: "1" }), rule({ field_name: "b", value: "2" })] }];
    const plan = planRuleChanges(current, groups);
    expect(plan.update).toEqual([]);
    expect(plan.create.map((body) => [body.logic_group, body.logic_op])).toEqual([
      [1, "OR"],
      [1, "OR"],
    ]);
  });
});
