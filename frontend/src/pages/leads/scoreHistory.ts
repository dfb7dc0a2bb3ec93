/**
 * The score-history chart's data, built from a lead's events and its current primary score.
 *
 * Each event's `score_delta` is what it did to the primary score (rules' points, a burst
 * compensation, a decay; 0 when suppressed). The history is anchored at the current score and
 * walked backwards, so a partly loaded history (only the newest pages) still ends where the
 * lead stands now. Pure: no React, no fetching.
 */

export interface HistoryEvent {
  id: string;
  event_type: string;
  timestamp: string;
  status: string;
  suppression_reason: string | null;
  score_delta: number | null;
}

export type PointKind = "scored" | "decay" | "suppressed" | "pending" | "unchanged";

export interface HistoryPoint {
  eventId: string;
  eventType: string;
  /** Milliseconds since the epoch. */
  time: number;
  delta: number;
  /** The primary score after this event. */
  score: number;
  kind: PointKind;
  suppressionReason: string | null;
}

export const DECAY_EVENT_TYPE = "DECAY";

export function pointKind(event: HistoryEvent): PointKind {
  if (event.suppression_reason) return "suppressed";
  if (event.score_delta === null) return "pending";
  if (event.event_type === DECAY_EVENT_TYPE) return "decay";
  return event.score_delta === 0 ? "unchanged" : "scored";
}

/** Oldest first; `newestFirst` is the API's order. */
export function buildScoreHistory(newestFirst: readonly HistoryEvent[], currentScore: number): HistoryPoint[] {
  const points = new Array<HistoryPoint>(newestFirst.length);
  let scoreAfter = currentScore;
  for (let index = 0; index < newestFirst.length; index += 1) {
    const event = newestFirst[index]!;
    const delta = event.score_delta ?? 0;
    points[newestFirst.length - 1 - index] = {
      eventId: event.id,
      eventType: event.event_type,
      time: Date.parse(event.timestamp),
      delta,
      score: scoreAfter,
      kind: pointKind(event),
      suppressionReason: event.suppression_reason,
    };
    scoreAfter -= delta;
  }
  return points;
}

/**
 * At most about `target` points that keep the line's shape: the first and last point, and
 * in each bucket its lowest and highest score in time order (a decay's drop and a burst's
 * peak survive, where averaging would flatten them).
 */
export function downsampleMinMax(points: readonly HistoryPoint[], target: number): HistoryPoint[] {
  if (points.length <= target || target < 4) return [...points];
  const bucketCount = Math.floor((target - 2) / 2);
  const inner = points.length - 2;
  const bucketSize = inner / bucketCount;
  const kept: HistoryPoint[] = [points[0]!];
  for (let bucket = 0; bucket < bucketCount; bucket += 1) {
    const start = 1 + Math.floor(bucket * bucketSize);
    const end = 1 + Math.floor((bucket + 1) * bucketSize);
    let lowest = start;
    let highest = start;
    for (let index = start; index < end; index += 1) {
      if (points[index]!.score < points[lowest]!.score) lowest = index;
      if (points[index]!.score > points[highest]!.score) highest = index;
    }
    if (end <= start) continue;
    if (lowest === highest) kept.push(points[lowest]!);
    else kept.push(points[Math.min(lowest, highest)]!, points[Math.max(lowest, highest)]!);
  }
  kept.push(points[points.length - 1]!);
  return kept;
}

/**
 * The decay and suppression markers: every one when there are few, else the first of each
 * kind per time slice, so they stay visible without drawing thousands of dots.
 */
export function markerPoints(points: readonly HistoryPoint[], kind: "decay" | "suppressed", maxMarkers: number): HistoryPoint[] {
  const matching = points.filter((point) => point.kind === kind);
  if (matching.length <= maxMarkers) return matching;
  const first = matching[0]!.time;
  const span = matching[matching.length - 1]!.time - first || 1;
  const taken = new Set<number>();
  return matching.filter((point) => {
    const slice = Math.min(maxMarkers - 1, Math.floor(((point.time - first) / span) * maxMarkers));
    if (taken.has(slice)) return false;
    taken.add(slice);
    return true;
  });
}

export interface ScoreHistoryChartData {
  line: HistoryPoint[];
  decays: HistoryPoint[];
  suppressed: HistoryPoint[];
  /** Events behind the line (before downsampling). */
  eventCount: number;
}

export const CHART_POINTS = 500;
const MAX_MARKERS = 150;

export function scoreHistoryChartData(newestFirst: readonly HistoryEvent[], currentScore: number): ScoreHistoryChartData {
  const points = buildScoreHistory(newestFirst, currentScore);
  return {
    line: downsampleMinMax(points, CHART_POINTS),
    decays: markerPoints(points, "decay", MAX_MARKERS),
    suppressed: markerPoints(points, "suppressed", MAX_MARKERS),
    eventCount: points.length,
  };
}
