/**
 * The events list's filters, split by who applies them: the API filters by type, lead,
 * channel and start time (across all pages); status, suppression and the end time are not
 * API filters, so they narrow the rows of the page on screen.
 */
import type { components, paths } from "../../api/schema";

export type EngagementEvent = components["schemas"]["EngagementEventOutput"];
export type EventsQuery = NonNullable<paths["/api/v1/events"]["get"]["parameters"]["query"]>;
export type Channel = NonNullable<EventsQuery["channel"]>;

export const CHANNELS: readonly Channel[] = ["web", "email", "slack", "webinar", "crm", "system"];

export type StatusFilter = "any" | "pending" | "processed";
export type SuppressionFilter = "any" | "suppressed" | "counted";

export interface EventFilters {
  eventTypes: string[];
  leadId: string;
  channel: Channel | null;
  /** `datetime-local` input values (the user's zone); "" when open. */
  since: string;
  until: string;
  status: StatusFilter;
  suppression: SuppressionFilter;
}

export const NO_FILTERS: EventFilters = {
  eventTypes: [],
  leadId: "",
  channel: null,
  since: "",
  until: "",
  status: "any",
  suppression: "any",
};

/** A `datetime-local` value, read in the user's zone, as RFC 3339 UTC; null when empty or invalid. */
export function localInputToIso(value: string): string | null {
  if (!value) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** The API query for one page (export: without page and limit). */
export function toEventsQuery(filters: EventFilters): Omit<EventsQuery, "page" | "limit"> {
  const query: Omit<EventsQuery, "page" | "limit"> = {};
  if (filters.eventTypes.length) query.event_type = filters.eventTypes;
  const leadId = filters.leadId.trim();
  if (leadId) query.lead_id = leadId;
  if (filters.channel) query.channel = filters.channel;
  const since = localInputToIso(filters.since);
  if (since) query.occurred_since = since;
  return query;
}

export function hasPageFilters(filters: EventFilters): boolean {
  return filters.status !== "any" || filters.suppression !== "any" || localInputToIso(filters.until) !== null;
}

/** The rows of one page that pass the filters the API does not apply. */
export function narrowPage(rows: readonly EngagementEvent[], filters: EventFilters): EngagementEvent[] {
  const until = localInputToIso(filters.until);
  const untilMs = until ? Date.parse(until) : null;
  return rows.filter((row) => {
    if (filters.status !== "any" && row.status !== filters.status) return false;
    if (filters.suppression === "suppressed" && !row.suppression_reason) return false;
    if (filters.suppression === "counted" && row.suppression_reason) return false;
    if (untilMs !== null && Date.parse(row.timestamp) >= untilMs) return false;
    return true;
  });
}

/** "+12", "−3", "0"; "—" before the event is scored. */
export function formatDelta(delta: number | null): string {
  if (delta === null) return "—";
  if (delta > 0) return `+${delta}`;
  if (delta < 0) return `−${Math.abs(delta)}`;
  return "0";
}
