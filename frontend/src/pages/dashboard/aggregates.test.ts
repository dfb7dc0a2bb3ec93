import { describe, expect, it } from "vitest";
import { countsPerDay, dayStarts, scoreBuckets } from "./aggregates";

describe("scoreBuckets", () => {
  it("splits 0..top into equal bands, the last one open", () => {
    expect(scoreBuckets(79, 8).map((bucket) => bucket.label)).toEqual(["0–9", "10–19", "20–29", "30–39", "40–49", "50–59", "60–69", "70+"]);
    expect(scoreBuckets(79, 8).at(-1)).toEqual({ label: "70+", min: 70, max: null });
  });

  it("stays small when every lead is at 0", () => {
    expect(scoreBuckets(0)).toEqual([{ label: "0+", min: 0, max: null }]);
  });

  it("covers a huge top score with contiguous bands", () => {
    const buckets = scoreBuckets(1_000_000, 8);
    expect(buckets).toHaveLength(8);
    buckets.slice(1).forEach((bucket, index) => expect(bucket.min).toBe((buckets[index]!.max ?? -1) + 1));
  });
});

describe("events per day", () => {
  it("starts each day at local midnight, oldest first", () => {
    const starts = dayStarts(new Date(2026, 2, 10, 15, 30), 3);
    expect(starts.map((day) => [day.getDate(), day.getHours()])).toEqual([
      [8, 0],
      [9, 0],
      [10, 0],
    ]);
  });

  it("takes differences of the totals since each day", () => {
    const starts = dayStarts(new Date(2026, 2, 10), 3);
    expect(countsPerDay(starts, [12, 7, 2]).map((day) => day.count)).toEqual([5, 5, 2]);
  });
});
