import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import InboxPage, { parseDraft, type InboxList, type TaskItem, type UnmatchedList } from "./Inbox";
import { navigate } from "../router";
import { gate, renderWithClient, stubApi, type Answer } from "../test/utils";

afterEach(() => vi.unstubAllGlobals());
beforeEach(() => navigate("/inbox", true));

const XSS = '<script>alert(1)</script><img src=x onerror="alert(2)">';
const LEAD = { id: "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa", name: "Ada Lovelace", email: "ada@example.com", company: "Engines", status: "REPLIED" };
const inbox: InboxList = {
  items: [
    { id: "n1", owner: null, intent: "interested", summary: XSS, lead: LEAD, message_id: "m1", created_at: "2026-12-01T09:00:00Z", read_at: null },
  ],
  unread: 1,
  next_cursor: null,
};
const unmatched: UnmatchedList = {
  items: [{ id: "u1", channel: "EMAIL", sender: "stranger@example.org", subject: "Re: hello", content: "Who is this? <b>bold</b>", received_at: "2026-12-01T08:00:00Z" }],
  total: 1,
  limit: 100,
  offset: 0,
};
const linkedin: TaskItem = {
  id: "t1", lead_id: LEAD.id, lead_name: "Ada Lovelace", kind: "linkedin", action: "connect",
  instructions: "Connect with Ada Lovelace.", owner: null, due_at: "2026-12-02T09:00:00Z", overdue: true, status: "open", created_at: "2026-12-01T09:00:00Z",
};
const draft: TaskItem = {
  ...linkedin, id: "t2", kind: "approve_draft", action: "approve", overdue: false,
  instructions: "Approve, edit or reject the AI draft of step 3 (bump, email) to Ada Lovelace.\nRejected or unanswered by the due time: the step's template goes out instead.\n\nSubject: Quick follow-up\n\nHi Ada,\n\nAny news?",
};

// What the server holds: the POST handlers below change it, as the real one would.
let server = { inbox, unmatched, tasks: [linkedin, draft] };
beforeEach(() => {
  server = { inbox, unmatched, tasks: [linkedin, draft] };
});

function routes(extra: Record<string, Parameters<typeof stubApi>[0][string]> = {}) {
  return stubApi({
    "GET /api/inbox": () => ({ body: server.inbox }),
    "GET /api/ops/unmatched": () => ({ body: server.unmatched }),
    "GET /api/tasks": () => ({ body: server.tasks }),
    ...extra,
  });
}

describe("Inbox page", () => {
  it("shows a reply's text as text (no markup), its intent, lead link and the counts", async () => {
    routes();
    const { container } = renderWithClient(<InboxPage params={{}} />);
    const reply = await screen.findByTestId("reply");
    expect(within(reply).getByText(XSS)).toHaveClass("message-body");
    expect(container.querySelector("script, img")).toBeNull();
    expect(within(reply).getByText("interested")).toBeInTheDocument();
    expect(within(reply).getByRole("link", { name: "Ada Lovelace" })).toHaveAttribute("href", `/leads/${LEAD.id}`);
    await waitFor(() => expect(screen.getByRole("tab", { name: /Tasks/ })).toHaveTextContent("2"));
    expect(screen.getByRole("tab", { name: /Unmatched/ })).toHaveTextContent("1");
    expect(screen.getByRole("tab", { name: /Replies to read/ })).toHaveAttribute("aria-selected", "true");
  });

  it("marks a reply read at once", async () => {
    const { sent } = routes({
      "POST /api/inbox/n1/read": () => {
        server.inbox = { items: [], unread: 0, next_cursor: null };
        return { body: { ...inbox.items[0], read_at: "2026-12-01T10:00:00Z" } };
      },
    });
    renderWithClient(<InboxPage params={{}} />);
    await userEvent.click(within(await screen.findByTestId("reply")).getByRole("button", { name: "Mark read" }));
    await waitFor(() => expect(screen.queryByTestId("reply")).toBeNull());
    expect(sent.some((c) => c.method === "POST" && c.url.pathname === "/api/inbox/n1/read")).toBe(true);
  });

  it("discards an unmatched reply at once and brings it back with an alert when refused", async () => {
    const answer = gate<Answer>();
    routes({ "POST /api/ops/unmatched/u1/discard": () => answer.promise });
    renderWithClient(<InboxPage params={{}} />);
    await userEvent.click(await screen.findByRole("tab", { name: /Unmatched/ }));
    const item = await screen.findByTestId("unmatched");
    expect(within(item).getByText("Who is this? <b>bold</b>")).toBeInTheDocument();
    await userEvent.click(within(item).getByRole("button", { name: "Discard" }));
    await waitFor(() => expect(screen.queryByTestId("unmatched")).toBeNull());
    answer.open({ status: 409, body: { error: "the reply belongs to a lead" } });
    expect(await screen.findByRole("alert")).toHaveTextContent("the reply belongs to a lead");
    expect(await screen.findByTestId("unmatched")).toHaveTextContent("stranger@example.org");
  });

  it("assigns an unmatched reply to a lead found by search", async () => {
    const { sent } = routes({
      "GET /api/leads": { body: { items: [LEAD], total: 1, limit: 8, offset: 0, next_cursor: null } },
      "POST /api/ops/unmatched/u1/assign": () => {
        server.unmatched = { ...unmatched, items: [], total: 0 };
        return { body: { message_id: "u1" } };
      },
    });
    renderWithClient(<InboxPage params={{}} />);
    await userEvent.click(await screen.findByRole("tab", { name: /Unmatched/ }));
    await userEvent.click(await screen.findByRole("button", { name: "Assign to lead" }));
    await userEvent.type(screen.getByRole("searchbox", { name: /Search leads/ }), "ada");
    await userEvent.click(await screen.findByRole("button", { name: "Ada Lovelace" }));
    await waitFor(() => expect(screen.queryByTestId("unmatched")).toBeNull());
    const post = sent.find((c) => c.method === "POST");
    expect(post?.url.pathname).toBe("/api/ops/unmatched/u1/assign");
    expect(post?.json).toEqual({ lead_id: LEAD.id });
    // Debounced: one search, for the whole word.
    expect(sent.filter((c) => c.url.pathname === "/api/leads").map((c) => c.url.searchParams.get("q"))).toEqual(["ada"]);
  });

  it("completes a LinkedIn task and sends an edited AI draft", async () => {
    const { sent } = routes({
      "POST /api/tasks/t1/complete": () => {
        server.tasks = server.tasks.filter((t) => t.id !== "t1");
        return { body: { ...linkedin, status: "done" } };
      },
      "POST /api/tasks/t2/approve": () => {
        server.tasks = server.tasks.filter((t) => t.id !== "t2");
        return { body: { task_id: "t2" } };
      },
    });
    renderWithClient(<InboxPage params={{}} />);
    await userEvent.click(await screen.findByRole("tab", { name: /Tasks/ }));
    const [first, second] = await screen.findAllByTestId("task");
    expect(within(first).getByText("linkedin: connect")).toBeInTheDocument();
    expect(within(first).getByText("overdue")).toBeInTheDocument();
    await userEvent.click(within(first).getByRole("button", { name: "Done" }));
    expect(within(second).getByText("Subject: Quick follow-up")).toBeInTheDocument();
    await userEvent.click(within(second).getByRole("button", { name: "Edit" }));
    const message = within(second).getByRole("textbox", { name: "Message" });
    await userEvent.clear(message);
    await userEvent.type(message, "Hi Ada, any news?");
    await userEvent.click(within(second).getByRole("button", { name: "Send edited draft" }));
    await waitFor(() => expect(screen.queryAllByTestId("task")).toHaveLength(0));
    const posts = sent.filter((c) => c.method === "POST");
    expect(posts.map((c) => c.url.pathname)).toEqual(["/api/tasks/t1/complete", "/api/tasks/t2/approve"]);
    expect(posts[1].json).toEqual({ subject: "Quick follow-up", body: "Hi Ada, any news?" });
  });

  it("shows each section's error and empty states", async () => {
    stubApi({
      "GET /api/inbox": { status: 500, body: { error: "inbox is broken" } },
      "GET /api/ops/unmatched": { body: { items: [], total: 0, limit: 100, offset: 0 } },
      "GET /api/tasks": { body: [] },
    });
    renderWithClient(<InboxPage params={{}} />);
    expect(await screen.findByRole("alert")).toHaveTextContent("inbox is broken");
    await userEvent.click(screen.getByRole("tab", { name: /Unmatched/ }));
    expect(await screen.findByText("No unmatched replies.")).toBeInTheDocument();
    await userEvent.click(screen.getByRole("tab", { name: /Tasks/ }));
    expect(await screen.findByText("No open tasks.")).toBeInTheDocument();
  });
});

describe("parseDraft", () => {
  it("splits the intro, the subject and the body", () => {
    expect(parseDraft(draft.instructions)).toEqual({
      intro: "Approve, edit or reject the AI draft of step 3 (bump, email) to Ada Lovelace.\nRejected or unanswered by the due time: the step's template goes out instead.",
      subject: "Quick follow-up",
      body: "Hi Ada,\n\nAny news?",
    });
    expect(parseDraft("Intro\n\nJust a body\n\n(No AI draft: no key. This is the template.)")).toEqual({
      intro: "Intro",
      subject: null,
      body: "Just a body",
    });
  });
});
