/** The dashboard's live feed: the newest stream events, one line each. Pure. */
import type { LiveEventName } from "../../components/LiveEvents";

export interface FeedItem {
  key: string;
  name: LiveEventName;
  receivedAt: Date;
  leadId: string | null;
  title: string;
  detail: string;
  /** Green for gains, red for losses, grape for triggers and segments. */
  tone: "gain" | "loss" | "neutral" | "trigger";
}

export const FEED_LENGTH = 50;

function text(value: unknown): string | null {
  return typeof value === "string" || typeof value === "number" ? String(value) : null;
}

function signed(value: number): string {
  return value > 0 ? `+${value}` : String(value);
}

/** One line for a stream event's data (whatever shape it has: the stream is not typed). */
export function feedItem(name: LiveEventName, data: unknown, receivedAt: Date, sequence: number): FeedItem {
  const record = data !== null && typeof data === "object" ? (data as Record<string, unknown>) : {};
  const leadId = text(record.lead_id);
  const base = { key: `${sequence}`, name, receivedAt, leadId };
  switch (name) {
    case "score_update": {
      const delta = typeof record.delta === "number" ? record.delta : 0;
      return { ...base, title: `Score ${signed(delta)}`, detail: `now ${text(record.score) ?? "?"}`, tone: delta > 0 ? "gain" : delta < 0 ? "loss" : "neutral" };
    }
    case "event_ingested":
      return { ...base, title: text(record.event_type) ?? "Event", detail: text(record.channel) ?? "", tone: "neutral" };
    case "surge":
      return { ...base, title: "Surge", detail: text(record.trigger_name) ?? text(record.trigger_id) ?? "a surge trigger fired", tone: "trigger" };
    case "milestone_exited":
      return { ...base, title: "Left a milestone", detail: text(record.milestone_name) ?? text(record.trigger_id) ?? "", tone: "trigger" };
    case "segment_entered":
    case "segment_exited":
      return { ...base, title: name === "segment_entered" ? "Entered segment" : "Left segment", detail: text(record.segment_name) ?? text(record.name) ?? text(record.segment_id) ?? "", tone: "trigger" };
  }
}

export function prependToFeed(feed: readonly FeedItem[], item: FeedItem): FeedItem[] {
  return [item, ...feed].slice(0, FEED_LENGTH);
}
