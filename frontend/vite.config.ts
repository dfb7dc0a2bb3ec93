import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";
import { firstLoadReport } from "./scripts/first-load-report";

// Django serves this folder at the site root (WHITENOISE_ROOT), so the bundle lives at /app/.
const outDir = fileURLToPath(new URL("../leadvibe/webroot/app", import.meta.url));

export default defineConfig({
  base: "/app/",
  plugins: [react(), firstLoadReport()],
  build: {
    outDir,
    emptyOutDir: true,
    // Content-hashed names: the same sources build byte-identical files.
    assetsDir: "assets",
    sourcemap: false,
    reportCompressedSize: false,
    // The first-load report below measures what matters: gzipped JS before the first paint.
    chunkSizeWarningLimit: 1024,
    // Every browser the app supports has module preload; the polyfill would be dead weight.
    modulePreload: { polyfill: false },
  },
  server: {
    // LEADVIBE_API: another runstack's address (`runstack --port`), e.g. http://127.0.0.1:8102.
    proxy: { "/api": process.env.LEADVIBE_API ?? "http://127.0.0.1:8000" },
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
  },
});
