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

export type Answer = { status?: number; body?: unknown };
/** A call the page made: `body` is the JSON body, else the form, else null. */
export type Sent = { method: string; url: URL; json: unknown; form: FormData | null; body: unknown };
export type Route = Answer | ((call: Sent) => Answer | Promise<Answer>);

/** routes: "GET /api/campaigns" -> answer (or a function of the call). The path is matched
 *  without the query string; a call no route answers is a 500 naming it. */
export function stubApi(routes: Record<string, Route>) {
  const sent: Sent[] = [];
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input), "http://localhost");
    const method = (init?.method ?? "GET").toUpperCase();
    const json = typeof init?.body === "string" ? JSON.parse(init.body) : null;
    const form = init?.body instanceof FormData ? init.body : null;
    const call: Sent = { method, url, json, form, body: json ?? form };
    sent.push(call);
    const route = routes[`${method} ${url.pathname}`];
    if (route === undefined) {
      return new Response(JSON.stringify({ error: `no mock for ${method} ${url.pathname}` }), { status: 500 });
    }
    const answer = typeof route === "function" ? await route(call) : route;
    const status = answer.status ?? 200;
    return new Response(status === 204 ? null : JSON.stringify(answer.body ?? null), {
      status,
      headers: { "Content-Type": "application/json" },
    });
  });
  vi.stubGlobal("fetch", fetchMock);
  return { sent, fetchMock };
}

export type Reply = Answer | (() => Answer | Promise<Answer>);
export type Call = Sent;

/** stubApi named as the first tests knew it: the calls as `calls`, the mock as `fn`. */
export function mockFetch(routes: Record<string, Reply>) {
  const { sent, fetchMock } = stubApi(routes);
  return { fn: fetchMock, calls: sent };
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

/** deferred() with the resolver named `open`. */
export function gate<T>() {
  const { promise, resolve } = deferred<T>();
  return { promise, open: resolve };
}

export const renderWithClient = renderPage;
