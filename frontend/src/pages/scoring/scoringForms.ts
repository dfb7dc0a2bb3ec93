/**
 * What the scoring forms show and send, apart from React: durations in the unit people think
 * in (the API stores milliseconds), rule windows in the user's local time (the API speaks UTC),
 * gaps and overlaps between levels, and the multiplier a surge policy gives the k-th event.
 */

export type DurationUnit = "seconds" | "minutes" | "hours" | "days";

export const DURATION_UNIT_MS: Record<DurationUnit, number> = {
  seconds: 1000,
  minutes: 60_000,
  hours: 3_600_000,
  days: 86_400_000,
};

const UNITS_LARGEST_FIRST: DurationUnit[] = ["days", "hours", "minutes", "seconds"];

/** The largest unit that divides `ms` exactly: 300000 → 5 minutes; 1500 stays 1.5 seconds. */
export function splitDuration(ms: number): { amount: number; unit: DurationUnit } {
  for (const unit of UNITS_LARGEST_FIRST) {
    const size = DURATION_UNIT_MS[unit];
    if (ms >= size && ms % size === 0) return { amount: ms / size, unit };
  }
  return { amount: ms / DURATION_UNIT_MS.seconds, unit: "seconds" };
}

export function toMilliseconds(amount: number, unit: DurationUnit): number {
  return Math.round(amount * DURATION_UNIT_MS[unit]);
}

/** "5 minutes", "1 day", "1.5 seconds". */
export function describeDuration(ms: number): string {
  const { amount, unit } = splitDuration(ms);
  return `${amount.toLocaleString()} ${amount === 1 ? unit.slice(0, -1) : unit}`;
}

function pad(value: number): string {
  return String(value).padStart(2, "0");
}

/** An API time (RFC 3339) as the value of a `datetime-local` input, in the user's zone. */
export function toLocalInput(iso: string | null | undefined): string {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** A `datetime-local` value (the user's zone) as an API time in UTC; empty: null. */
export function fromLocalInput(local: string): string | null {
  if (!local) return null;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** API field errors under the names the form uses for them (`time_window_ms` → `time_window_amount`). */
export function renameFieldErrors(errors: Record<string, string>, names: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(errors).map(([field, message]) => [names[field] ?? field, message]));
}

export interface LevelRange {
  name: string;
  min_score: number;
  max_score: number | null;
}

/** "0 – 49", "50 and above". */
export function describeLevelRange({ min_score, max_score }: Pick<LevelRange, "min_score" | "max_score">): string {
  return max_score === null ? `${min_score} and above` : `${min_score} – ${max_score}`;
}

/**
 * What a marketer should know about a set of levels: scores that fall in two levels, and
 * scores (between the lowest and the highest level) that fall in none. Scores are whole numbers.
 */
export function levelRangeProblems(levels: readonly LevelRange[]): string[] {
  const sorted = [...levels].sort((a, b) => a.min_score - b.min_score || (a.max_score ?? Infinity) - (b.max_score ?? Infinity));
  const problems: string[] = [];
  for (let index = 1; index < sorted.length; index += 1) {
    const previous = sorted[index - 1] as LevelRange;
    const current = sorted[index] as LevelRange;
    const previousEnd = previous.max_score ?? Infinity;
    if (current.min_score <= previousEnd) {
      problems.push(`“${previous.name}” and “${current.name}” overlap from ${current.min_score}.`);
    } else if (current.min_score > previousEnd + 1) {
      const scores = current.min_score - 1 === previousEnd + 1 ? `Score ${previousEnd + 1} is` : `Scores ${previousEnd + 1} – ${current.min_score - 1} are`;
      problems.push(`${scores} in no level (between “${previous.name}” and “${current.name}”).`);
    }
  }
  return problems;
}

export interface SurgeBandValue {
  min_events: number;
  multiplier: number;
}

/** The multiplier of a session's k-th event: the band with the largest `min_events <= k`, capped. */
export function surgeMultiplier(bands: readonly SurgeBandValue[], cap: number, k: number): number {
  const band = bands.filter((candidate) => candidate.min_events <= k).sort((a, b) => b.min_events - a.min_events)[0];
  return Math.min(band?.multiplier ?? 1, cap);
}

/** Points of an event worth `weight` at that multiplier (the API rounds half up). */
export function surgedPoints(weight: number, multiplier: number): number {
  return Math.sign(weight) * Math.floor(Math.abs(weight * multiplier) + 0.5);
}
