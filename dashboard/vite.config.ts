/// <reference types="vitest/config" />
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { defineConfig, type Plugin } from "vite";
import react from "@vitejs/plugin-react";

const ROOT = import.meta.dirname;
// What a build reads besides src/ (salespad/bundle.py lists the same files).
const TOP_LEVEL = ["index.html", "package.json", "package-lock.json", "tsconfig.json", "vite.config.ts"];

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

/** sha256 over "<relative path> <sha256 of its bytes>\n" per source, sorted by path: the
 *  digest salespad/bundle.py recomputes to tell whether the committed bundle is stale. */
function sourcesDigest(): string {
  const files = [
    ...TOP_LEVEL.map((name) => join(ROOT, name)).filter((p) => statSync(p, { throwIfNoEntry: false })?.isFile()),
    ...walk(join(ROOT, "src")),
  ];
  const rel = files.map((p) => relative(ROOT, p).split(sep).join("/")).sort();
  const outer = createHash("sha256");
  for (const path of rel) {
    const inner = createHash("sha256").update(readFileSync(join(ROOT, path))).digest("hex");
    outer.update(`${path} ${inner}\n`);
  }
  return outer.digest("hex");
}

function sourcesStamp(): Plugin {
  return {
    name: "salespad-sources-stamp",
    apply: "build",
    generateBundle() {
      this.emitFile({ type: "asset", fileName: "sources.sha256", source: `${sourcesDigest()}\n` });
    },
  };
}

// The bundle is built into the Python package (api/static/dashboard), so `pip install`
// users get it and running SalesPad never needs Node. SALESPAD_DASHBOARD_OUT redirects the
// build (the staleness test builds into a temporary directory and compares).
export default defineConfig({
  plugins: [react(), sourcesStamp()],
  build: {
    outDir: process.env.SALESPAD_DASHBOARD_OUT ?? "../api/static/dashboard",
    emptyOutDir: true,
    // No inline scripts or styles: the dashboard is served under a strict CSP.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 1200,
  },
  server: {
    // `npm run dev` beside `salespad dev`: the API answers /api on :8000.
    proxy: { "/api": "http://127.0.0.1:8000" },
  },
  test: {
    environment: "jsdom",
    setupFiles: ["./src/test/setup.ts"],
    css: false,
    // The suite runs beside the Python tiers on two cores: 5 s per test is too tight there.
    testTimeout: 30_000,
  },
});
