import { describe, expect, it } from "vitest";
import type { components } from "../../api/schema";
import { EMPTY_FORM, describeCondition, describeDestinations, formErrorsFromApi, formFromTrigger, triggerBody, windowFromSeconds } from "./triggerForm";

type Sequence = components["schemas"]["SequenceOutput"];

const sequence: Sequence = {
  org_id: "org_1",
  unit_id: "ou_1",
  created_at: "2026-12-01T00:00:00Z",
  updated_at: "2026-12-01T00:00:00Z",
  created_by: null,
  updated_by: null,
  trigger_id: "tr_7",
  name: "Pricing then demo",
  description: "",
  active: true,
  webhook_url: "https://hooks.example.com/x",
  webhook_disabled_at: null,
  emails: ["ops@example.com"],
  email_subject: "",
  email_preheader: "",
  email_message: "",
  slack_target_kind: "channel",
  slack_target_id: "C123",
  teams_target_kind: "",
  teams_target_id: "",
  event_steps: ["pricing_view", "demo_request"],
  window_seconds: 7200,
  window_unit: "hours",
  ordered: true,
  fire_mode: "always",
  profile_filters: [],
  lead_attribute_filters: [],
  hubspot_sync: false,
};

describe("windows", () => {
  it("shows the stored unit when it divides the seconds, else the largest whole unit", () => {
    expect(windowFromSeconds(7200, "hours")).toEqual({ window_value: 2, window_unit: "hours" });
    expect(windowFromSeconds(7200, "days")).toEqual({ window_value: 2, window_unit: "hours" });
    expect(windowFromSeconds(90, "bogus")).toEqual({ window_value: 90, window_unit: "seconds" });
  });
});

describe("form <-> API", () => {
  it("round-trips a saved trigger through the form", () => {
    const values = formFromTrigger("sequence", sequence);
    expect(values).toMatchObject({ event_types: ["pricing_view", "demo_request"], window_value: 2, window_unit: "hours", fire_mode: "always", slack_target_kind: "channel" });
    const request = triggerBody("sequence", values);
    expect(request.kind).toBe("sequence");
    expect(request.body).toMatchObject({ event_types: ["pricing_view", "demo_request"], window_seconds: 7200, window_unit: "hours", ordered: true, slack_target_id: "C123", teams_target_kind: "" });
  });

  it("sends a Teams URL as a channel target and no Slack kind without a target", () => {
    const { body } = triggerBody("milestone", { ...EMPTY_FORM, name: " Hot ", score_threshold: 80, teams_target_id: " https://x.webhook.office.com/a ", slack_target_kind: "user" });
    expect(body).toMatchObject({ name: "Hot", score_threshold: 80, event_type: null, teams_target_kind: "channel", teams_target_id: "https://x.webhook.office.com/a", slack_target_kind: "", slack_target_id: "" });
  });

  it("drops the cooldown unless the trigger fires every time", () => {
    expect(triggerBody("segment", { ...EMPTY_FORM, segment_id: "sg_1", cooldown_seconds: 60 }).body).toMatchObject({ cooldown_seconds: 0, on: "enter" });
    expect(triggerBody("segment", { ...EMPTY_FORM, segment_id: "sg_1", fire_mode: "always", cooldown_seconds: 60 }).body).toMatchObject({ cooldown_seconds: 60 });
  });

  it("puts API errors at the form's fields", () => {
    expect(formErrorsFromApi({ window_seconds: "Too long.", "event_types.2": "Bad type.", teams_target_id: "Not public.", "conditions.0.event_type": "Required." })).toEqual({
      window_value: "Too long.",
      event_types: "Bad type.",
      teams_target_id: "Not public.",
      "conditions.0.event_type": "Required.",
    });
  });
});

describe("descriptions", () => {
  it("says what makes it fire and where it sends", () => {
    expect(describeCondition("sequence", sequence)).toBe("pricing_view → demo_request within 2 hours");
    expect(describeDestinations(sequence)).toBe("Webhook, 1 email, Slack channel");
    expect(describeDestinations({ ...sequence, webhook_url: "", emails: [], slack_target_id: "" })).toBe("Listed and streamed only");
  });
});
