import { describe, expect, it } from "vitest";
import { FEED_LENGTH, feedItem, prependToFeed } from "./liveFeed";

const now = new Date("2026-01-05T09:00:00Z");

describe("feedItem", () => {
  it("says what a score update did", () => {
    expect(feedItem("score_update", { lead_id: "ld_1", score: 42, delta: 5, scores: {} }, now, 1)).toMatchObject({ leadId: "ld_1", title: "Score +5", detail: "now 42", tone: "gain" });
    expect(feedItem("score_update", { lead_id: "ld_1", score: 3, delta: -4 }, now, 2)).toMatchObject({ title: "Score -4", tone: "loss" });
  });

  it("names an ingested event and a segment change", () => {
    expect(feedItem("event_ingested", { lead_id: "ld_2", event_type: "demo_request", channel: "web" }, now, 3)).toMatchObject({ title: "demo_request", detail: "web" });
    expect(feedItem("segment_entered", { lead_id: "ld_2", segment_id: "sg_1", segment_name: "Hot SaaS" }, now, 4)).toMatchObject({ title: "Entered segment", detail: "Hot SaaS", tone: "trigger" });
  });

  it("survives data of an unexpected shape", () => {
    expect(feedItem("surge", "not an object", now, 5)).toMatchObject({ leadId: null, title: "Surge" });
    expect(feedItem("score_update", { lead_id: { nested: true }, delta: "x" }, now, 6)).toMatchObject({ leadId: null, title: "Score 0" });
  });
});

describe("prependToFeed", () => {
  it("keeps the newest first and at most the feed's length", () => {
    let feed = prependToFeed([], feedItem("surge", {}, now, 0));
    for (let sequence = 1; sequence <= FEED_LENGTH + 5; sequence += 1) feed = prependToFeed(feed, feedItem("surge", {}, now, sequence));
    expect(feed).toHaveLength(FEED_LENGTH);
    expect(feed[0]!.key).toBe(String(FEED_LENGTH + 5));
  });
});
