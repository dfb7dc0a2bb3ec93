/**
 * Triggers of every kind as one form model, and the API's request bodies and answers.
 *
 * Every kind shares a name, a description, `active` and the destinations (webhook, emails,
 * Slack channel or user, Teams incoming webhook); each kind adds its own condition fields. The
 * form keeps a window as a number and a unit; the API stores seconds (and the unit to show).
 * API field errors are renamed to the form's fields (`apiFieldToFormPath`).
 */
import type { components } from "../../api/schema";

type Schemas = components["schemas"];

export type TriggerKind = "milestone" | "sequence" | "pattern" | "surge" | "segment";
export type WindowUnit = Schemas["WindowUnitEnum"];
export type FireMode = Schemas["FireModeEnum"];
export type TriggerOutput = Schemas["MilestoneOutput"] | Schemas["SequenceOutput"] | Schemas["PatternOutput"] | Schemas["SurgeTriggerOutput"] | Schemas["SegmentTriggerOutput"];
export type SlackTargetKind = "" | Schemas["SlackTargetKindEnum"];

export const TRIGGER_KINDS: readonly TriggerKind[] = ["milestone", "sequence", "pattern", "surge", "segment"];

export const KIND_INFO: Record<TriggerKind, { label: string; summary: string; simulates: boolean; listsFirings: boolean }> = {
  milestone: { label: "Milestone", summary: "Fires when a lead's score crosses a threshold.", simulates: true, listsFirings: true },
  sequence: { label: "Sequence", summary: "Fires when a lead does a series of events within a window.", simulates: true, listsFirings: true },
  pattern: { label: "Pattern", summary: "Fires when a lead does enough events of some types within a window.", simulates: false, listsFirings: false },
  surge: { label: "Surge", summary: "Fires when a lead's activity spikes: many events within a short window.", simulates: true, listsFirings: false },
  segment: { label: "Segment", summary: "Fires when a lead enters or leaves a segment.", simulates: false, listsFirings: true },
};

export function isTriggerKind(value: string | undefined): value is TriggerKind {
  return TRIGGER_KINDS.includes(value as TriggerKind);
}

export const WINDOW_SECONDS: Record<WindowUnit, number> = { seconds: 1, minutes: 60, hours: 3600, days: 86_400 };

export interface PatternConditionDraft {
  event_type: string;
  min_count: number;
}

export interface TriggerFormValues {
  name: string;
  description: string;
  active: boolean;
  webhook_url: string;
  emails: string[];
  email_subject: string;
  email_message: string;
  slack_target_kind: SlackTargetKind;
  slack_target_id: string;
  /** A Teams incoming-webhook URL; empty: no Teams post. */
  teams_target_id: string;
  // milestone, surge: "" means any event type
  event_type: string;
  score_threshold: number | "";
  fire_mode: FireMode;
  cooldown_seconds: number;
  // sequence
  event_types: string[];
  ordered: boolean;
  // sequence, pattern, surge
  window_value: number | "";
  window_unit: WindowUnit;
  // pattern
  conditions: PatternConditionDraft[];
  // surge
  threshold_count: number | "";
  // segment
  segment_id: string;
  on: Schemas["OnEnum"];
}

export const EMPTY_FORM: TriggerFormValues = {
  name: "",
  description: "",
  active: true,
  webhook_url: "",
  emails: [],
  email_subject: "",
  email_message: "",
  slack_target_kind: "",
  slack_target_id: "",
  teams_target_id: "",
  event_type: "",
  score_threshold: "",
  fire_mode: "once",
  cooldown_seconds: 0,
  event_types: [],
  ordered: true,
  window_value: 1,
  window_unit: "hours",
  conditions: [{ event_type: "", min_count: 1 }],
  threshold_count: "",
  segment_id: "",
  on: "enter",
};

/** The window in the largest unit that shows it whole (the stored unit when it does). */
export function windowFromSeconds(seconds: number, storedUnit: string): { window_value: number; window_unit: WindowUnit } {
  const stored = storedUnit in WINDOW_SECONDS ? (storedUnit as WindowUnit) : undefined;
  if (stored && seconds % WINDOW_SECONDS[stored] === 0) return { window_value: seconds / WINDOW_SECONDS[stored], window_unit: stored };
  const unit = (["days", "hours", "minutes"] as const).find((candidate) => seconds % WINDOW_SECONDS[candidate] === 0) ?? "seconds";
  return { window_value: seconds / WINDOW_SECONDS[unit], window_unit: unit };
}

/** "2 hours", "1 day", "90 seconds". */
export function describeWindow(seconds: number, storedUnit: string): string {
  const { window_value, window_unit } = windowFromSeconds(seconds, storedUnit);
  return `${window_value} ${window_value === 1 ? window_unit.slice(0, -1) : window_unit}`;
}

function numberOr(value: number | "", fallback: number): number {
  return value === "" ? fallback : value;
}

/** The form's values for a saved trigger of that kind. */
export function formFromTrigger(kind: TriggerKind, trigger: TriggerOutput): TriggerFormValues {
  const common: TriggerFormValues = {
    ...EMPTY_FORM,
    name: trigger.name,
    description: trigger.description,
    active: trigger.active,
    webhook_url: trigger.webhook_url,
    emails: trigger.emails,
    email_subject: trigger.email_subject,
    email_message: trigger.email_message,
    slack_target_kind: trigger.slack_target_kind === "channel" || trigger.slack_target_kind === "user" ? trigger.slack_target_kind : "",
    slack_target_id: trigger.slack_target_id,
    teams_target_id: trigger.teams_target_id,
  };
  const window = "window_seconds" in trigger ? windowFromSeconds(trigger.window_seconds, trigger.window_unit) : {};
  const fireMode = "fire_mode" in trigger && trigger.fire_mode === "always" ? "always" : "once";
  switch (kind) {
    case "milestone": {
      const milestone = trigger as Schemas["MilestoneOutput"];
      return { ...common, event_type: milestone.event_type ?? "", score_threshold: milestone.score_threshold, fire_mode: fireMode, cooldown_seconds: milestone.cooldown_seconds };
    }
    case "sequence": {
      const sequence = trigger as Schemas["SequenceOutput"];
      return { ...common, ...window, event_types: sequence.event_steps, ordered: sequence.ordered, fire_mode: fireMode };
    }
    case "pattern": {
      const pattern = trigger as Schemas["PatternOutput"];
      return { ...common, ...window, conditions: pattern.conditions.map(({ event_type, min_count }) => ({ event_type, min_count })) };
    }
    case "surge": {
      const surge = trigger as Schemas["SurgeTriggerOutput"];
      return { ...common, ...window, event_type: surge.event_type ?? "", threshold_count: surge.threshold_count };
    }
    case "segment": {
      const segment = trigger as Schemas["SegmentTriggerOutput"];
      return { ...common, segment_id: segment.segment_id, on: segment.on === "exit" ? "exit" : "enter", fire_mode: fireMode, cooldown_seconds: segment.cooldown_seconds };
    }
  }
}

export type TriggerBody =
  | { kind: "milestone"; body: Schemas["MilestoneInputRequest"] }
  | { kind: "sequence"; body: Schemas["SequenceInputRequest"] }
  | { kind: "pattern"; body: Schemas["PatternInputRequest"] }
  | { kind: "surge"; body: Schemas["SurgeTriggerInputRequest"] }
  | { kind: "segment"; body: Schemas["SegmentTriggerInputRequest"] };

/**
 * The request body for the form's values. Empty destinations are sent empty so that saving
 * removes one; numbers left blank go as 0 for the API to name the field.
 */
export function triggerBody(kind: TriggerKind, values: TriggerFormValues): TriggerBody {
  const common = {
    name: values.name.trim(),
    description: values.description,
    active: values.active,
    webhook_url: values.webhook_url.trim(),
    emails: values.emails.map((email) => email.trim()).filter(Boolean),
    email_subject: values.email_subject,
    email_preheader: "",
    email_message: values.email_message,
    slack_target_kind: values.slack_target_id ? values.slack_target_kind : "",
    slack_target_id: values.slack_target_kind ? values.slack_target_id : "",
    teams_target_kind: values.teams_target_id.trim() ? "channel" : "",
    teams_target_id: values.teams_target_id.trim(),
  } as const;
  const window = {
    window_seconds: numberOr(values.window_value, 0) * WINDOW_SECONDS[values.window_unit],
    window_unit: values.window_unit,
  };
  const eventType = values.event_type.trim() || null;
  switch (kind) {
    case "milestone":
      return { kind, body: { ...common, event_type: eventType, score_threshold: numberOr(values.score_threshold, 0), fire_mode: values.fire_mode, cooldown_seconds: values.fire_mode === "always" ? values.cooldown_seconds : 0 } };
    case "sequence":
      return { kind, body: { ...common, ...window, event_types: values.event_types, ordered: values.ordered, fire_mode: values.fire_mode, hubspot_sync: false } };
    case "pattern":
      return { kind, body: { ...common, ...window, conditions: values.conditions.map(({ event_type, min_count }) => ({ event_type: event_type.trim(), min_count })) } };
    case "surge":
      return { kind, body: { ...common, ...window, event_type: eventType, threshold_count: numberOr(values.threshold_count, 0) } };
    case "segment":
      return { kind, body: { ...common, segment_id: values.segment_id, on: values.on, fire_mode: values.fire_mode, cooldown_seconds: values.fire_mode === "always" ? values.cooldown_seconds : 0 } };
  }
}

/** Where the form shows an API field error ("window_seconds" is entered as a number and a unit). */
export function apiFieldToFormPath(field: string): string {
  if (field === "window_seconds" || field === "window_unit") return "window_value";
  if (field === "teams_target_kind") return "teams_target_id";
  if (field === "slack_target_kind") return "slack_target_id";
  if (field.startsWith("event_types.")) return "event_types";
  if (field.startsWith("emails.")) return "emails";
  return field;
}

export function formErrorsFromApi(fieldErrors: Record<string, string>): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const [field, message] of Object.entries(fieldErrors)) {
    const path = apiFieldToFormPath(field);
    errors[path] = errors[path] ? `${errors[path]} ${message}` : message;
  }
  return errors;
}

/** The destinations a trigger sends to, in words ("Webhook, 2 emails, Slack channel"). */
export function describeDestinations(trigger: Pick<TriggerOutput, "webhook_url" | "emails" | "slack_target_id" | "slack_target_kind" | "teams_target_id">): string {
  const parts = [
    trigger.webhook_url && "Webhook",
    trigger.emails.length > 0 && `${trigger.emails.length} email${trigger.emails.length === 1 ? "" : "s"}`,
    trigger.slack_target_id && `Slack ${trigger.slack_target_kind || "target"}`,
    trigger.teams_target_id && "Teams",
  ].filter((part): part is string => Boolean(part));
  return parts.length ? parts.join(", ") : "Listed and streamed only";
}

/** One line on what makes the trigger fire. */
export function describeCondition(kind: TriggerKind, trigger: TriggerOutput): string {
  const anyType = (eventType: string | null) => (eventType ? `${eventType} events` : "any event");
  switch (kind) {
    case "milestone": {
      const milestone = trigger as Schemas["MilestoneOutput"];
      return `Score reaches ${milestone.score_threshold} on ${anyType(milestone.event_type)}`;
    }
    case "sequence": {
      const sequence = trigger as Schemas["SequenceOutput"];
      return `${sequence.event_steps.join(sequence.ordered ? " → " : " + ")} within ${describeWindow(sequence.window_seconds, sequence.window_unit)}`;
    }
    case "pattern": {
      const pattern = trigger as Schemas["PatternOutput"];
      return `${pattern.conditions.map((condition) => `${condition.min_count}× ${condition.event_type}`).join(" and ")} within ${describeWindow(pattern.window_seconds, pattern.window_unit)}`;
    }
    case "surge": {
      const surge = trigger as Schemas["SurgeTriggerOutput"];
      return `${surge.threshold_count} × ${anyType(surge.event_type)} within ${describeWindow(surge.window_seconds, surge.window_unit)}`;
    }
    case "segment": {
      const segment = trigger as Schemas["SegmentTriggerOutput"];
      return `${segment.on === "exit" ? "Leaves" : "Enters"} segment ${segment.segment_id}`;
    }
  }
}
