import { afterEach, describe, expect, it, vi } from "vitest";
import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import CampaignPage from "./Campaign";
import { deferred, mockFetch, renderPage } from "../test/utils";
import { campaign, figures, funnel, lead } from "../test/fixtures";
import { invalidationsFor, keys } from "../live";

afterEach(() => vi.unstubAllGlobals());

const ID = campaign().id;
const leads = { items: [lead()], total: 1, limit: 100, offset: 0, next_cursor: null };

describe("Campaign page", () => {
  it("shows the replied figure, the arms, the CSV link and the leads; a live reply moves the figure", async () => {
    let replied = 3;
    const { calls } = mockFetch({
      [`GET /api/campaigns/${ID}`]: { body: campaign() },
      [`GET /api/campaigns/${ID}/funnel`]: () => ({ body: funnel({ overall: figures({ sent: 8, replied }) }) }),
      "GET /api/leads": { body: leads },
    });
    const { client } = renderPage(<CampaignPage params={{ id: ID }} />);
    expect(await screen.findByTestId("funnel-replied")).toHaveTextContent("3");
    expect(screen.getByTestId("funnel")).toBeInTheDocument();
    expect(screen.getAllByTestId("arm-row")).toHaveLength(2);
    expect(screen.getByRole("link", { name: "Funnel CSV" })).toHaveAttribute("href", `/api/campaigns/${ID}/funnel.csv`);
    expect(await screen.findByRole("link", { name: "Ada Lovelace" })).toHaveAttribute("href", `/leads/${lead().id}`);
    expect(calls.find((c) => c.url.pathname === "/api/leads")?.url.searchParams.get("campaign")).toBe(ID);

    // What the app shell does with a live REPLY_RECEIVED for this campaign.
    replied = 4;
    await act(async () => {
      for (const key of invalidationsFor({ event_type: "REPLY_RECEIVED", lead_id: lead().id, campaign_id: ID })) {
        await client.invalidateQueries({ queryKey: key });
      }
    });
    await waitFor(() => expect(screen.getByTestId("funnel-replied")).toHaveTextContent("4"));
  });

  it("pauses at once, and rolls back with an alert when the server refuses", async () => {
    const gate = deferred<{ status: number; body: unknown }>();
    const later = deferred<{ status: number; body: unknown }>();
    let gets = 0;
    const { calls } = mockFetch({
      // the refetch after the refusal is held: the rollback alone must restore the state
      [`GET /api/campaigns/${ID}`]: () => (gets++ === 0 ? { body: campaign() } : later.promise),
      [`GET /api/campaigns/${ID}/funnel`]: { body: funnel() },
      "GET /api/leads": { body: leads },
      [`POST /api/campaigns/${ID}/pause`]: () => gate.promise,
    });
    const { client } = renderPage(<CampaignPage params={{ id: ID }} />);
    await screen.findByTestId("funnel-replied");
    await userEvent.click(screen.getByRole("button", { name: "Pause" }));
    // optimistic: paused before the server answers
    await waitFor(() => expect(within(screen.getByTestId("campaign-state")).getByText("paused")).toBeInTheDocument());
    expect(client.getQueryData<{ state: string }>(keys.campaign(ID))?.state).toBe("paused");
    gate.resolve({ status: 503, body: { error: "Temporal is not reachable" } });
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Temporal is not reachable");
    await waitFor(() => expect(within(screen.getByTestId("campaign-state")).getByText("active")).toBeInTheDocument());
    expect(calls.filter((c) => c.method === "POST")).toHaveLength(1);
    later.resolve({ status: 200, body: campaign() });
  });

  it("asks before stopping, and does nothing when the user says no", async () => {
    const { calls } = mockFetch({
      [`GET /api/campaigns/${ID}`]: { body: campaign() },
      [`GET /api/campaigns/${ID}/funnel`]: { body: funnel() },
      "GET /api/leads": { body: leads },
    });
    const confirm = vi.fn(() => false);
    vi.stubGlobal("confirm", confirm);
    renderPage(<CampaignPage params={{ id: ID }} />);
    await screen.findByTestId("funnel-replied");
    await userEvent.click(screen.getByRole("button", { name: "Stop" }));
    expect(confirm).toHaveBeenCalled();
    expect(calls.filter((c) => c.method === "POST")).toHaveLength(0);
  });

  it("shows a 404 as an error", async () => {
    mockFetch({ [`GET /api/campaigns/${ID}`]: { status: 404, body: { error: `campaign ${ID} not found` } } });
    renderPage(<CampaignPage params={{ id: ID }} />);
    expect(await screen.findByRole("alert")).toHaveTextContent("not found");
  });
});
