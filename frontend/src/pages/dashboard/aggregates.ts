/**
 * The dashboard's derived numbers. The API has no histogram or time-series route, so the
 * page counts with what it has: leads per score band are `GET /leads?min_score&max_score`
 * totals, and events per day are differences of `GET /events?occurred_since` totals (each a
 * count of events at or after a day's start). Pure: the page fetches, these shape.
 */

export interface ScoreBucket {
  label: string;
  min: number;
  /** Inclusive; null: no upper bound. */
  max: number | null;
}

/** About `count` equal integer bands from 0 to the top score, the last open-ended. */
export function scoreBuckets(topScore: number, count = 8): ScoreBucket[] {
  const width = Math.max(1, Math.ceil((Math.max(topScore, 0) + 1) / count));
  const buckets: ScoreBucket[] = [];
  for (let min = 0; buckets.length < count && (buckets.length === 0 || min <= topScore); min += width) {
    const last = buckets.length === count - 1 || min + width > topScore;
    buckets.push({ label: last ? `${min}+` : `${min}–${min + width - 1}`, min, max: last ? null : min + width - 1 });
  }
  return buckets;
}

export interface DayCount {
  /** Start of the day in the user's time zone. */
  day: Date;
  count: number;
}

/** Midnight (user's time zone) of each of the last `days` days, oldest first. */
export function dayStarts(now: Date, days: number): Date[] {
  const today = new Date(now.getFullYear(), now.getMonth(), now.getDate());
  return Array.from({ length: days }, (_, index) => new Date(today.getFullYear(), today.getMonth(), today.getDate() - (days - 1 - index)));
}

/** Per-day counts from "events since the start of each day" totals (same order as `starts`). */
export function countsPerDay(starts: readonly Date[], totalsSince: readonly number[]): DayCount[] {
  return starts.map((day, index) => {
    const next = totalsSince[index + 1] ?? 0;
    return { day, count: Math.max(0, (totalsSince[index] ?? 0) - next) };
  });
}
