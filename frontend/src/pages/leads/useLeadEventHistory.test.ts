import { renderHook } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { mergeNewest, useChartedEvents, type LeadEvent, type LeadEventHistory } from "./useLeadEventHistory";

function event(seq: number, status = "processed"): LeadEvent {
  return { id: `ev_${seq}`, lead_id: "ld", event_type: "t", timestamp: "", received_at: "", channel: "web", source: "api", metadata: {}, status, suppression_reason: null, score_delta: status === "pending" ? null : 1 };
}

describe("mergeNewest", () => {
  it("keeps each event once, newest first, the newer copy winning", () => {
    const loaded = [event(5, "pending"), event(4), event(3)];
    const merged = mergeNewest([event(6), event(5)], loaded);
    expect(merged.map((item) => [item.id, item.status])).toEqual([
      ["ev_6", "processed"],
      ["ev_5", "processed"],
      ["ev_4", "processed"],
      ["ev_3", "processed"],
    ]);
  });

  it("joins pages that overlap after new events shifted them", () => {
    const firstPage = [event(10), event(9), event(8)];
    const laterPages = [event(9), event(8), event(7), event(6)];
    expect(mergeNewest(firstPage, laterPages).map((item) => item.id)).toEqual(["ev_10", "ev_9", "ev_8", "ev_7", "ev_6"]);
  });
});

describe("useChartedEvents", () => {
  const firstPage = [event(10), event(9)];
  const morePages = [...firstPage, event(8), event(7)];
  const everything = [...morePages, event(6)];

  it("charts the first page, skips the pages between, and charts everything once complete", () => {
    const { result, rerender } = renderHook(({ leadId, history }: { leadId: string; history?: LeadEventHistory }) => useChartedEvents(leadId, history), {
      initialProps: { leadId: "ld" } as { leadId: string; history?: LeadEventHistory },
    });
    expect(result.current).toBeUndefined();
    rerender({ leadId: "ld", history: { events: firstPage, total: 5, complete: false } });
    expect(result.current).toBe(firstPage);
    rerender({ leadId: "ld", history: { events: morePages, total: 5, complete: false } });
    expect(result.current).toBe(firstPage);
    rerender({ leadId: "ld", history: { events: everything, total: 5, complete: true } });
    expect(result.current).toBe(everything);
  });

  it("never charts another lead's events", () => {
    const { result, rerender } = renderHook(({ leadId, history }: { leadId: string; history: LeadEventHistory }) => useChartedEvents(leadId, history), {
      initialProps: { leadId: "ld", history: { events: firstPage, total: 5, complete: false } },
    });
    const otherLead = [event(3)];
    rerender({ leadId: "other", history: { events: otherLead, total: 9, complete: false } });
    expect(result.current).toBe(otherLead);
  });
});
