/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The bundle is built into the Python package (api/static/dashboard), so `pip install`
// users get it and running SalesPad never needs Node. SALESPAD_DASHBOARD_OUT redirects the
// build (the staleness check builds into a temporary directory and compares).
export default defineConfig({
  plugins: [react()],
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
  },
});
