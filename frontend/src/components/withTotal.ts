import { toApiError } from "../api/errors";

/** One page of a bare-list answer and the total the API puts in `X-Total-Count`. */
export interface PageWithTotal<Row> {
  rows: Row[];
  total: number;
}

/** Like `unwrap`, for list routes whose total rides in the `X-Total-Count` header. */
export async function unwrapWithTotal<Row>(call: Promise<{ data?: Row[]; error?: unknown; response: Response }>): Promise<PageWithTotal<Row>> {
  const { data, error, response } = await call;
  if (!response.ok) throw toApiError(error, response.status);
  const rows = data ?? [];
  const total = Number(response.headers.get("X-Total-Count"));
  return { rows, total: Number.isFinite(total) && response.headers.has("X-Total-Count") ? total : rows.length };
}
