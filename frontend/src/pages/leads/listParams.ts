/**
 * The leads list's filters live in the URL (shareable, back button works) and mirror the
 * API's query parameters of `GET /api/v1/leads`; an engagement level is a score band, so it
 * becomes `min_score`/`max_score` from the level's bounds. Pure.
 */
import type { paths } from "../../api/client";

export type LeadListQuery = NonNullable<paths["/api/v1/leads"]["get"]["parameters"]["query"]>;
export type LeadSort = NonNullable<LeadListQuery["sort"]>;
export type LastActive = NonNullable<LeadListQuery["last_active"]>;

export const LEAD_SORTS: readonly LeadSort[] = ["-score", "score", "-created_at", "created_at"];
export const LAST_ACTIVE: readonly LastActive[] = ["any", "7d", "30d"];
export const PAGE_SIZE = 25;
/** `GET /leads/search` answers from this many characters. */
export const SEARCH_MIN_LENGTH = 2;

export interface LevelBand {
  name: string;
  min_score: number;
  max_score: number | null;
}

export interface LeadListState {
  page: number;
  sort: LeadSort;
  search: string;
  minScore: number | undefined;
  maxScore: number | undefined;
  level: string | undefined;
  lastActive: LastActive;
  eventType: string | undefined;
}

function integer(value: string | null): number | undefined {
  if (value === null || !/^-?\d+$/.test(value)) return undefined;
  const parsed = Number(value);
  return Number.isSafeInteger(parsed) ? parsed : undefined;
}

function oneOf<T extends string>(value: string | null, allowed: readonly T[], fallback: T): T {
  return allowed.includes(value as T) ? (value as T) : fallback;
}

export function stateFromSearchParams(params: URLSearchParams): LeadListState {
  return {
    page: Math.max(1, integer(params.get("page")) ?? 1),
    sort: oneOf(params.get("sort"), LEAD_SORTS, "-score"),
    search: params.get("q") ?? "",
    minScore: integer(params.get("min_score")),
    maxScore: integer(params.get("max_score")),
    level: params.get("level") || undefined,
    lastActive: oneOf(params.get("last_active"), LAST_ACTIVE, "any"),
    eventType: params.get("event_type") || undefined,
  };
}

/** Only what differs from the defaults, so a plain list has a plain URL. */
export function searchParamsFromState(state: LeadListState): URLSearchParams {
  const params = new URLSearchParams();
  if (state.search) params.set("q", state.search);
  if (state.level) params.set("level", state.level);
  if (state.minScore !== undefined) params.set("min_score", String(state.minScore));
  if (state.maxScore !== undefined) params.set("max_score", String(state.maxScore));
  if (state.lastActive !== "any") params.set("last_active", state.lastActive);
  if (state.eventType) params.set("event_type", state.eventType);
  if (state.sort !== "-score") params.set("sort", state.sort);
  if (state.page > 1) params.set("page", String(state.page));
  return params;
}

/**
 * The API query of a state. A level narrows the typed score range to the level's band (the
 * tighter of both bounds wins).
 */
export function apiQueryFromState(state: LeadListState, levels: readonly LevelBand[]): LeadListQuery {
  const band = levels.find((level) => level.name === state.level);
  const bounds = [state.minScore, band?.min_score].filter((value): value is number => value !== undefined);
  const ceilings = [state.maxScore, band?.max_score ?? undefined].filter((value): value is number => value !== undefined);
  const query: LeadListQuery = { page: state.page, limit: PAGE_SIZE, sort: state.sort };
  if (bounds.length) query.min_score = Math.max(...bounds);
  if (ceilings.length) query.max_score = Math.min(...ceilings);
  if (state.lastActive !== "any") query.last_active = state.lastActive;
  if (state.eventType) query.event_type = state.eventType;
  return query;
}

/** The engagement level a score falls in (levels are OU-wide score bands). */
export function levelOf(score: number, levels: readonly LevelBand[]): string | null {
  const level = levels.find((band) => score >= band.min_score && (band.max_score === null || score <= band.max_score));
  return level?.name ?? null;
}
