import { describe, expect, it } from "vitest";
import { NO_AUDIT_FILTERS, hasNextPage, toAuditQuery } from "./auditQuery";
import { DEFAULT, toPolicy, toPolicyForm } from "./rateLimitForm";
import { channelOptions, userOptions } from "./slackOptions";

describe("toAuditQuery", () => {
  it("pages by offset, newest first by default", () => {
    expect(toAuditQuery(NO_AUDIT_FILTERS, 3)).toEqual({ limit: 50, offset: 100, sort_by: "created_at", sort_order: "desc" });
  });

  it("sends trimmed text filters and a status class as a range", () => {
    const query = toAuditQuery({ ...NO_AUDIT_FILTERS, search: " /secrets ", userEmail: "a@b.example ", method: "DELETE", statusClass: "errors" }, 1);
    expect(query).toMatchObject({ search: "/secrets", user_email: "a@b.example", method: "DELETE", status_min: 400, status_max: 599 });
    expect(toAuditQuery({ ...NO_AUDIT_FILTERS, statusClass: "2xx", search: "  " }, 1)).not.toHaveProperty("search");
  });

  it("offers a next page only after a full one", () => {
    expect(hasNextPage(50)).toBe(true);
    expect(hasNextPage(49)).toBe(false);
  });
});

describe("rate-limit policy form", () => {
  it("shows the API's nulls as defaults and sends them back as nulls", () => {
    const form = toPolicyForm({ mode: null, key_by: null, rps: null, burst: null });
    expect(form).toEqual({ mode: DEFAULT, key_by: DEFAULT, rps: "", burst: "" });
    expect(toPolicy(form)).toEqual({ mode: null, key_by: null, rps: null, burst: null });
  });

  it("round-trips a set policy", () => {
    const policy = { mode: "enforce", key_by: "credential", rps: 12.5, burst: 40 } as const;
    expect(toPolicy(toPolicyForm(policy))).toEqual(policy);
  });
});

describe("Slack picker options", () => {
  it("lists live channels by name", () => {
    expect(channelOptions([{ id: "C1", name: "sales" }, { id: "C2", name: "old", is_archived: true }, { name: "no-id" }, { id: "C3" }])).toEqual([
      { value: "C1", label: "#sales" },
      { value: "C3", label: "C3" },
    ]);
  });

  it("lists people by display name, skipping bots and deleted accounts", () => {
    expect(
      userOptions([
        { id: "U1", real_name: "Ada Lovelace", profile: { display_name: "ada" } },
        { id: "U2", real_name: "Grace Hopper", profile: { display_name: "" } },
        { id: "U3", name: "bot", is_bot: true },
        { id: "U4", name: "gone", deleted: true },
      ]),
    ).toEqual([
      { value: "U1", label: "ada" },
      { value: "U2", label: "Grace Hopper" },
    ]);
  });
});
