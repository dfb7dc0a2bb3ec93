import { describe, expect, it } from "vitest";
import { describeImport } from "./importProgress";

const base = { rows_total: 200, rows_done: 0, rows_failed: 0, rows_succeeded: 0, failure: "", progress: 0 };

describe("describeImport", () => {
  it("waits before the worker starts", () => {
    expect(describeImport({ ...base, status: "pending" })).toMatchObject({ percent: 0, active: true, label: "Waiting to start…" });
  });

  it("shows rows done and the share while running", () => {
    const view = describeImport({ ...base, status: "running", rows_done: 50, progress: 0.25 });
    expect(view).toMatchObject({ percent: 25, active: true });
    expect(view.label).toContain("50 of 200 rows");
    expect(describeImport({ ...base, status: "running", rows_total: null, rows_done: 10, progress: 0.1 }).label).toContain("10 rows");
  });

  it("finishes green without failed rows and orange with them", () => {
    expect(describeImport({ ...base, status: "completed", rows_done: 200, rows_succeeded: 200, progress: 1 })).toMatchObject({ percent: 100, color: "teal", active: false, label: "Done: 200 imported" });
    const partial = describeImport({ ...base, status: "completed", rows_done: 200, rows_succeeded: 197, rows_failed: 3, progress: 1 });
    expect(partial).toMatchObject({ color: "orange", label: "Done: 197 imported, 3 failed" });
  });

  it("says why a failed import stopped, and clamps the share", () => {
    const view = describeImport({ ...base, status: "failed", failure: "not UTF-8", progress: 7 });
    expect(view).toMatchObject({ percent: 100, color: "red", active: false, label: "Failed: not UTF-8" });
  });
});
