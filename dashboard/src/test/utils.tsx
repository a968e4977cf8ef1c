// Test helpers: a fresh QueryClient per test (no retries) and a fetch mock that answers by
// method + path and records every call.
import type { ReactElement } from "react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { fireEvent, render } from "@testing-library/react";
import { vi } from "vitest";
import { Toasts } from "../components/ui";

export function renderPage(ui: ReactElement) {
  const client = new QueryClient({
    defaultOptions: { queries: { retry: false, staleTime: 0 }, mutations: { retry: false } },
  });
  resetToasts();
  const result = render(
    <QueryClientProvider client={client}>
      {ui}
      <Toasts />
    </QueryClientProvider>,
  );
  return { client, ...result };
}

export type Reply = { status?: number; body?: unknown } | (() => { status?: number; body?: unknown } | Promise<{ status?: number; body?: unknown }>);
export type Call = { method: string; url: URL; body: unknown };

/** routes: "GET /api/campaigns" -> reply. The path is matched without the query string. */
export function mockFetch(routes: Record<string, Reply>) {
  const calls: Call[] = [];
  const fn = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input), "http://localhost");
    const method = (init?.method ?? "GET").toUpperCase();
    const body = typeof init?.body === "string" ? JSON.parse(init.body) : init?.body ?? null;
    calls.push({ method, url, body });
    const route = routes[`${method} ${url.pathname}`];
    if (!route) return new Response(JSON.stringify({ error: `no mock for ${method} ${url.pathname}` }), { status: 404 });
    const reply = typeof route === "function" ? await route() : route;
    const status = reply.status ?? 200;
    return new Response(status === 204 ? null : JSON.stringify(reply.body ?? null), {
      status,
      headers: { "Content-Type": "application/json" },
    });
  });
  vi.stubGlobal("fetch", fn);
  return { fn, calls };
}

/** A promise and its resolver: hold a mocked answer until the test says so. */
export function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Dismiss the toasts an earlier test left (the toast store is module state). */
export function resetToasts() {
  const view = render(<Toasts />);
  view.queryAllByRole("button", { hidden: true }).forEach((b) => fireEvent.click(b));
  view.unmount();
}
