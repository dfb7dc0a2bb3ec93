/**
 * The API calls of each trigger kind, behind one signature per operation: the routes differ by
 * kind (`/triggers/milestones`, `/surge/triggers`, ...), the pages do not.
 */
import { api } from "../../api/client";
import { unwrap } from "../../api/errors";
import type { components } from "../../api/schema";
import { unwrapWithTotal, type PageWithTotal } from "../../components/withTotal";
import type { TriggerBody, TriggerKind, TriggerOutput } from "./triggerForm";

type Firing = components["schemas"]["FiringOutput"];
type Simulation = components["schemas"]["TriggerSimulation"];
type SimulateInput = components["schemas"]["SimulateInputRequest"];

/** The list route of each kind: also the start of its query keys. */
export const LIST_PATH = {
  milestone: "/api/v1/triggers/milestones",
  sequence: "/api/v1/triggers/sequences",
  pattern: "/api/v1/triggers/patterns",
  surge: "/api/v1/surge/triggers",
  segment: "/api/v1/triggers/segments",
} as const satisfies Record<TriggerKind, string>;

export function listTriggers(kind: TriggerKind): Promise<TriggerOutput[]> {
  switch (kind) {
    case "milestone":
      return unwrap(api.GET(LIST_PATH.milestone));
    case "sequence":
      return unwrap(api.GET(LIST_PATH.sequence));
    case "pattern":
      return unwrap(api.GET(LIST_PATH.pattern));
    case "surge":
      return unwrap(api.GET(LIST_PATH.surge));
    case "segment":
      return unwrap(api.GET(LIST_PATH.segment));
  }
}

export function createTrigger(request: TriggerBody): Promise<TriggerOutput> {
  switch (request.kind) {
    case "milestone":
      return unwrap(api.POST(LIST_PATH.milestone, { body: request.body }));
    case "sequence":
      return unwrap(api.POST(LIST_PATH.sequence, { body: request.body }));
    case "pattern":
      return unwrap(api.POST(LIST_PATH.pattern, { body: request.body }));
    case "surge":
      return unwrap(api.POST(LIST_PATH.surge, { body: request.body }));
    case "segment":
      return unwrap(api.POST(LIST_PATH.segment, { body: request.body }));
  }
}

export function updateTrigger(triggerId: string, request: TriggerBody): Promise<TriggerOutput> {
  const params = { path: { trigger_id: triggerId } };
  switch (request.kind) {
    case "milestone":
      return unwrap(api.PUT("/api/v1/triggers/milestones/{trigger_id}", { params, body: request.body }));
    case "sequence":
      return unwrap(api.PUT("/api/v1/triggers/sequences/{trigger_id}", { params, body: request.body }));
    case "pattern":
      return unwrap(api.PUT("/api/v1/triggers/patterns/{trigger_id}", { params, body: request.body }));
    case "surge":
      return unwrap(api.PUT("/api/v1/surge/triggers/{trigger_id}", { params, body: request.body }));
    case "segment":
      return unwrap(api.PUT("/api/v1/triggers/segments/{trigger_id}", { params, body: request.body }));
  }
}

export async function deleteTrigger(kind: TriggerKind, triggerId: string): Promise<void> {
  const params = { path: { trigger_id: triggerId } };
  switch (kind) {
    case "milestone":
      await unwrap(api.DELETE("/api/v1/triggers/milestones/{trigger_id}", { params }));
      return;
    case "sequence":
      await unwrap(api.DELETE("/api/v1/triggers/sequences/{trigger_id}", { params }));
      return;
    case "pattern":
      await unwrap(api.DELETE("/api/v1/triggers/patterns/{trigger_id}", { params }));
      return;
    case "surge":
      await unwrap(api.DELETE("/api/v1/surge/triggers/{trigger_id}", { params }));
      return;
    case "segment":
      await unwrap(api.DELETE("/api/v1/triggers/segments/{trigger_id}", { params }));
  }
}

/** Kinds without a simulate route answer null. */
export function simulateTrigger(kind: TriggerKind, triggerId: string, body: SimulateInput): Promise<Simulation> | null {
  const params = { path: { trigger_id: triggerId } };
  switch (kind) {
    case "milestone":
      return unwrap(api.POST("/api/v1/triggers/milestones/{trigger_id}/simulate", { params, body }));
    case "sequence":
      return unwrap(api.POST("/api/v1/triggers/sequences/{trigger_id}/simulate", { params, body }));
    case "surge":
      return unwrap(api.POST("/api/v1/surge/triggers/{trigger_id}/simulate", { params, body }));
    default:
      return null;
  }
}

/** Kinds whose firings the API lists by trigger answer a page; the others null. */
export function listFirings(kind: TriggerKind, query: { trigger_id: string; page: number; limit: number }): Promise<PageWithTotal<Firing>> | null {
  switch (kind) {
    case "milestone":
      return unwrapWithTotal(api.GET("/api/v1/triggers/milestones/events", { params: { query } }));
    case "sequence":
      return unwrapWithTotal(api.GET("/api/v1/triggers/sequences/events", { params: { query } }));
    case "segment":
      return unwrapWithTotal(api.GET("/api/v1/triggers/segments/events", { params: { query } }));
    default:
      return null;
  }
}
