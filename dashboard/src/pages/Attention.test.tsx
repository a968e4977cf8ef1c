import { afterEach, describe, expect, it, vi } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import AttentionPage, { type AttentionItem } from "./Attention";
import { gate, renderWithClient, stubApi, type Answer } from "../test/utils";

afterEach(() => vi.unstubAllGlobals());

const deadLetter: AttentionItem = {
  lead_id: "11111111-1111-4111-8111-111111111111",
  lead_name: "Grace Hopper",
  lead_email: "grace@example.com",
  campaign_id: "c1",
  current_step: 3,
  reason: "SendGrid answered 401: bad API key",
  error_type: "ChannelAuthError",
  since: "2026-12-01T10:00:00Z",
  workflow_id: "lead-1111",
  temporal_url: "http://127.0.0.1:8233/namespaces/default/workflows/lead-1111",
  actions: ["retry", "skip", "stop"],
};
const overdue: AttentionItem = {
  ...deadLetter,
  lead_id: "22222222-2222-4222-8222-222222222222",
  lead_name: "Alan Turing",
  reason: "TASK_OVERDUE",
  error_type: null,
  actions: ["complete or skip the task"],
};

const pausedMailbox: AttentionItem = {
  kind: "mailbox",
  lead_id: null,
  lead_name: null,
  lead_email: null,
  campaign_id: null,
  current_step: null,
  reason: "hard bounces 7.5 % (3 of 40 sends in 7 days) over the 5 % threshold",
  error_type: null,
  since: "2026-12-02T09:00:00Z",
  workflow_id: null,
  temporal_url: null,
  actions: ["resume"],
  mailbox_id: "33333333-3333-4333-8333-333333333333",
  mailbox_name: "ada-outbound",
  mailbox_address: "ada@sales.example.com",
};
const resumePath = `POST /api/mailboxes/${pausedMailbox.mailbox_id}/resume`;

/** The page listing `body`, each item to query within. */
async function shown(body: AttentionItem[]) {
  stubApi({ "GET /api/ops/attention": { body } });
  renderWithClient(<AttentionPage params={{}} />);
  const items = await screen.findAllByTestId("attention-item");
  expect(items).toHaveLength(body.length);
  return items.map((item) => within(item));
}

/** Click `button` on the one item: it leaves at once; the server refuses with a 409 saying
 * `error`, which shows in an alert, and the item comes back. */
async function refusedThenRestored(item: AttentionItem, path: string, button: string, error: string) {
  const answer = gate<Answer>();
  const { sent } = stubApi({ "GET /api/ops/attention": { body: [item] }, [path]: () => answer.promise });
  renderWithClient(<AttentionPage params={{}} />);
  await userEvent.click(await screen.findByRole("button", { name: button }));
  await waitFor(() => expect(screen.queryByTestId("attention-item")).toBeNull());
  answer.open({ status: 409, body: { error } });
  expect(await screen.findByRole("alert")).toHaveTextContent(error);
  await screen.findByTestId("attention-item");
  return sent;
}

describe("Attention page", () => {
  it("lists dead letters and overdue tasks with the lead, the reason and the Temporal link", async () => {
    const [first, second] = await shown([deadLetter, overdue]);
    expect(first.getByRole("link", { name: "Grace Hopper" })).toHaveAttribute("href", `/leads/${deadLetter.lead_id}`);
    expect(first.getByText(/bad API key/)).toBeInTheDocument();
    const temporal = first.getByRole("link", { name: "Open in Temporal Web UI" });
    expect(temporal).toHaveAttribute("href", deadLetter.temporal_url);
    expect(temporal).toHaveAttribute("target", "_blank");
    expect(temporal).toHaveAttribute("rel", "noopener noreferrer");
    for (const name of ["Retry", "Skip", "Stop"]) expect(first.getByRole("button", { name })).toBeInTheDocument();
    expect(second.queryByRole("button", { name: "Retry" })).toBeNull();
  });

  it("retry removes the item at once and restores it with an alert on a 409", async () => {
    const path = `POST /api/ops/leads/${deadLetter.lead_id}/retry`;
    const sent = await refusedThenRestored(deadLetter, path, "Retry", "the lead is not waiting for ops");
    expect(screen.getByTestId("attention-item")).toHaveTextContent("Grace Hopper");
    expect(sent.filter((c) => c.method === "POST")).toHaveLength(1);
  });

  it("keeps the item away once the retry is accepted", async () => {
    let listed: AttentionItem[] = [deadLetter];
    stubApi({
      "GET /api/ops/attention": () => ({ body: listed }),
      [`POST /api/ops/leads/${deadLetter.lead_id}/retry`]: () => {
        listed = [];
        return { body: { lead_id: deadLetter.lead_id, action: "retry", signalled: true, detail: "" } };
      },
    });
    renderWithClient(<AttentionPage params={{}} />);
    await userEvent.click(await screen.findByRole("button", { name: "Retry" }));
    expect(await screen.findByText("Nothing needs you. Every lead and mailbox is moving.")).toBeInTheDocument();
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("shows a paused mailbox with its reason and a Resume button, beside the leads", async () => {
    const [mailbox, lead] = await shown([pausedMailbox, deadLetter]);
    expect(mailbox.getByText("mailbox paused")).toBeInTheDocument();
    expect(mailbox.getByText("ada-outbound")).toBeInTheDocument();
    expect(mailbox.getByText("ada@sales.example.com")).toBeInTheDocument();
    expect(mailbox.getByText(/hard bounces 7\.5 %/)).toBeInTheDocument();
    expect(mailbox.getByRole("button", { name: "Resume" })).toBeInTheDocument();
    expect(mailbox.queryByRole("button", { name: "Retry" })).toBeNull();
    expect(mailbox.queryByRole("link", { name: "Open in Temporal Web UI" })).toBeNull();
    expect(lead.getByRole("button", { name: "Retry" })).toBeInTheDocument();
  });

  it("shows a mailbox whose replies cannot be read over IMAP, with what to fix and no Resume", async () => {
    const unread: AttentionItem = {
      ...pausedMailbox,
      reason: "replies are not being read over IMAP: login refused (AUTHENTICATIONFAILED)",
      error_type: "ImapReadFailed",
      actions: ["fix its IMAP settings (PATCH /api/mailboxes/{id})"],
    };
    const [paused, imap] = await shown([pausedMailbox, unread]);
    expect(paused.getByRole("button", { name: "Resume" })).toBeInTheDocument();
    expect(imap.getByText("replies unread")).toBeInTheDocument();
    expect(imap.getByText(/login refused/)).toBeInTheDocument();
    expect(imap.getByText(/Fix its IMAP settings/)).toBeInTheDocument();
    expect(imap.queryByRole("button", { name: "Resume" })).toBeNull();
  });

  it("resume removes the mailbox at once and keeps it away once accepted", async () => {
    let listed: AttentionItem[] = [pausedMailbox];
    const { sent } = stubApi({
      "GET /api/ops/attention": () => ({ body: listed }),
      [resumePath]: () => {
        listed = [];
        return { body: { id: pausedMailbox.mailbox_id, name: "ada-outbound", state: "active", paused_reason: null, paused_at: null } };
      },
    });
    renderWithClient(<AttentionPage params={{}} />);
    await userEvent.click(await screen.findByRole("button", { name: "Resume" }));
    expect(await screen.findByText("Nothing needs you. Every lead and mailbox is moving.")).toBeInTheDocument();
    expect(screen.queryByRole("alert")).toBeNull();
    expect(sent.filter((c) => c.method === "POST")).toHaveLength(1);
  });

  it("a refused resume brings the mailbox back with the server's reason", async () => {
    await refusedThenRestored(pausedMailbox, resumePath, "Resume", "mailbox ada-outbound is disabled");
    expect(screen.getByTestId("attention-item")).toHaveTextContent("ada-outbound");
  });

  it("shows the empty and the error states", async () => {
    stubApi({ "GET /api/ops/attention": { status: 503, body: { error: "the database is down" } } });
    renderWithClient(<AttentionPage params={{}} />);
    expect(await screen.findByRole("alert")).toHaveTextContent("the database is down");
  });
});
