import { afterEach, describe, expect, it, vi } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import LeadPage, { optimistic } from "./Lead";
import { deferred, mockFetch, renderPage } from "../test/utils";
import { lead, leadDetail } from "../test/fixtures";
import type { LeadDetail } from "../types";

afterEach(() => vi.unstubAllGlobals());

const ID = lead().id;
const state = () => within(screen.getByTestId("enrollment-state")).getByText(/./).textContent;
const status = () => screen.getByTestId("lead-status").textContent;

describe("Lead page", () => {
  it("shows the lead, its sequence and the timeline newest first, reply bodies as text", async () => {
    const xss = "<script>alert(1)</script><b>hi</b>";
    mockFetch({
      [`GET /api/leads/${ID}`]: {
        body: leadDetail({
          timeline: [
            { at: "2026-12-01T10:00:00Z", kind: "message", direction: "OUTBOUND", channel: "EMAIL", step: 1, subject: "Hello", content: "Hi Ada", delivery_status: "delivered", event_type: null, details: null },
            { at: "2026-12-02T10:00:00Z", kind: "message", direction: "INBOUND", channel: "EMAIL", step: null, subject: "Re: Hello", content: xss, delivery_status: "received", event_type: null, details: null },
            { at: "2026-12-02T10:00:01Z", kind: "event", direction: null, channel: null, step: null, subject: null, content: null, delivery_status: null, event_type: "INTENT_CLASSIFIED", details: { intent: "interested" } },
            { at: "2026-12-02T11:00:00Z", kind: "event", direction: null, channel: null, step: null, subject: null, content: null, delivery_status: null, event_type: "TASK_CREATED", details: { action: "call" } },
          ],
        }),
      },
    });
    renderPage(<LeadPage params={{ id: ID }} />);
    expect(await screen.findByRole("heading", { name: "Ada Lovelace" })).toBeInTheDocument();
    expect(status()).toBe("OUTREACHED");
    expect(state()).toBe("active");
    expect(screen.getByRole("link", { name: "Open in Temporal Web UI" })).toHaveAttribute("href", leadDetail().temporal_url);
    const items = within(screen.getByTestId("timeline")).getAllByTestId("timeline-item");
    expect(items).toHaveLength(4);
    expect(items[0]).toHaveTextContent("TASK_CREATED");
    expect(items[0]).toHaveTextContent("task");
    expect(items[1]).toHaveTextContent("interested");
    const body = items[2].querySelector(".message-body")!;
    expect(body.textContent).toBe(xss);
    expect(screen.getByTestId("timeline").querySelector("script, b")).toBeNull();
    expect(items[3]).toHaveTextContent("Hi Ada");
    for (const name of ["Pause", "Resume", "Stop", "Convert"]) expect(screen.getByRole("button", { name })).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Retry step" })).toBeNull();
  });

  it("stops at once, then rolls back and shows the server's message when it answers 409", async () => {
    const gate = deferred<{ status: number; body: unknown }>();
    const later = deferred<{ status: number; body: unknown }>();
    let gets = 0;
    mockFetch({
      // the refetch after the refusal is held: the rollback alone must restore the state
      [`GET /api/leads/${ID}`]: () => (gets++ === 0 ? { body: leadDetail() } : later.promise),
      [`POST /api/leads/${ID}/stop`]: () => gate.promise,
    });
    renderPage(<LeadPage params={{ id: ID }} />);
    await screen.findByTestId("enrollment-state");
    await userEvent.click(screen.getByRole("button", { name: "Stop" }));
    await waitFor(() => expect(state()).toBe("stopped"));
    gate.resolve({ status: 409, body: { error: "the lead's sequence already ended" } });
    expect(await screen.findByRole("alert")).toHaveTextContent("the lead's sequence already ended");
    await waitFor(() => expect(state()).toBe("active"));
    expect(gets).toBe(2);
    later.resolve({ status: 200, body: leadDetail() });
  });

  it("keeps the new state when the action succeeds", async () => {
    let current: LeadDetail = leadDetail();
    mockFetch({
      [`GET /api/leads/${ID}`]: () => ({ body: current }),
      [`POST /api/leads/${ID}/convert`]: () => {
        current = optimistic(current, "convert");
        return { body: { lead_id: ID, action: "convert", signalled: true, detail: "" } };
      },
    });
    renderPage(<LeadPage params={{ id: ID }} />);
    await screen.findByTestId("lead-status");
    await userEvent.click(screen.getByRole("button", { name: "Convert" }));
    await waitFor(() => expect(status()).toBe("CONVERTED"));
    // after the refetch too
    await new Promise((r) => setTimeout(r, 50));
    expect(status()).toBe("CONVERTED");
    expect(state()).toBe("stopped");
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("treats a command no sequence took as refused", async () => {
    mockFetch({
      [`GET /api/leads/${ID}`]: { body: leadDetail() },
      [`POST /api/leads/${ID}/pause`]: { body: { lead_id: ID, action: "pause", signalled: false, detail: "no running sequence" } },
    });
    renderPage(<LeadPage params={{ id: ID }} />);
    await screen.findByTestId("enrollment-state");
    await userEvent.click(screen.getByRole("button", { name: "Pause" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("no running sequence");
    await waitFor(() => expect(state()).toBe("active"));
  });

  it("offers Retry step and Skip step to a dead-lettered lead, and sends them to ops", async () => {
    const attention = leadDetail({
      enrollment: { ...leadDetail().enrollment!, state: "attention" },
      timeline: [
        { at: "2026-12-02T10:00:00Z", kind: "event", direction: null, channel: null, step: null, subject: null, content: null, delivery_status: null, event_type: "DEAD_LETTERED", details: { step: 2, error_type: "ProviderError", error: "550 mailbox full" } },
      ],
    });
    const { calls } = mockFetch({
      [`GET /api/leads/${ID}`]: { body: attention },
      [`POST /api/ops/leads/${ID}/retry`]: { body: { lead_id: ID, action: "retry", signalled: true, detail: "" } },
    });
    renderPage(<LeadPage params={{ id: ID }} />);
    expect(await screen.findByTestId("needs-attention")).toHaveTextContent("ProviderError: 550 mailbox full");
    expect(screen.getByRole("button", { name: "Skip step" })).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Retry step" }));
    await waitFor(() => expect(calls.some((c) => c.method === "POST" && c.url.pathname === `/api/ops/leads/${ID}/retry`)).toBe(true));
  });

  it("shows a missing lead as an error", async () => {
    mockFetch({ [`GET /api/leads/${ID}`]: { status: 404, body: { error: `lead ${ID} not found` } } });
    renderPage(<LeadPage params={{ id: ID }} />);
    expect(await screen.findByRole("alert")).toHaveTextContent("not found");
  });
});
