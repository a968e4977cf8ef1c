import { afterEach, describe, expect, it, vi } from "vitest";
import { screen, within } from "@testing-library/react";
import CampaignsPage from "./Campaigns";
import { mockFetch, renderPage } from "../test/utils";
import { campaign, figures, overview } from "../test/fixtures";

afterEach(() => vi.unstubAllGlobals());

describe("Campaigns page", () => {
  it("lists campaigns with progress, 7-day figures and links", async () => {
    const a = campaign();
    const b = campaign({ id: "44444444-4444-4444-4444-444444444444", name: "Paused one", state: "paused", enrolled: 3, selected: 3, enrollments: { paused: 3 } });
    mockFetch({
      "GET /api/campaigns": { body: [a, b] },
      "GET /api/analytics/overview": {
        body: overview({ campaigns: [{ campaign_id: a.id, name: a.name, figures: figures({ messages_sent: 12, sent: 8, replied: 2 }) }] }),
      },
    });
    renderPage(<CampaignsPage params={{}} />);
    const rows = await screen.findAllByTestId("campaign-row");
    expect(rows).toHaveLength(2);
    const first = within(rows[0]);
    expect(first.getByRole("link", { name: "Q3 founders" })).toHaveAttribute("href", `/campaigns/${a.id}`);
    expect(first.getByText("8 / 10")).toBeInTheDocument();
    expect(first.getByText("25%")).toBeInTheDocument();
    expect(first.getByText("active")).toBeInTheDocument();
    expect(within(rows[1]).getByText("paused")).toBeInTheDocument();
    // overview strip: one running campaign (the paused one is not), 6+1+3 leads in sequence
    expect(within(screen.getByTestId("stat-campaigns-running")).getByText("1")).toBeInTheDocument();
    expect(within(screen.getByTestId("stat-leads-in-sequence")).getByText("10")).toBeInTheDocument();
    expect(await within(screen.getByTestId("stat-sent")).findByText("42")).toBeInTheDocument();
    expect(within(screen.getByTestId("stat-replies")).getByText("5")).toBeInTheDocument();
  });

  it("says how to start a campaign when there is none", async () => {
    mockFetch({ "GET /api/campaigns": { body: [] }, "GET /api/analytics/overview": { body: overview() } });
    renderPage(<CampaignsPage params={{}} />);
    expect(await screen.findByText("No campaigns yet")).toBeInTheDocument();
    expect(screen.getByText("POST /api/campaigns")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Import" })).toHaveAttribute("href", "/import");
    expect(screen.queryByTestId("campaign-row")).toBeNull();
  });

  it("shows the server's error with a retry", async () => {
    mockFetch({ "GET /api/campaigns": { status: 500, body: { error: "database is down" } }, "GET /api/analytics/overview": { body: overview() } });
    renderPage(<CampaignsPage params={{}} />);
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("database is down");
    expect(within(alert).getByRole("button", { name: "Try again" })).toBeInTheDocument();
  });
});
