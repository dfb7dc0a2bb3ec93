/**
 * All of a lead's events (newest first, up to `MAX_HISTORY_EVENTS`) for the timeline and the
 * score-history chart. The newest 100 show at once; the rest fill in page by page.
 *
 * The key deliberately does not start with an API path: the live provider invalidates every
 * `/api/v1/leads…` query on any `score_update` of the OU, which would reload thousands of
 * events for other leads' changes. This lead's own `score_update`/`event_ingested` merge its
 * newest events in instead (`mergeNewest`). An OU switch still resets it (not OU-independent).
 *
 * The chart draws `useChartedEvents`: the first page, then the whole history once it is in,
 * not every page between (each redraw is a long task while the user starts to interact).
 */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, type paths } from "../../api/client";
import { toApiError, unwrap } from "../../api/errors";
import { useLiveEvent } from "../../components/LiveEvents";

export type LeadEvent = paths["/api/v1/leads/{lead_id}/events"]["get"]["responses"][200]["content"]["application/json"][number];

export interface LeadEventHistory {
  events: LeadEvent[];
  /** Events the lead has (`X-Total-Count`). */
  total: number;
  /** false while older pages are still loading. */
  complete: boolean;
}

export const HISTORY_PAGE_SIZE = 500;
const FIRST_PAGE_SIZE = 100;
const PARALLEL_PAGES = 4;
export const MAX_HISTORY_EVENTS = 20_000;
const NEWEST_ON_UPDATE = 100;

export function leadEventHistoryKey(leadId: string) {
  return ["lead-event-history", leadId] as const;
}

function fetchPage(leadId: string, page: number, limit: number, signal?: AbortSignal) {
  return api.GET("/api/v1/leads/{lead_id}/events", { params: { path: { lead_id: leadId }, query: { page, limit } }, signal });
}

const IDLE_TIMEOUT_MS = 500;

function whenIdle(): Promise<void> {
  return new Promise((resolve) => {
    if ("requestIdleCallback" in window) requestIdleCallback(() => resolve(), { timeout: IDLE_TIMEOUT_MS });
    else setTimeout(resolve, 0);
  });
}

/** Newer copies replace older ones (a pending event becomes processed); order stays newest first. */
export function mergeNewest(newest: readonly LeadEvent[], existing: readonly LeadEvent[]): LeadEvent[] {
  const newIds = new Set(newest.map((event) => event.id));
  return [...newest, ...existing.filter((event) => !newIds.has(event.id))];
}

export function useLeadEventHistory(leadId: string) {
  const queryClient = useQueryClient();
  const key = leadEventHistoryKey(leadId);

  const history = useQuery({
    queryKey: key,
    queryFn: async ({ signal }): Promise<LeadEventHistory> => {
      // A small first page paints the page fast; big pages then fill in the rest, a few at a
      // time so the lead's other requests are not queued behind them.
      const first = await fetchPage(leadId, 1, FIRST_PAGE_SIZE, signal);
      if (!first.response.ok || !first.data) throw toApiError(first.error, first.response.status);
      const total = Number(first.response.headers.get("X-Total-Count") ?? first.data.length);
      let events = first.data;
      if (total <= FIRST_PAGE_SIZE) return { events, total, complete: true };
      const pageCount = Math.min(Math.ceil(total / HISTORY_PAGE_SIZE), MAX_HISTORY_EVENTS / HISTORY_PAGE_SIZE);
      queryClient.setQueryData<LeadEventHistory>(key, { events, total, complete: false });
      // The page draws the first rows and the chart before older pages compete with it for the
      // main thread and the server.
      await whenIdle();
      for (let page = 1; page <= pageCount; page += PARALLEL_PAGES) {
        if (page > 1) queryClient.setQueryData<LeadEventHistory>(key, { events, total, complete: false });
        const pages = Array.from({ length: Math.min(PARALLEL_PAGES, pageCount - page + 1) }, (_, offset) => page + offset);
        const loaded = await Promise.all(pages.map((number) => unwrap(fetchPage(leadId, number, HISTORY_PAGE_SIZE, signal))));
        // Events that arrived while paging shift the pages: keep each event once.
        events = mergeNewest(events, loaded.flat());
      }
      return { events, total, complete: true };
    },
    staleTime: Infinity,
  });

  const refreshNewest = async (data: { lead_id?: string }) => {
    if (data.lead_id !== leadId || !history.data) return;
    const newest = await unwrap(fetchPage(leadId, 1, NEWEST_ON_UPDATE));
    queryClient.setQueryData<LeadEventHistory>(key, (current) => {
      if (!current) return current;
      const events = mergeNewest(newest, current.events);
      return { ...current, events, total: current.total + (events.length - current.events.length) };
    });
  };
  useLiveEvent<{ lead_id?: string }>("score_update", (data) => void refreshNewest(data));
  useLiveEvent<{ lead_id?: string }>("event_ingested", (data) => void refreshNewest(data));

  return history;
}

/** The events to chart: the first ones loaded, then every event once the history is complete
 * (and each live change after that); undefined until the first page is in. */
export function useChartedEvents(leadId: string, history: LeadEventHistory | undefined): readonly LeadEvent[] | undefined {
  const [charted, setCharted] = useState<{ leadId: string; events?: readonly LeadEvent[] }>({ leadId });
  const keep = charted.leadId === leadId && charted.events && history && !history.complete;
  const events = keep ? charted.events : history?.events;
  // Derived state kept from the previous render: React re-renders at once, before painting.
  if (events !== charted.events || leadId !== charted.leadId) setCharted({ leadId, events });
  return events;
}
