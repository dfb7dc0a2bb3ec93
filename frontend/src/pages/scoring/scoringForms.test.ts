import { describe, expect, it } from "vitest";
import {
  describeDuration,
  describeLevelRange,
  fromLocalInput,
  levelRangeProblems,
  renameFieldErrors,
  splitDuration,
  surgedPoints,
  surgeMultiplier,
  toLocalInput,
  toMilliseconds,
} from "./scoringForms";

describe("durations", () => {
  it("shows a window in the largest unit that divides it", () => {
    expect(splitDuration(300_000)).toEqual({ amount: 5, unit: "minutes" });
    expect(splitDuration(86_400_000 * 2)).toEqual({ amount: 2, unit: "days" });
    expect(splitDuration(90_000)).toEqual({ amount: 90, unit: "seconds" });
    expect(splitDuration(1500)).toEqual({ amount: 1.5, unit: "seconds" });
  });

  it("sends what the form shows back as the same milliseconds", () => {
    for (const ms of [1000, 60_000, 90_000, 3_600_000, 7_200_000, 86_400_000]) {
      const { amount, unit } = splitDuration(ms);
      expect(toMilliseconds(amount, unit)).toBe(ms);
    }
    expect(toMilliseconds(1.5, "minutes")).toBe(90_000);
  });

  it("reads as words, singular for one", () => {
    expect(describeDuration(60_000)).toBe("1 minute");
    expect(describeDuration(7_200_000)).toBe("2 hours");
  });
});

describe("rule windows in the user's zone", () => {
  it("round-trips an API time through the datetime-local input", () => {
    const local = toLocalInput("2026-12-03T18:30:00Z");
    expect(local).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/);
    expect(fromLocalInput(local)).toBe("2026-12-03T18:30:00.000Z");
  });

  it("treats an empty input as no bound, and a bad time as none", () => {
    expect(fromLocalInput("")).toBeNull();
    expect(toLocalInput(null)).toBe("");
    expect(toLocalInput("not a time")).toBe("");
  });
});

describe("field errors under the form's names", () => {
  it("renames the API's fields the form shows differently and keeps the rest", () => {
    expect(renameFieldErrors({ time_window_ms: "Too long.", event_type: "Required." }, { time_window_ms: "time_window_amount" })).toEqual({
      time_window_amount: "Too long.",
      event_type: "Required.",
    });
  });
});

describe("levels", () => {
  it("describes an open-ended range", () => {
    expect(describeLevelRange({ min_score: 100, max_score: null })).toBe("100 and above");
    expect(describeLevelRange({ min_score: 0, max_score: 49 })).toBe("0 – 49");
  });

  it("finds no problem in contiguous levels, whatever their order", () => {
    const levels = [
      { name: "Hot", min_score: 100, max_score: null },
      { name: "Cold", min_score: 0, max_score: 49 },
      { name: "Warm", min_score: 50, max_score: 99 },
    ];
    expect(levelRangeProblems(levels)).toEqual([]);
  });

  it("names the scores in no level and the levels that overlap", () => {
    const levels = [
      { name: "Cold", min_score: 0, max_score: 49 },
      { name: "Warm", min_score: 60, max_score: 99 },
      { name: "Hot", min_score: 90, max_score: null },
    ];
    expect(levelRangeProblems(levels)).toEqual([
      "Scores 50 – 59 are in no level (between “Cold” and “Warm”).",
      "“Warm” and “Hot” overlap from 90.",
    ]);
  });

  it("says a one-score gap as one score, and an open-ended level overlaps everything above it", () => {
    expect(levelRangeProblems([{ name: "A", min_score: 0, max_score: 9 }, { name: "B", min_score: 11, max_score: 20 }])).toEqual(["Score 10 is in no level (between “A” and “B”)."]);
    expect(levelRangeProblems([{ name: "A", min_score: 0, max_score: null }, { name: "B", min_score: 50, max_score: 60 }])).toEqual(["“A” and “B” overlap from 50."]);
  });
});

describe("surge preview", () => {
  const standard = [
    { min_events: 3, multiplier: 1.25 },
    { min_events: 5, multiplier: 1.5 },
    { min_events: 10, multiplier: 2 },
  ];

  it("gives each event the band it has reached, 1 before the first", () => {
    expect([1, 2, 3, 4, 5, 9, 10, 12].map((k) => surgeMultiplier(standard, 2, k))).toEqual([1, 1, 1.25, 1.25, 1.5, 1.5, 2, 2]);
  });

  it("caps the multiplier and ignores the bands' order", () => {
    expect(surgeMultiplier([...standard].reverse(), 1.5, 12)).toBe(1.5);
    expect(surgeMultiplier([], 1, 50)).toBe(1);
  });

  it("rounds points half up, away from zero for negative weights", () => {
    expect(surgedPoints(10, 1.25)).toBe(13);
    expect(surgedPoints(5, 1.1)).toBe(6);
    expect(surgedPoints(-10, 1.25)).toBe(-13);
  });
});
