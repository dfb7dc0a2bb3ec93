/**
 * A Vite plugin that prints the JavaScript a browser loads before the first paint of /app/
 * (the entry chunk and everything it imports statically), gzipped, and fails the build when
 * it exceeds the budget. Lazy route chunks and the chart library are not part of it.
 */
import { gzipSync } from "node:zlib";
import type { Plugin, Rollup } from "vite";

export const FIRST_LOAD_BUDGET_BYTES = 300 * 1024;

function isChunk(item: Rollup.OutputBundle[string] | undefined): item is Rollup.OutputChunk {
  return item?.type === "chunk";
}

export function firstLoadChunks(bundle: Rollup.OutputBundle): Rollup.OutputChunk[] {
  const entries = Object.values(bundle).filter(
    (item): item is Rollup.OutputChunk => isChunk(item) && item.isEntry,
  );
  const seen = new Map<string, Rollup.OutputChunk>();
  const visit = (chunk: Rollup.OutputChunk): void => {
    if (seen.has(chunk.fileName)) return;
    seen.set(chunk.fileName, chunk);
    for (const name of chunk.imports) {
      const imported = bundle[name];
      if (isChunk(imported)) visit(imported);
    }
  };
  entries.forEach(visit);
  return [...seen.values()];
}

const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`;

export function firstLoadReport(budgetBytes: number = FIRST_LOAD_BUDGET_BYTES): Plugin {
  return {
    name: "leadvibe-first-load-report",
    apply: "build",
    generateBundle(_options, bundle) {
      const chunks = firstLoadChunks(bundle);
      const rows = chunks.map((chunk) => ({
        file: chunk.fileName,
        gzipped: gzipSync(chunk.code, { level: 9 }).length,
      }));
      const total = rows.reduce((sum, row) => sum + row.gzipped, 0);
      const lines = rows.map((row) => `  ${row.file}  ${kb(row.gzipped)}`);
      console.log(
        `\nFirst-load JavaScript of /app/ (gzipped):\n${lines.join("\n")}\n` +
          `  total ${kb(total)} of ${kb(budgetBytes)} budget\n`,
      );
      if (total > budgetBytes) {
        this.error(`First-load JavaScript is ${kb(total)} gzipped, over the ${kb(budgetBytes)} budget`);
      }
    },
  };
}
