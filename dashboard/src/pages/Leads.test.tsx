import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import LeadsPage, { filtersFrom, filtersQuery } from "./Leads";
import { mockFetch, renderPage } from "../test/utils";
import { campaign, lead } from "../test/fixtures";

const C = campaign();
const page = (names: string[], next: string | null, total = 3) => ({
  items: names.map((name, i) => lead({ id: `00000000-0000-0000-0000-00000000000${names.length === 1 ? 9 : i}`, name })),
  total,
  limit: 50,
  offset: 0,
  next_cursor: next,
});

beforeEach(() => window.history.replaceState(null, "", "/leads"));
afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

const leadCalls = (calls: { method: string; url: URL }[]) => calls.filter((c) => c.url.pathname === "/api/leads");

describe("Leads page", () => {
  it("reads its filters from the URL and sends them (status repeated)", async () => {
    window.history.replaceState(null, "", `/leads?q=ada&status=NEW&status=REPLIED&campaign=${C.id}&owner=sam&company=Acme`);
    const { calls } = mockFetch({ "GET /api/leads": { body: page(["Ada"], null, 1) }, "GET /api/campaigns": { body: [C] } });
    renderPage(<LeadsPage params={{}} />);
    const row = await screen.findByTestId("lead-row");
    expect(row).toHaveTextContent("Ada");
    expect(screen.getByRole("link", { name: "Ada" })).toHaveAttribute("href", "/leads/00000000-0000-0000-0000-000000000009");
    const params = leadCalls(calls)[0].url.searchParams;
    expect(params.get("q")).toBe("ada");
    expect(params.getAll("status")).toEqual(["NEW", "REPLIED"]);
    expect(params.get("campaign")).toBe(C.id);
    expect(params.get("owner")).toBe("sam");
    expect(params.get("company")).toBe("Acme");
    expect(params.get("cursor")).toBeNull();
    expect(screen.getByRole("checkbox", { name: "NEW" })).toBeChecked();
    expect(screen.getByRole("checkbox", { name: "BOUNCED" })).not.toBeChecked();
    expect(await screen.findByRole("option", { name: C.name })).toBeInTheDocument();
    expect(screen.getByRole("combobox", { name: "Campaign" })).toHaveValue(C.id);
  });

  it("puts typed search (debounced) and ticked statuses in the URL and asks again", async () => {
    const { calls } = mockFetch({ "GET /api/leads": { body: page(["Ada", "Bob"], null) }, "GET /api/campaigns": { body: [C] } });
    renderPage(<LeadsPage params={{}} />);
    await screen.findAllByTestId("lead-row");
    const user = userEvent.setup();
    await user.type(screen.getByRole("searchbox", { name: "Search" }), "ad a");
    // not on every keystroke
    expect(window.location.search).toBe("");
    await waitFor(() => expect(window.location.search).toBe("?q=ad+a"), { timeout: 1500 });
    await user.click(screen.getByRole("checkbox", { name: "OUTREACHED" }));
    await user.click(screen.getByRole("checkbox", { name: "REPLIED" }));
    expect(window.location.search).toBe("?q=ad+a&status=OUTREACHED&status=REPLIED");
    await waitFor(() => expect(leadCalls(calls).at(-1)?.url.searchParams.getAll("status")).toEqual(["OUTREACHED", "REPLIED"]));
    expect(leadCalls(calls).at(-1)?.url.searchParams.get("q")).toBe("ad a");
    // one request per settled search, not per keystroke
    expect(leadCalls(calls).filter((c) => c.url.searchParams.get("q") === "a")).toHaveLength(0);
    expect(leadCalls(calls).filter((c) => c.url.searchParams.get("q") === "ad ")).toHaveLength(0);
  });

  it("pages forward with next_cursor and back with the cursor stack", async () => {
    const { calls } = mockFetch({
      "GET /api/leads": () => {
        const cursor = new URL(String(leadCalls(calls).at(-1)!.url)).searchParams.get("cursor");
        if (cursor === null) return { body: page(["Ada", "Bob"], "c2", 5) };
        if (cursor === "c2") return { body: page(["Cy", "Di"], "c3", 5) };
        return { body: page(["Eve"], null, 5) };
      },
      "GET /api/campaigns": { body: [] },
    });
    renderPage(<LeadsPage params={{}} />);
    await screen.findByText("Ada");
    const user = userEvent.setup();
    expect(screen.getByRole("button", { name: "Previous" })).toBeDisabled();
    await user.click(screen.getByRole("button", { name: "Next page" }));
    await screen.findByText("Cy");
    expect(leadCalls(calls).at(-1)?.url.searchParams.get("cursor")).toBe("c2");
    await user.click(screen.getByRole("button", { name: "Next page" }));
    await screen.findByText("Eve");
    expect(leadCalls(calls).at(-1)?.url.searchParams.get("cursor")).toBe("c3");
    expect(screen.getByRole("button", { name: "Next page" })).toBeDisabled();
    await user.click(screen.getByRole("button", { name: "Previous" }));
    await screen.findByText("Cy");
    await user.click(screen.getByRole("button", { name: "Previous" }));
    await screen.findByText("Ada");
    expect(screen.getByRole("button", { name: "Previous" })).toBeDisabled();
  });

  it("has an empty state and an error state", async () => {
    mockFetch({ "GET /api/leads": { body: page([], null, 0) }, "GET /api/campaigns": { body: [] } });
    renderPage(<LeadsPage params={{}} />);
    expect(await screen.findByText("No leads yet")).toBeInTheDocument();
    vi.unstubAllGlobals();
    mockFetch({ "GET /api/leads": { status: 422, body: { error: "invalid request", detail: [{ field: "query.campaign", message: "not a uuid" }] } }, "GET /api/campaigns": { body: [] } });
    window.history.replaceState(null, "", "/leads?campaign=nope");
    renderPage(<LeadsPage params={{}} />);
    expect(await screen.findByRole("alert")).toHaveTextContent("query.campaign: not a uuid");
  });

  it("round-trips filters through the query string", () => {
    const f = { q: " ada ", status: ["NEW", "BOUNCED"], campaign: "", owner: "", company: "Acme Inc" };
    expect(filtersQuery(f)).toBe("q=ada&status=NEW&status=BOUNCED&company=Acme+Inc");
    expect(filtersFrom(new URLSearchParams(filtersQuery(f)))).toEqual({ q: "ada", status: ["NEW", "BOUNCED"], campaign: "", owner: "", company: "Acme Inc" });
  });
});
