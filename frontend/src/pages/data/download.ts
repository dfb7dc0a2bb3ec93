/** Saves a file the API answered (exports need the JWT, so a plain link cannot fetch them). */
export function saveFile(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  // The click has started the download by the next task.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

/** "events-2026-12-03.csv" in the user's calendar. */
export function datedFileName(prefix: string, now: Date = new Date()): string {
  const pad = (value: number) => String(value).padStart(2, "0");
  return `${prefix}-${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}.csv`;
}
