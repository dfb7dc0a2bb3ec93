import { describe, expect, it } from "vitest";
import { buildScoreHistory, downsampleMinMax, markerPoints, scoreHistoryChartData, type HistoryEvent, type HistoryPoint } from "./scoreHistory";

function event(id: number, delta: number | null, extra: Partial<HistoryEvent> = {}): HistoryEvent {
  return {
    id: `ev_${id}`,
    event_type: "page_view",
    timestamp: new Date(Date.UTC(2026, 0, 1, 0, id)).toISOString(),
    status: delta === null ? "pending" : "processed",
    suppression_reason: null,
    score_delta: delta,
    ...extra,
  };
}

describe("buildScoreHistory", () => {
  it("walks back from the current score and returns the oldest event first", () => {
    // Newest first, as the API sends them: +10, then a decay of -3, then +5.
    const newestFirst = [event(3, 5), event(2, -3, { event_type: "DECAY" }), event(1, 10)];
    const points = buildScoreHistory(newestFirst, 12);
    expect(points.map((point) => [point.eventId, point.delta, point.score, point.kind])).toEqual([
      ["ev_1", 10, 10, "scored"],
      ["ev_2", -3, 7, "decay"],
      ["ev_3", 5, 12, "scored"],
    ]);
  });

  it("marks suppressed and pending events without moving the score", () => {
    const newestFirst = [event(3, null), event(2, 0, { suppression_reason: "inorganic" }), event(1, 4)];
    const points = buildScoreHistory(newestFirst, 4);
    expect(points.map((point) => [point.kind, point.score, point.suppressionReason])).toEqual([
      ["scored", 4, null],
      ["suppressed", 4, "inorganic"],
      ["pending", 4, null],
    ]);
  });

  it("ends at the current score when only the newest page is loaded", () => {
    const points = buildScoreHistory([event(9, 2), event(8, 3)], 100);
    expect(points[0]!.score).toBe(98);
    expect(points.at(-1)!.score).toBe(100);
  });

  it("is empty for a lead without events", () => {
    expect(buildScoreHistory([], 0)).toEqual([]);
  });
});

function line(scores: number[]): HistoryPoint[] {
  return scores.map((score, index) => ({ eventId: `ev_${index}`, eventType: "t", time: index, delta: 0, score, kind: "scored", suppressionReason: null }));
}

describe("downsampleMinMax", () => {
  it("keeps short histories whole", () => {
    expect(downsampleMinMax(line([1, 2, 3]), 500)).toHaveLength(3);
  });

  it("brings 10,000 points down to the target and keeps the extremes, the ends and time order", () => {
    const scores = Array.from({ length: 10_000 }, (_, index) => 100 + Math.round(20 * Math.sin(index / 50)));
    scores[4321] = -500; // one deep decay
    scores[7777] = 5000; // one spike
    const kept = downsampleMinMax(line(scores), 500);
    expect(kept.length).toBeLessThanOrEqual(500);
    expect(kept.length).toBeGreaterThan(400);
    expect(kept[0]!.eventId).toBe("ev_0");
    expect(kept.at(-1)!.eventId).toBe("ev_9999");
    expect(kept.map((point) => point.score)).toContain(-500);
    expect(kept.map((point) => point.score)).toContain(5000);
    const times = kept.map((point) => point.time);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });
});

describe("markerPoints", () => {
  it("keeps every marker when there are few and at most the cap when there are many", () => {
    const points = line(Array.from({ length: 1000 }, () => 1)).map((point, index) => ({ ...point, kind: index % 2 ? ("decay" as const) : ("scored" as const) }));
    expect(markerPoints(points.slice(0, 10), "decay", 150)).toHaveLength(5);
    const capped = markerPoints(points, "decay", 150);
    expect(capped.length).toBeLessThanOrEqual(150);
    expect(capped.length).toBeGreaterThan(100);
    expect(capped.every((point) => point.kind === "decay")).toBe(true);
  });
});

describe("scoreHistoryChartData", () => {
  it("turns 10,000 events into a chart of about 500 points quickly", () => {
    const newestFirst = Array.from({ length: 10_000 }, (_, index) =>
      event(10_000 - index, index % 100 === 0 ? -2 : 1, index % 250 === 0 ? { suppression_reason: "metadata_filter", score_delta: 0 } : {}),
    );
    const started = performance.now();
    const data = scoreHistoryChartData(newestFirst, 9000);
    expect(performance.now() - started).toBeLessThan(200);
    expect(data.eventCount).toBe(10_000);
    expect(data.line.length).toBeLessThanOrEqual(500);
    expect(data.line.at(-1)!.score).toBe(9000);
    expect(data.suppressed.length).toBe(40);
  });
});
