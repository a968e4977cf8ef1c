import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import LivePage, { leadLabel, summarize } from "./Live";
import { pushEvent, resetFeed, type LiveEvent } from "../live";
import { renderPage } from "../test/utils";
import { leadDetail } from "../test/fixtures";

let next = 100;
function event(over: Partial<LiveEvent>): LiveEvent {
  const id = over.id ?? next++;
  return { id, cursor: `900-${id}`, lead_id: null, lead_name: null, campaign_id: null, event_type: "EMAIL_SENT", timestamp: "2026-12-03T09:00:00Z", details: {}, ...over };
}

const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

/** GET /api/events over a fixed list of past events (the newest `limit`, newest first), and
 *  lead details; anything else is a 404. */
function stubApi(past: LiveEvent[], leads: Record<string, unknown> = {}, recent?: () => Response) {
  const fn = vi.fn(async (input: RequestInfo | URL) => {
    const url = new URL(String(input), "http://localhost");
    const lead = /^\/api\/leads\/(.+)$/.exec(url.pathname);
    if (lead && leads[lead[1]]) return json(leads[lead[1]]);
    if (url.pathname !== "/api/events") return json({ error: "not found" }, 404);
    if (recent) return recent();
    const limit = Number(url.searchParams.get("limit") ?? 50);
    const items = [...past].sort((a, b) => b.id - a.id).slice(0, limit);
    return json({ items, cursor: items[0]?.cursor ?? "900-0" });
  });
  vi.stubGlobal("fetch", fn);
  return fn;
}

const paths = (fn: ReturnType<typeof stubApi>) => fn.mock.calls.map(([input]) => new URL(String(input), "http://localhost"));

beforeEach(() => resetFeed());
afterEach(() => vi.unstubAllGlobals());

describe("Live page", () => {
  it("waits for activity, then shows pushed events newest first, reply text as text", async () => {
    stubApi([]);
    renderPage(<LivePage params={{}} />);
    expect(await screen.findByText("Waiting for activity… (events appear here as they happen)")).toBeInTheDocument();
    expect(screen.getByTestId("feed-status")).toHaveTextContent("Connecting…");

    act(() => {
      pushEvent(event({ id: 1, event_type: "EMAIL_SENT", lead_id: "aaaaaaaa-0000-0000-0000-000000000000", details: { channel: "EMAIL", step: 1 } }));
      pushEvent(event({ id: 2, event_type: "REPLY_RECEIVED", lead_id: "aaaaaaaa-0000-0000-0000-000000000000", details: { channel: "EMAIL", text: "<script>alert(1)</script><img src=x onerror=alert(2)>" } }));
      pushEvent(event({ id: 3, event_type: "DEAD_LETTERED", details: { step: 2, error_type: "ProviderError", error: "SendGrid said 550" } }));
    });
    const items = screen.getAllByTestId("feed-item");
    expect(items).toHaveLength(3);
    expect(items[0]).toHaveTextContent("DEAD LETTERED");
    expect(items[0]).toHaveTextContent("SendGrid said 550");
    expect(items[1]).toHaveTextContent("<script>alert(1)</script>");
    expect(items[2]).toHaveTextContent("EMAIL · step 1");
    expect(within(items[2]).getByRole("link")).toHaveAttribute("href", "/leads/aaaaaaaa-0000-0000-0000-000000000000");
    // text, never markup
    expect(screen.getByTestId("feed").querySelector("script, img")).toBeNull();
    expect(screen.queryByText(/Waiting for activity/)).toBeNull();
  });

  it("filters by kind with toggle buttons", async () => {
    stubApi([]);
    renderPage(<LivePage params={{}} />);
    act(() => {
      pushEvent(event({ id: 10, event_type: "EMAIL_SENT" }));
      pushEvent(event({ id: 11, event_type: "INTENT_CLASSIFIED", details: { intent: "interested" } }));
    });
    const replies = screen.getByRole("button", { name: "Replies" });
    expect(replies).toHaveAttribute("aria-pressed", "true");
    await userEvent.click(screen.getByRole("button", { name: "Sends" }));
    expect(screen.getAllByTestId("feed-item")).toHaveLength(1);
    expect(screen.getByTestId("feed-item")).toHaveTextContent("interested");
    await userEvent.click(replies);
    expect(screen.queryAllByTestId("feed-item")).toHaveLength(0);
    expect(screen.getByTestId("feed-empty")).toHaveTextContent("2 event(s) hidden by the filters");
  });

  it("loads the recent past with one GET /api/events and merges live events without duplicates", async () => {
    const past = Array.from({ length: 80 }, (_, i) => event({ id: 1000 + i * 3, event_type: "EMAIL_SENT", details: { step: i } }));
    const fetch = stubApi(past);
    renderPage(<LivePage params={{}} />);
    await waitFor(() => expect(screen.getAllByTestId("feed-item")).toHaveLength(50));
    const items = screen.getAllByTestId("feed-item");
    expect(items[0]).toHaveTextContent("step 79");
    expect(items[49]).toHaveTextContent("step 30");
    const urls = paths(fetch);
    expect(urls.map((u) => `${u.pathname}?${u.searchParams}`)).toEqual(["/api/events?limit=50"]);
    act(() => {
      pushEvent(past[79]); // the same event again over the live stream
      pushEvent(event({ id: 5000, event_type: "SMS_SENT", details: { channel: "SMS", step: 3 } }));
    });
    const after = screen.getAllByTestId("feed-item");
    expect(after).toHaveLength(51);
    expect(after[0]).toHaveTextContent("SMS · step 3");
    expect(after[1]).toHaveTextContent("step 79");
    expect(paths(fetch)).toHaveLength(1); // live events do not refetch the past
  });

  it("names the lead, falling back to the start of its id, as text", async () => {
    const named = "cccccccc-0000-0000-0000-000000000000";
    const unnamed = "dddddddd-0000-0000-0000-000000000000";
    stubApi([
      event({ id: 1, lead_id: named, lead_name: "Ada <i>Lovelace</i>" }),
      event({ id: 2, lead_id: unnamed }),
    ]);
    renderPage(<LivePage params={{}} />);
    const leads = () => screen.getAllByTestId("feed-item").map((item) => within(item).getByRole("link"));
    await waitFor(() => expect(leads()).toHaveLength(2));
    const [second, first] = leads();
    expect(first).toHaveTextContent("Ada <i>Lovelace</i>");
    expect(first).toHaveAttribute("href", `/leads/${named}`);
    expect(second).toHaveTextContent(/^lead dddddddd$/);
    expect(screen.getByTestId("feed").querySelector("i")).toBeNull();
    act(() => pushEvent(event({ id: 3, lead_id: named, lead_name: "Ada Live", event_type: "STATUS_CHANGED", details: { old: "NEW", new: "REPLIED" } })));
    expect(leads()[0]).toHaveTextContent("Ada Live");
  });

  it("shows the reply's preview from the event, for its classification too, without reading the lead", async () => {
    const LEAD = "eeeeeeee-0000-0000-0000-000000000000";
    const fetch = stubApi([
      event({ id: 30, event_type: "REPLY_RECEIVED", lead_id: LEAD, lead_name: "Bo", details: { channel: "EMAIL", message_id: "m9", preview: "Yes <b>please</b>, send the deck" } }),
    ]);
    renderPage(<LivePage params={{}} />);
    await waitFor(() => expect(screen.getAllByTestId("feed-item")).toHaveLength(1));
    act(() => pushEvent(event({ id: 31, event_type: "INTENT_CLASSIFIED", lead_id: LEAD, lead_name: "Bo", details: { intent: "interested", message_id: "m9" } })));
    const items = screen.getAllByTestId("feed-item");
    expect(items[1]).toHaveTextContent("EMAIL · “Yes <b>please</b>, send the deck”");
    expect(items[0]).toHaveTextContent("interested · “Yes <b>please</b>, send the deck”");
    expect(screen.getByTestId("feed").querySelector("b")).toBeNull();
    expect(paths(fetch).map((u) => u.pathname)).toEqual(["/api/events"]);
  });

  it("says when the past could not be loaded, and live events still appear", async () => {
    stubApi([], {}, () => json({ error: "database unavailable", detail: null }, 503));
    renderPage(<LivePage params={{}} />);
    expect(await screen.findByText(/Could not load the recent events/)).toBeInTheDocument();
    expect(screen.getByText(/database unavailable/)).toBeInTheDocument();
    act(() => pushEvent(event({ id: 40, event_type: "SMS_SENT", details: { channel: "SMS", step: 1 } })));
    expect(screen.getByTestId("feed-item")).toHaveTextContent("SMS · step 1");
  });

  it("shows the reply's text from the lead's timeline when the event does not carry it", async () => {
    const LEAD = "bbbbbbbb-0000-0000-0000-000000000000";
    const message = (at: string, content: string, direction = "INBOUND") => ({
      at, kind: "message" as const, direction, channel: "EMAIL", step: null, subject: null, content, delivery_status: null, event_type: null, details: null,
    });
    stubApi([], {
      [LEAD]: leadDetail({
        timeline: [
          message("2026-12-03T08:00:00Z", "older reply"),
          message("2026-12-03T08:30:00Z", "our email", "OUTBOUND"),
          message("2026-12-03T09:00:00.100Z", "Sounds <b>great</b>, call me on Tuesday"),
        ],
      }),
    });
    renderPage(<LivePage params={{}} />);
    act(() => {
      pushEvent(event({ id: 20, event_type: "REPLY_RECEIVED", lead_id: LEAD, timestamp: "2026-12-03T09:00:00.100Z", details: { channel: "EMAIL", message_id: "m1" } }));
      pushEvent(event({ id: 21, event_type: "INTENT_CLASSIFIED", lead_id: LEAD, timestamp: "2026-12-03T09:00:00.400Z", details: { intent: "interested", message_id: "m1", reason: "asks for a call" } }));
    });
    const items = screen.getAllByTestId("feed-item");
    await waitFor(() => expect(items[1]).toHaveTextContent("“Sounds <b>great</b>, call me on Tuesday”"));
    await waitFor(() => expect(items[0]).toHaveTextContent("Sounds <b>great</b>, call me on Tuesday"));
    expect(items[0]).toHaveTextContent("interested");
    expect(screen.getByTestId("feed").querySelector("b")).toBeNull();
  });
});

describe("helpers", () => {
  it("labels a lead by name, else by the start of its id", () => {
    expect(leadLabel({ lead_id: "abcdef12-3456", lead_name: "Ada" })).toBe("Ada");
    expect(leadLabel({ lead_id: "abcdef12-3456", lead_name: null })).toBe("lead abcdef12");
  });

  it("summarizes without markup", () => {
    expect(summarize({ event_type: "STATUS_CHANGED", details: { old: "NEW", new: "REPLIED" } })).toBe("NEW → REPLIED");
  });
});
