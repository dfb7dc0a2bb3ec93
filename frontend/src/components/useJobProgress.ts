import { useQuery } from "@tanstack/react-query";
import { api } from "../api/client";
import { unwrap } from "../api/errors";

/** What the API's job answers share (rescore, CSV import, backfill, ...). */
export interface JobState {
  status: string;
  progress: number;
  error?: string;
}

const FINISHED = new Set(["completed", "failed"]);

export function isJobFinished(job: JobState | undefined): boolean {
  return job !== undefined && FINISHED.has(job.status);
}

/**
 * Polls a job's URL (an API path, e.g. `/api/v1/imports/im_1`) until the job has finished.
 * `url` null: nothing to poll yet.
 */
export function useJobProgress<Job extends JobState = JobState>(url: string | null, { intervalMs = 1000 }: { intervalMs?: number } = {}) {
  return useQuery({
    queryKey: [url ?? "", "job"],
    enabled: url !== null,
    // Job paths are many and dynamic; openapi-fetch's typed paths cannot name one generically.
    queryFn: () => unwrap(api.GET(url as never)) as Promise<Job>,
    refetchInterval: (query) => (isJobFinished(query.state.data) ? false : intervalMs),
    staleTime: 0,
  });
}
