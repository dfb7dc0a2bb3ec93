/** What the import panel says about an import job at each poll. */
import type { components } from "../../api/schema";

export type ImportJob = components["schemas"]["EventImportJobOut"];

export interface ImportProgressView {
  /** 0 to 100 for the bar. */
  percent: number;
  label: string;
  color: string;
  /** Still moving: the bar is animated. */
  active: boolean;
}

export function describeImport(job: Pick<ImportJob, "status" | "progress" | "rows_total" | "rows_done" | "rows_failed" | "rows_succeeded" | "failure">): ImportProgressView {
  const percent = Math.round(Math.min(1, Math.max(0, job.progress)) * 100);
  const rows = job.rows_total === null ? `${job.rows_done.toLocaleString()} rows` : `${job.rows_done.toLocaleString()} of ${job.rows_total.toLocaleString()} rows`;
  switch (job.status) {
    case "pending":
      return { percent: 0, label: "Waiting to start…", color: "blue", active: true };
    case "running":
      return { percent, label: `Importing: ${rows} (${percent}%)`, color: "blue", active: true };
    case "completed": {
      const failed = job.rows_failed ? `, ${job.rows_failed.toLocaleString()} failed` : "";
      return { percent: 100, label: `Done: ${job.rows_succeeded.toLocaleString()} imported${failed}`, color: job.rows_failed ? "orange" : "teal", active: false };
    }
    default:
      return { percent, label: `Failed: ${job.failure || "the import stopped"}`, color: "red", active: false };
  }
}
