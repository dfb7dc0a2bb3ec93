/** The audit log's filters as the API's query (offset paging, status classes as ranges). */
import type { paths } from "../../api/schema";

export type AuditQuery = NonNullable<paths["/api/v1/admin/audit-logs"]["get"]["parameters"]["query"]>;
export type Method = NonNullable<AuditQuery["method"]>;
export type StatusClass = "any" | "2xx" | "3xx" | "4xx" | "5xx" | "errors";

export const AUDIT_PAGE_SIZE = 50;

export interface AuditFilters {
  search: string;
  userEmail: string;
  method: Method | null;
  statusClass: StatusClass;
  sortBy: NonNullable<AuditQuery["sort_by"]>;
  sortOrder: "asc" | "desc";
}

export const NO_AUDIT_FILTERS: AuditFilters = {
  search: "",
  userEmail: "",
  method: null,
  statusClass: "any",
  sortBy: "created_at",
  sortOrder: "desc",
};

const STATUS_RANGES: Record<Exclude<StatusClass, "any">, [number, number]> = {
  "2xx": [200, 299],
  "3xx": [300, 399],
  "4xx": [400, 499],
  "5xx": [500, 599],
  errors: [400, 599],
};

/** `page` counts from 1. */
export function toAuditQuery(filters: AuditFilters, page: number): AuditQuery {
  const query: AuditQuery = {
    limit: AUDIT_PAGE_SIZE,
    offset: (page - 1) * AUDIT_PAGE_SIZE,
    sort_by: filters.sortBy,
    sort_order: filters.sortOrder,
  };
  const search = filters.search.trim();
  if (search) query.search = search;
  const email = filters.userEmail.trim();
  if (email) query.user_email = email;
  if (filters.method) query.method = filters.method;
  if (filters.statusClass !== "any") [query.status_min, query.status_max] = STATUS_RANGES[filters.statusClass];
  return query;
}

/** The API answers no total: a full page means there may be another. */
export function hasNextPage(itemCount: number): boolean {
  return itemCount >= AUDIT_PAGE_SIZE;
}
