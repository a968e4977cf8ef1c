import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import LivePage, { summarize } from "./Live";
import { pushEvent, resetFeed, type LiveEvent } from "../live";
import { renderPage } from "../test/utils";
import { leadDetail } from "../test/fixtures";
import { latestEventId, parseSse } from "../history";

let next = 100;
function event(over: Partial<LiveEvent>): LiveEvent {
  const id = over.id ?? next++;
  return { id, cursor: String(id), lead_id: null, campaign_id: null, event_type: "EMAIL_SENT", timestamp: "2026-12-03T09:00:00Z", details: {}, ...over };
}

function sse(events: LiveEvent[], xact = false): string {
  return ": connected\n\n" + events.map((e) => `id: ${xact ? `${e.id + 7000}-` : ""}${e.id}\nevent: ${e.event_type}\ndata: ${JSON.stringify(e)}\n\n`).join("");
}

/** The stream endpoint over a fixed list of past events (follow=false), and lead details. */
function stubStream(past: LiveEvent[], leads: Record<string, unknown> = {}, xact = false) {
  const fn = vi.fn(async (input: RequestInfo | URL) => {
    const url = new URL(String(input), "http://localhost");
    const lead = /^\/api\/leads\/(.+)$/.exec(url.pathname);
    if (lead && leads[lead[1]]) return new Response(JSON.stringify(leads[lead[1]]), { headers: { "Content-Type": "application/json" } });
    if (url.pathname !== "/api/events/stream") return new Response("{}", { status: 404 });
    const since = Number(url.searchParams.get("since") ?? 0);
    return new Response(sse(past.filter((e) => e.id > since), xact), { headers: { "Content-Type": "text/event-stream" } });
  });
  vi.stubGlobal("fetch", fn);
  return fn;
}

beforeEach(() => resetFeed());
afterEach(() => vi.unstubAllGlobals());

describe("Live page", () => {
  it("waits for activity, then shows pushed events newest first, reply text as text", async () => {
    stubStream([]);
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
    stubStream([]);
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

  it("loads the recent past on first load and merges live events without duplicates", async () => {
    const past = Array.from({ length: 80 }, (_, i) => event({ id: 1000 + i * 3, event_type: "EMAIL_SENT", details: { step: i } }));
    stubStream(past);
    renderPage(<LivePage params={{}} />);
    await waitFor(() => expect(screen.getAllByTestId("feed-item").length).toBeGreaterThan(0));
    const items = screen.getAllByTestId("feed-item");
    expect(items.length).toBeLessThanOrEqual(50);
    expect(items[0]).toHaveTextContent("step 79");
    act(() => {
      pushEvent(past[79]); // the same event again over the live stream
      pushEvent(event({ id: 5000, event_type: "SMS_SENT", details: { channel: "SMS", step: 3 } }));
    });
    const after = screen.getAllByTestId("feed-item");
    expect(after).toHaveLength(items.length + 1);
    expect(after[0]).toHaveTextContent("SMS · step 3");
  });

  it("shows the reply's text from the lead's timeline when the event does not carry it", async () => {
    const LEAD = "bbbbbbbb-0000-0000-0000-000000000000";
    const message = (at: string, content: string, direction = "INBOUND") => ({
      at, kind: "message" as const, direction, channel: "EMAIL", step: null, subject: null, content, delivery_status: null, event_type: null, details: null,
    });
    stubStream([], {
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

describe("history", () => {
  it("finds the newest event id by probing", async () => {
    for (const latest of [0, 1, 7, 64, 65, 1234, 987654]) {
      const probe = vi.fn(async (since: number) => (since < latest ? since + 1 : null));
      expect(await latestEventId(undefined, probe)).toBe(latest);
      expect(probe.mock.calls.length).toBeLessThan(60);
    }
  });

  it("reads event ids from the data, whatever the cursor looks like (<xact>-<id>)", async () => {
    const past = Array.from({ length: 30 }, (_, i) => event({ id: 500 + i * 7 }));
    stubStream(past, {}, true);
    expect(await latestEventId()).toBe(500 + 29 * 7);
  });

  it("parses the stream's text", () => {
    const got = parseSse(sse([event({ id: 4, event_type: "SMS_SENT" })]));
    expect(got.map((e) => [e.id, e.event_type, e.cursor])).toEqual([[4, "SMS_SENT", "4"]]);
  });

  it("summarizes without markup", () => {
    expect(summarize({ event_type: "STATUS_CHANGED", details: { old: "NEW", new: "REPLIED" } })).toBe("NEW → REPLIED");
  });
});
