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

describe("Attention page", () => {
  it("lists dead letters and overdue tasks with the lead, the reason and the Temporal link", async () => {
    stubApi({ "GET /api/ops/attention": { body: [deadLetter, overdue] } });
    renderWithClient(<AttentionPage params={{}} />);
    const items = await screen.findAllByTestId("attention-item");
    expect(items).toHaveLength(2);
    const first = within(items[0]);
    expect(first.getByRole("link", { name: "Grace Hopper" })).toHaveAttribute("href", `/leads/${deadLetter.lead_id}`);
    expect(first.getByText(/bad API key/)).toBeInTheDocument();
    const temporal = first.getByRole("link", { name: "Open in Temporal Web UI" });
    expect(temporal).toHaveAttribute("href", deadLetter.temporal_url);
    expect(temporal).toHaveAttribute("target", "_blank");
    expect(temporal).toHaveAttribute("rel", "noopener noreferrer");
    for (const name of ["Retry", "Skip", "Stop"]) expect(first.getByRole("button", { name })).toBeInTheDocument();
    expect(within(items[1]).queryByRole("button", { name: "Retry" })).toBeNull();
  });

  it("retry removes the item at once and restores it with an alert on a 409", async () => {
    const answer = gate<Answer>();
    const { sent } = stubApi({
      "GET /api/ops/attention": { body: [deadLetter] },
      [`POST /api/ops/leads/${deadLetter.lead_id}/retry`]: () => answer.promise,
    });
    renderWithClient(<AttentionPage params={{}} />);
    await userEvent.click(await screen.findByRole("button", { name: "Retry" }));
    await waitFor(() => expect(screen.queryByTestId("attention-item")).toBeNull());
    answer.open({ status: 409, body: { error: "the lead is not waiting for ops" } });
    expect(await screen.findByRole("alert")).toHaveTextContent("the lead is not waiting for ops");
    expect(await screen.findByTestId("attention-item")).toHaveTextContent("Grace Hopper");
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
    expect(await screen.findByText("Nothing needs you. Every lead is moving.")).toBeInTheDocument();
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("shows the empty and the error states", async () => {
    stubApi({ "GET /api/ops/attention": { status: 503, body: { error: "the database is down" } } });
    renderWithClient(<AttentionPage params={{}} />);
    expect(await screen.findByRole("alert")).toHaveTextContent("the database is down");
  });
});
