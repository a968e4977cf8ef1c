import { afterEach, describe, expect, it, vi } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import ImportPage, { guessField, readHeader, type ImportDetail } from "./Import";
import { renderWithClient, stubApi } from "../test/utils";

afterEach(() => vi.unstubAllGlobals());

const ID = "99999999-9999-4999-8999-999999999999";
const done: ImportDetail = {
  id: ID, filename: "leads.csv", status: "done", rows: 4, created: 2, updated: 1, skipped: 0, rejected: 1, suppressed: 0,
  campaign_id: null, error: null, created_at: "2026-12-01T09:00:00Z", finished_at: "2026-12-01T09:00:01Z",
  rejections: [{ line: 4, column: "Work Email", reason: "not a valid email address" }],
  rejected_csv: `/api/imports/${ID}/rejected.csv`,
};
const CSV = 'Work Email;"Full Name";Notes\nada@example.com;Ada Lovelace;met at the fair\n';
const campaigns = [{ id: "c-1", name: "Q1 outbound", state: "active" }, { id: "c-2", name: "Old", state: "stopped" }];

describe("Import page", () => {
  it("reads the CSV header, sends the mapping and options, and shows the report", async () => {
    const { sent } = stubApi({
      "GET /api/campaigns": { body: campaigns },
      "GET /api/imports": { body: { items: [] } },
      "POST /api/imports": { status: 201, body: done },
      [`GET /api/imports/${ID}`]: { body: done },
    });
    renderWithClient(<ImportPage params={{}} />);
    expect(await screen.findByText("No imports yet.")).toBeInTheDocument();
    await userEvent.upload(screen.getByTestId("import-file"), new File([CSV], "leads.csv", { type: "text/csv" }));

    const mail = await screen.findByRole("combobox", { name: "Field for column Work Email" });
    expect(mail).toHaveValue("email");
    expect(screen.getByRole("combobox", { name: "Field for column Full Name" })).toHaveValue("name");
    const notes = screen.getByRole("combobox", { name: "Field for column Notes" });
    expect(notes).toHaveValue("metadata");
    await userEvent.selectOptions(notes, "ignore");
    await userEvent.selectOptions(screen.getByRole("combobox", { name: "When a lead already exists" }), "fill-empty");
    const campaign = screen.getByRole("combobox", { name: "Add to campaign (optional)" });
    await waitFor(() => expect(within(campaign).getByRole("option", { name: "Q1 outbound" })).toBeInTheDocument());
    expect(within(campaign).queryByRole("option", { name: "Old" })).toBeNull();
    await userEvent.selectOptions(campaign, "c-1");
    await userEvent.click(screen.getByRole("button", { name: "Upload" }));

    const report = await screen.findByTestId("import-report");
    expect(within(report).getByTestId("import-created")).toHaveTextContent("2");
    expect(within(report).getByTestId("import-updated")).toHaveTextContent("1");
    expect(within(report).getByTestId("import-rejected")).toHaveTextContent("1");
    const row = within(report).getByRole("row", { name: /not a valid email address/ });
    expect(row).toHaveTextContent("4");
    expect(row).toHaveTextContent("Work Email");
    expect(within(report).getByRole("link", { name: /Download rejected rows/ })).toHaveAttribute("href", done.rejected_csv);

    const post = sent.find((c) => c.method === "POST");
    expect(post?.form?.get("mapping")).toBe(JSON.stringify({ "Work Email": "email", "Full Name": "name", Notes: "ignore" }));
    expect(post?.form?.get("on_duplicate")).toBe("fill-empty");
    expect(post?.form?.get("campaign")).toBe("c-1");
    expect((post?.form?.get("file") as File).name).toBe("leads.csv");
  });

  it("follows a background import (202) every second until it is done", async () => {
    let polls = 0;
    stubApi({
      "GET /api/campaigns": { body: [] },
      "GET /api/imports": { body: { items: [] } },
      "POST /api/imports": { status: 202, body: { ...done, status: "processing", rows: 0, rejections: [] } },
      [`GET /api/imports/${ID}`]: () => {
        polls += 1;
        return { body: polls < 2 ? { ...done, status: "processing", rows: 1200, rejections: [] } : done };
      },
    });
    renderWithClient(<ImportPage params={{}} />);
    await userEvent.upload(screen.getByTestId("import-file"), new File([CSV], "leads.csv", { type: "text/csv" }));
    await screen.findByRole("combobox", { name: "Field for column Work Email" });
    await userEvent.click(screen.getByRole("button", { name: "Upload" }));
    expect(await screen.findByText(/rows read so far/)).toBeInTheDocument();
    expect(await screen.findByTestId("import-report", {}, { timeout: 4000 })).toBeInTheDocument();
    expect(polls).toBeGreaterThanOrEqual(2);
  });

  it("shows a refused upload with the field at fault", async () => {
    stubApi({
      "GET /api/campaigns": { body: [] },
      "GET /api/imports": { status: 500, body: { error: "cannot list imports" } },
      "POST /api/imports": { status: 422, body: { error: "invalid import options", detail: [{ field: "mapping", message: "unknown field 'emial'" }] } },
    });
    renderWithClient(<ImportPage params={{}} />);
    await userEvent.upload(screen.getByTestId("import-file"), new File([CSV], "leads.csv", { type: "text/csv" }));
    await screen.findByRole("combobox", { name: "Field for column Work Email" });
    await userEvent.click(screen.getByRole("button", { name: "Upload" }));
    const alerts = await screen.findAllByRole("alert");
    expect(alerts.map((a) => a.textContent).join(" ")).toContain("mapping: unknown field 'emial'");
    expect(alerts.map((a) => a.textContent).join(" ")).toContain("cannot list imports");
    expect(screen.queryByTestId("import-report")).toBeNull();
  });
});

describe("readHeader and guessField", () => {
  it("reads quoted cells with any of the usual delimiters", () => {
    expect(readHeader('\uFEFF"Email, work",Name\r\nx,y')).toEqual(["Email, work", "Name"]);
    expect(readHeader("a\tb\tc\n")).toEqual(["a", "b", "c"]);
    expect(readHeader('x;"say ""hi""";z')).toEqual(["x", 'say "hi"', "z"]);
  });
  it("guesses lead fields from common headers", () => {
    expect(["E-mail", "First Name", "Mobile", "Job Title", "Shoe size"].map(guessField)).toEqual([
      "email", "first_name", "phone", "title", "metadata",
    ]);
  });
});
