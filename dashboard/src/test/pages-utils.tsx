// Helpers for the Inbox, Attention, Import and Sequences tests: each test renders in a fresh
// QueryClient (no retries) and answers fetch from a table of "METHOD /path" -> reply.
import type { ReactElement } from "react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { act, render } from "@testing-library/react";
import { vi } from "vitest";
import { Toasts } from "../components/ui";

export type Answer = { status?: number; body?: unknown };
export type Route = Answer | ((call: Sent) => Answer | Promise<Answer>);
export type Sent = { method: string; url: URL; json: unknown; form: FormData | null };

export function stubApi(routes: Record<string, Route>) {
  const sent: Sent[] = [];
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input), "http://localhost");
    const method = (init?.method ?? "GET").toUpperCase();
    const call: Sent = {
      method,
      url,
      json: typeof init?.body === "string" ? JSON.parse(init.body) : null,
      form: init?.body instanceof FormData ? init.body : null,
    };
    sent.push(call);
    const route = routes[`${method} ${url.pathname}`];
    if (route === undefined) {
      return new Response(JSON.stringify({ error: `unexpected ${method} ${url.pathname}` }), { status: 500 });
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

export function renderWithClient(ui: ReactElement) {
  const client = new QueryClient({
    defaultOptions: { queries: { retry: false }, mutations: { retry: false } },
  });
  clearToasts();
  const view = render(
    <QueryClientProvider client={client}>
      {ui}
      <Toasts />
    </QueryClientProvider>,
  );
  return { client, ...view };
}

/** A reply the test releases when it wants (to see the optimistic state first). */
export function gate<T>() {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/** The toast store is module state: dismiss what an earlier test left. */
function clearToasts() {
  const leftover = render(<Toasts />);
  act(() => {
    leftover.queryAllByRole("button", { name: "Dismiss" }).forEach((button) => button.click());
  });
  leftover.unmount();
}
