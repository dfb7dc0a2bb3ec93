import { describe, expect, it } from "vitest";
import { mergeNewest, type LeadEvent } from "./useLeadEventHistory";

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
