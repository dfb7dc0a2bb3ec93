/** The rate-limit policy form: an empty field means "use the default" (null in the API). */
import type { components } from "../../api/schema";

export type Policy = components["schemas"]["RateLimitSettingsInputRequest"];
/** The form's view: `DEFAULT` (selects) and "" (numbers) stand for null. */
export interface PolicyForm {
  mode: string;
  key_by: string;
  rps: number | string;
  burst: number | string;
}

export const DEFAULT = "default";
export const MODES = [
  { value: DEFAULT, label: "Default" },
  { value: "off", label: "Off: never limit" },
  { value: "observe", label: "Observe: count and report, never refuse" },
  { value: "enforce", label: "Enforce: refuse with 429 over the limit" },
];
export const KEYS = [
  { value: DEFAULT, label: "Default" },
  { value: "org", label: "Per organization" },
  { value: "credential", label: "Per credential" },
  { value: "ip", label: "Per IP address" },
];

export function toPolicyForm(policy: Policy): PolicyForm {
  return { mode: policy.mode ?? DEFAULT, key_by: policy.key_by ?? DEFAULT, rps: policy.rps ?? "", burst: policy.burst ?? "" };
}

export function toPolicy(form: PolicyForm): Policy {
  const number = (value: number | string) => (value === "" ? null : Number(value));
  return {
    mode: (form.mode === DEFAULT ? null : form.mode) as Policy["mode"],
    key_by: (form.key_by === DEFAULT ? null : form.key_by) as Policy["key_by"],
    rps: number(form.rps),
    burst: number(form.burst),
  };
}
