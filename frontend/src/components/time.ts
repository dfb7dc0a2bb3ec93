/** Times from the API are RFC 3339 in UTC; people read them in their own time zone. */

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["year", 365 * 24 * 3600],
  ["month", 30 * 24 * 3600],
  ["week", 7 * 24 * 3600],
  ["day", 24 * 3600],
  ["hour", 3600],
  ["minute", 60],
  ["second", 1],
];

function parse(value: string | Date | null | undefined): Date | null {
  if (value === null || value === undefined || value === "") return null;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** "Dec 3, 2026, 7:28 PM" in the user's zone; "—" for no time. */
export function formatDateTime(value: string | Date | null | undefined): string {
  const date = parse(value);
  return date ? dateTime.format(date) : "—";
}

export function formatDate(value: string | Date | null | undefined): string {
  const date = parse(value);
  return date ? dateOnly.format(date) : "—";
}

/** "5 minutes ago", "in 2 hours". */
export function formatRelative(value: string | Date | null | undefined, now: Date = new Date()): string {
  const date = parse(value);
  if (!date) return "—";
  const seconds = (date.getTime() - now.getTime()) / 1000;
  const [unit, size] = UNITS.find(([, size]) => Math.abs(seconds) >= size) ?? ["second", 1];
  return relative.format(Math.round(seconds / size), unit);
}

export const userTimeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
