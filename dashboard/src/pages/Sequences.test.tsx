import { afterEach, describe, expect, it, vi } from "vitest";
import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import SequencesPage, { conditionText, duration, type Sequence, type SimulationReport } from "./Sequences";
import { gate, renderWithClient, stubApi, type Answer } from "../test/utils";

afterEach(() => vi.unstubAllGlobals());

const weekdays = { start: "09:00", end: "17:00", days: [1, 2, 3, 4, 5] };
const cold: Sequence = {
  name: "cold-outbound",
  valid: true,
  description: "Email, bump, WhatsApp if phone, LinkedIn task.",
  version: "edac3e946927",
  steps: [
    { id: "intro", kind: "send", channel: "EMAIL", subject: "Quick question, {{ lead.first_name }}", body: "Hi <b>there</b>", thread: false, variants: [], ai: null, alternatives: [] },
    { id: "wait-2", kind: "wait", seconds: 172800, window: weekdays },
    { id: "has-phone", kind: "branch", when: { type: "has_phone" }, then: "wa", otherwise: "li" },
    { id: "wa", kind: "send", channel: "WHATSAPP", subject: null, body: "Hi on WhatsApp", thread: false, variants: [], ai: null, alternatives: [] },
    { id: "li", kind: "task", task_type: "linkedin", action: "connect", instructions: "Connect with them.", due_seconds: 172800 },
    { id: "end", kind: "end" },
  ],
};
const broken: Sequence = { name: "broken", valid: false, error: "step 'x': unknown channel FAX" };
const report: SimulationReport = {
  sequence: "cold-outbound",
  version: "edac3e946927",
  timezone: "Europe/Paris",
  lead: "Ada Lovelace",
  timeline: [
    { at: "2026-12-03T09:00:00Z", local: "2026-12-03T10:00:00+01:00", local_display: "Thu 2026-12-03 10:00 CET", kind: "send", step: 1, channel: "EMAIL", subject: "Quick question, Ada", preview: "Hi Ada", event: null, label: null, detail: null, text: "" },
    { at: "2026-12-03T09:00:01Z", local: "2026-12-03T10:00:01+01:00", local_display: "Thu 2026-12-03 10:00 CET", kind: "reply", step: null, channel: null, subject: null, preview: "I'm out of office until the 14th", event: null, label: null, detail: null, text: "" },
    { at: "2026-12-03T09:00:02Z", local: "2026-12-03T10:00:02+01:00", local_display: "Thu 2026-12-03 10:00 CET", kind: "event", step: null, channel: null, subject: null, preview: null, event: "INTENT_CLASSIFIED", label: "reply classified", detail: "out_of_office", text: "" },
  ],
  ended: { outcome: "completed", sends: 3, last_step: 6, reason: "", days: 12 },
};

describe("Sequences page", () => {
  it("draws each step: sends with channel and subject, waits, both branch paths, tasks; shows a sequence's compile error", async () => {
    stubApi({ "GET /api/sequences": { body: [cold, broken] } });
    renderWithClient(<SequencesPage params={{}} />);
    const flow = await screen.findByTestId("sequence-flow");
    const steps = within(flow).getAllByTestId("flow-step");
    expect(steps).toHaveLength(6);
    expect(steps[0]).toHaveTextContent("EMAIL");
    expect(steps[0]).toHaveTextContent("“Quick question, {{ lead.first_name }}”");
    expect(steps[0]).toHaveTextContent("Hi <b>there</b>");
    expect(steps[1]).toHaveTextContent("Wait 2 days");
    expect(steps[1]).toHaveTextContent("Mon–Fri 09:00–17:00");
    expect(steps[2]).toHaveTextContent("If the lead has a phone number");
    expect(within(steps[2]).getByRole("link", { name: "step 4 (wa)" })).toHaveAttribute("href", "#step-cold-outbound-wa");
    expect(within(steps[2]).getByRole("link", { name: "step 5 (li)" })).toBeInTheDocument();
    expect(steps[3]).toHaveTextContent("WHATSAPP");
    expect(steps[4]).toHaveTextContent("LinkedIn task: connect");
    expect(steps[5]).toHaveTextContent("End");
    expect(screen.getByTestId("sequence-error")).toHaveTextContent("unknown channel FAX");
  });

  it("simulates with a reply at a step and shows the timeline", async () => {
    const answer = gate<Answer>();
    const { sent } = stubApi({
      "GET /api/sequences": { body: [cold] },
      "POST /api/sequences/cold-outbound/simulate": () => answer.promise,
    });
    renderWithClient(<SequencesPage params={{}} />);
    await screen.findByTestId("sequence-flow");
    const tz = screen.getByLabelText("Lead's timezone");
    await userEvent.clear(tz);
    await userEvent.type(tz, "Europe/Paris");
    await userEvent.selectOptions(screen.getByLabelText("Reply after step (optional)"), "1");
    await userEvent.type(screen.getByLabelText("Reply text"), "I'm out of office until the 14th");
    await userEvent.click(screen.getByRole("button", { name: "Simulate" }));
    expect(await screen.findByText(/Simulating on a time-skipping server/)).toBeInTheDocument();
    answer.open({ body: report });
    const simulation = await screen.findByTestId("simulation");
    const entries = within(simulation).getAllByTestId("simulation-entry");
    expect(entries).toHaveLength(3);
    expect(entries[0]).toHaveTextContent("Thu 2026-12-03 10:00 CET");
    expect(entries[0]).toHaveTextContent("“Quick question, Ada”");
    expect(entries[1]).toHaveTextContent("I'm out of office until the 14th");
    expect(entries[2]).toHaveTextContent("reply classified: out_of_office");
    expect(simulation).toHaveTextContent("3 sends over 12.0 days");
    expect(sent.find((c) => c.method === "POST")?.json).toEqual({
      replies: [{ step: 1, content: "I'm out of office until the 14th" }],
      timezone: "Europe/Paris",
    });
  });

  it("shows a simulation that could not run", async () => {
    stubApi({
      "GET /api/sequences": { body: [cold] },
      "POST /api/sequences/cold-outbound/simulate": { status: 503, body: { error: "the simulation could not run (Temporal test server or PostgreSQL)" } },
    });
    renderWithClient(<SequencesPage params={{}} />);
    await userEvent.click(await screen.findByRole("button", { name: "Simulate" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("could not run");
    expect(screen.queryByTestId("simulation")).toBeNull();
  });

  it("shows the error and empty states of the list", async () => {
    stubApi({ "GET /api/sequences": { status: 500, body: { error: "boom" } } });
    renderWithClient(<SequencesPage params={{}} />);
    expect(await screen.findByRole("alert")).toHaveTextContent("boom");
  });
});

describe("duration and conditionText", () => {
  it("say waits and conditions in words", () => {
    expect(duration(10)).toBe("10 seconds");
    expect(duration(86400)).toBe("1 day");
    expect(duration(90000)).toBe("1 day 1 hour");
    expect(conditionText({ type: "reply_intent", intents: ["interested", "question"] })).toBe("the reply's intent is interested or question");
  });
});
