/**
 * One EventSource on `/api/v1/stream` for the active OU, shared by every page.
 *
 * EventSource cannot send headers, so the access token rides in the query string and a fresh
 * one is fetched before each (re)connect; on an error the source is closed and reopened with
 * backoff (the browser's own retry would reuse an expired token). Each event invalidates the
 * queries whose data it changes; pages subscribe by event name with `useLiveEvent`.
 */
import { useQueryClient } from "@tanstack/react-query";
import { createContext, useContext, useEffect, useRef, useState, type ReactNode } from "react";
import { session } from "../api/client";
import { invalidatePaths } from "../api/queryClient";
import { useSession } from "../auth/SessionContext";

export type LiveEventName =
  | "score_update"
  | "event_ingested"
  | "surge"
  | "milestone_exited"
  | "segment_entered"
  | "segment_exited";

export const LIVE_EVENT_NAMES: readonly LiveEventName[] = [
  "score_update",
  "event_ingested",
  "surge",
  "milestone_exited",
  "segment_entered",
  "segment_exited",
];

/** Which cached API paths an event makes stale. */
export const INVALIDATED_BY: Record<LiveEventName, readonly string[]> = {
  score_update: ["/api/v1/leads", "/api/v1/analytics"],
  event_ingested: ["/api/v1/events", "/api/v1/analytics"],
  surge: ["/api/v1/triggers"],
  milestone_exited: ["/api/v1/triggers"],
  segment_entered: ["/api/v1/segments"],
  segment_exited: ["/api/v1/segments"],
};

type Listener = (data: unknown) => void;
export type LiveStatus = "connecting" | "open" | "reconnecting" | "off";

interface LiveEventsValue {
  status: LiveStatus;
  subscribe: (name: LiveEventName, listener: Listener) => () => void;
}

const LiveEventsContext = createContext<LiveEventsValue | null>(null);
const MAX_BACKOFF_MS = 30_000;
/** Invalidation waits this long so a burst of events refetches once. */
const INVALIDATE_DEBOUNCE_MS = 500;

export function LiveEventsProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const { activeOu } = useSession();
  const ouId = activeOu?.unit_id;
  const listeners = useRef(new Map<LiveEventName, Set<Listener>>());
  const [status, setStatus] = useState<LiveStatus>("off");

  useEffect(() => {
    if (!ouId) return undefined;
    let source: EventSource | null = null;
    let retryTimer: ReturnType<typeof setTimeout> | undefined;
    let invalidateTimer: ReturnType<typeof setTimeout> | undefined;
    const stalePaths = new Set<string>();
    let failures = 0;
    let stopped = false;

    const invalidateSoon = (paths: readonly string[]) => {
      paths.forEach((path) => stalePaths.add(path));
      clearTimeout(invalidateTimer);
      invalidateTimer = setTimeout(() => {
        const prefixes = [...stalePaths];
        stalePaths.clear();
        void invalidatePaths(queryClient, prefixes);
      }, INVALIDATE_DEBOUNCE_MS);
    };

    const connect = async () => {
      setStatus(failures ? "reconnecting" : "connecting");
      let token: string;
      try {
        token = await session.freshAccessToken();
      } catch {
        setStatus("off");
        return;
      }
      if (stopped) return;
      const query = new URLSearchParams({ ouId, access_token: token });
      source = new EventSource(`/api/v1/stream?${query.toString()}`);
      source.onopen = () => {
        failures = 0;
        setStatus("open");
      };
      source.onerror = () => {
        source?.close();
        failures += 1;
        setStatus("reconnecting");
        retryTimer = setTimeout(() => void connect(), Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (failures - 1)));
      };
      for (const name of LIVE_EVENT_NAMES) {
        source.addEventListener(name, (event: MessageEvent<string>) => {
          let data: unknown = null;
          try {
            data = JSON.parse(event.data);
          } catch {
            return;
          }
          invalidateSoon(INVALIDATED_BY[name]);
          listeners.current.get(name)?.forEach((listener) => listener(data));
        });
      }
    };

    void connect();
    return () => {
      stopped = true;
      clearTimeout(retryTimer);
      clearTimeout(invalidateTimer);
      source?.close();
      setStatus("off");
    };
  }, [ouId, queryClient]);

  const value = useRef<LiveEventsValue["subscribe"]>((name, listener) => {
    const set = listeners.current.get(name) ?? new Set<Listener>();
    listeners.current.set(name, set);
    set.add(listener);
    return () => set.delete(listener);
  }).current;

  return <LiveEventsContext.Provider value={{ status, subscribe: value }}>{children}</LiveEventsContext.Provider>;
}

function useLiveEvents(): LiveEventsValue {
  const value = useContext(LiveEventsContext);
  if (!value) throw new Error("useLiveEvent needs a LiveEventsProvider");
  return value;
}

/** Calls `onEvent` with each event of that name in the active OU (the latest callback). */
export function useLiveEvent<Data = unknown>(name: LiveEventName, onEvent: (data: Data) => void): void {
  const { subscribe } = useLiveEvents();
  const latest = useRef(onEvent);
  latest.current = onEvent;
  useEffect(() => subscribe(name, (data) => latest.current(data as Data)), [name, subscribe]);
}

export function useLiveStatus(): LiveStatus {
  return useLiveEvents().status;
}
