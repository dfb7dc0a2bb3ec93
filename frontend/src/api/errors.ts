/**
 * The API's one error shape, `{"status", "error", "details"?: {field: [messages]}}`
 * (leadvibe/api/errors.py), turned into what a form shows: one message and the messages per
 * field. Nested serializer errors become dotted paths ("rules.0.weight"), the path Mantine's
 * form uses for nested values.
 */

export interface FormError {
  message: string;
  fieldErrors: Record<string, string>;
}

export const NON_FIELD_KEY = "non_field_errors";

/** An API call that did not succeed: thrown by `unwrap`, shown by forms and error states. */
export class ApiError extends Error implements FormError {
  readonly status: number;
  readonly fieldErrors: Record<string, string>;

  constructor({ status, message, fieldErrors }: FormError & { status: number }) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.fieldErrors = fieldErrors;
  }
}

type Messages = unknown[];

function collectFieldErrors(details: Record<string, unknown>, prefix: string, into: Record<string, string[]>): void {
  for (const [field, value] of Object.entries(details)) {
    const path = prefix ? `${prefix}.${field}` : field;
    const messages: Messages = Array.isArray(value) ? value : [value];
    messages.forEach((message, index) => {
      if (typeof message === "string") {
        (into[path] ??= []).push(message);
      } else if (message !== null && typeof message === "object" && !Array.isArray(message)) {
        // A dict among a list field's messages is the error of the list's item at that index;
        // a dict alone is a nested object's errors.
        const itemPath = messages.length > 1 || Array.isArray(value) ? `${path}.${index}` : path;
        collectFieldErrors(message as Record<string, unknown>, itemPath, into);
      }
    });
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** The form view of an error answer's body (or of anything else that was thrown). */
export function toFormError(body: unknown, status = 0): FormError {
  if (body instanceof ApiError) {
    return { message: body.message, fieldErrors: body.fieldErrors };
  }
  if (body instanceof Error) return { message: body.message, fieldErrors: {} };
  if (!isRecord(body)) {
    return {
      message: status ? `The server answered ${status}.` : "The server could not be reached.",
      fieldErrors: {},
    };
  }
  const collected: Record<string, string[]> = {};
  if (isRecord(body.details)) collectFieldErrors(body.details, "", collected);
  const general = collected[NON_FIELD_KEY] ?? [];
  delete collected[NON_FIELD_KEY];
  const fieldErrors = Object.fromEntries(
    Object.entries(collected).map(([field, messages]) => [field, messages.join(" ")]),
  );
  const headline = typeof body.error === "string" ? body.error : `The server answered ${status}.`;
  return { message: general.length ? general.join(" ") : headline, fieldErrors };
}

export function toApiError(body: unknown, status: number): ApiError {
  return new ApiError({ status, ...toFormError(body, status) });
}

/**
 * The data of an openapi-fetch result, or an `ApiError`: for query and mutation functions.
 *
 *   useQuery({ queryKey: ["/api/v1/leads", params], queryFn: () => unwrap(api.GET("/api/v1/leads", ...)) })
 */
export async function unwrap<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) throw toApiError(error, response.status);
  return data as T;
}
