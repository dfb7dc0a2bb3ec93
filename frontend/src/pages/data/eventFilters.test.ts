import { describe, expect, it } from "vitest";
import { NO_FILTERS, formatDelta, hasPageFilters, localInputToIso, narrowPage, toEventsQuery, type EngagementEvent } from "./eventFilters";

function event(overrides: Partial<EngagementEvent>): EngagementEvent {
  return {
    id: "ev_1",
    lead_id: "lead-1",
    event_type: "page_view",
    timestamp: "2026-12-01T10:00:00Z",
    received_at: "2026-12-01T10:00:01Z",
    channel: "web",
    source: "api",
    metadata: {},
    status: "processed",
    suppression_reason: null,
    score_delta: 5,
    ...overrides,
  };
}

describe("toEventsQuery", () => {
  it("sends nothing for no filters", () => {
    expect(toEventsQuery(NO_FILTERS)).toEqual({});
  });

  it("sends the API's filters and leaves the page-only ones out", () => {
    const query = toEventsQuery({
      ...NO_FILTERS,
      eventTypes: ["page_view", "demo_request"],
      leadId: "  lead-7 ",
      channel: "email",
      since: "2026-12-01T09:30",
      until: "2026-12-02T00:00",
      status: "pending",
      suppression: "suppressed",
    });
    expect(query).toEqual({
      event_type: ["page_view", "demo_request"],
      lead_id: "lead-7",
      channel: "email",
      occurred_since: new Date("2026-12-01T09:30").toISOString(),
    });
  });

  it("drops a start time the browser could not read", () => {
    expect(toEventsQuery({ ...NO_FILTERS, since: "not a time" })).toEqual({});
    expect(localInputToIso("")).toBeNull();
  });
});

describe("narrowPage", () => {
  const rows = [
    event({ id: "scored" }),
    event({ id: "pending", status: "pending", score_delta: null }),
    event({ id: "suppressed", suppression_reason: "inorganic", score_delta: 0 }),
    event({ id: "late", timestamp: "2026-12-05T10:00:00Z" }),
  ];
  const ids = (filtered: EngagementEvent[]) => filtered.map((row) => row.id);

  it("keeps every row without page filters", () => {
    expect(hasPageFilters(NO_FILTERS)).toBe(false);
    expect(ids(narrowPage(rows, NO_FILTERS))).toEqual(["scored", "pending", "suppressed", "late"]);
  });

  it("filters by status, suppression and end time", () => {
    expect(ids(narrowPage(rows, { ...NO_FILTERS, status: "pending" }))).toEqual(["pending"]);
    expect(ids(narrowPage(rows, { ...NO_FILTERS, suppression: "suppressed" }))).toEqual(["suppressed"]);
    expect(ids(narrowPage(rows, { ...NO_FILTERS, suppression: "counted" }))).toEqual(["scored", "pending", "late"]);
    const until = { ...NO_FILTERS, until: "2026-12-03T00:00" };
    expect(hasPageFilters(until)).toBe(true);
    expect(ids(narrowPage(rows, until))).toEqual(["scored", "pending", "suppressed"]);
  });
});

describe("formatDelta", () => {
  it("signs gains and losses and marks unscored events", () => {
    expect(formatDelta(12)).toBe("+12");
    expect(formatDelta(-3)).toBe("−3");
    expect(formatDelta(0)).toBe("0");
    expect(formatDelta(null)).toBe("—");
  });
});
