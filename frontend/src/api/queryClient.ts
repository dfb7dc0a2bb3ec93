import { QueryClient } from "@tanstack/react-query";
import { ApiError } from "./errors";

/**
 * Query keys start with the API path they read, e.g. `["/api/v1/leads", params]`, so that
 * live events and OU switches can invalidate by path prefix (`invalidatePaths`).
 */
export const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 15_000,
      refetchOnWindowFocus: false,
      // Client errors (bad filter, 404, 403) do not get better by asking again.
      retry: (failures, error) => !(error instanceof ApiError && error.status < 500) && failures < 2,
    },
  },
});

export function invalidatePaths(client: QueryClient, prefixes: readonly string[]): Promise<void> {
  return client.invalidateQueries({
    predicate: ({ queryKey }) =>
      typeof queryKey[0] === "string" && prefixes.some((prefix) => (queryKey[0] as string).startsWith(prefix)),
  });
}

/** Paths whose answers do not depend on the active OU. */
export const OU_INDEPENDENT_PATHS = ["/api/v1/auth/", "/api/v1/org-units"] as const;
