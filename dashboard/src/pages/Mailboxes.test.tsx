import { afterEach, describe, expect, it, vi } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import MailboxesPage, { bodyOf, fieldOf, gapText, windowText, type DefaultSender, type Mailbox, type MailboxList } from "./Mailboxes";
import { gate, renderWithClient, stubApi, type Answer } from "../test/utils";

afterEach(() => vi.unstubAllGlobals());

function mailbox(over: Partial<Mailbox> = {}): Mailbox {
  return {
    id: "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa",
    name: "ana",
    channel_type: "EMAIL",
    provider: null,
    address: "ana@example.com",
    display_name: "Ana at Example",
    owner: "ana",
    config: {},
    daily_cap: 40,
    hourly_cap: 10,
    min_gap_seconds: 180,
    jitter_seconds: 120,
    send_window: { start: "09:00", end: "17:00", days: [1, 2, 3, 4, 5] },
    timezone: "Europe/Berlin",
    ramp: { start: 10, step: 5, since: "2026-12-01" },
    pool_default: true,
    state: "active",
    paused_reason: null,
    paused_at: null,
    bounce_threshold: null,
    complaint_threshold: null,
    imap: true,
    created_at: "2026-12-01T10:00:00Z",
    updated_at: "2026-12-01T10:00:00Z",
    usage: { sent_24h: 12, sent_1h: 3, promised: 4, cap_today: 15, headroom: 3, next_free_at: "2026-12-03T10:42:00Z" },
    ...over,
  };
}

const ben = mailbox({
  id: "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb",
  name: "ben",
  address: "ben@example.com",
  display_name: null,
  owner: null,
  daily_cap: null,
  hourly_cap: null,
  min_gap_seconds: 0,
  jitter_seconds: 0,
  send_window: {},
  timezone: "UTC",
  ramp: {},
  imap: false,
  state: "paused",
  paused_reason: "bounce rate 7.0% over 5.0% in 24 h",
  paused_at: "2026-12-02T08:30:00Z",
  usage: { sent_24h: 7, sent_1h: 0, promised: 0, cap_today: null, headroom: null, next_free_at: null },
  health: {
    sends: 100, bounces: 7, complaints: 0, bounce_rate: 0.07, complaint_rate: 0,
    bounce_threshold: 0.05, complaint_threshold: 0.001, window_hours: 24,
  },
});

const defaults: DefaultSender[] = [
  { channel_type: "EMAIL", provider: "sendgrid", address: "team@example.com", daily_cap: 200, send_window: {}, used_by: "campaigns that name no mailbox of this type" },
  { channel_type: "SMS", provider: "outbox", address: null, daily_cap: null, send_window: {}, used_by: "campaigns that name no mailbox of this type" },
];

const listing = (items: Mailbox[]): MailboxList => ({ items, defaults });

describe("Mailboxes page", () => {
  it("lists each mailbox with its state, usage against its caps, pacing, window and IMAP", async () => {
    stubApi({ "GET /api/mailboxes": { body: listing([mailbox(), ben]) } });
    renderWithClient(<MailboxesPage params={{}} />);
    const rows = await screen.findAllByTestId("mailbox-row");
    expect(rows).toHaveLength(2);
    const ana = within(rows[0]);
    expect(rows[0]).toHaveTextContent("ana@example.com");
    expect(rows[0]).toHaveTextContent("Ana at Example");
    expect(rows[0]).toHaveTextContent("owner: ana");
    expect(rows[0]).toHaveTextContent("EMAIL");
    expect(ana.getByTestId("mailbox-state")).toHaveTextContent("active");
    const today = ana.getByTestId("mailbox-today");
    expect(today).toHaveTextContent("12 / 15");
    expect(today).toHaveTextContent("warming up: 15 today");
    const meter = today.querySelector("meter");
    expect(meter).not.toBeNull();
    expect(meter).toHaveAttribute("value", "12");
    expect(meter).toHaveAttribute("max", "15");
    expect(ana.getByTestId("mailbox-hour")).toHaveTextContent("3 / 10");
    expect(ana.getByTestId("mailbox-pacing")).toHaveTextContent("≥ 3 min + ≤ 2 min jitter");
    expect(ana.getByTestId("mailbox-pacing")).toHaveTextContent("Mon–Fri 09:00–17:00 Europe/Berlin");
    expect(ana.getByTestId("mailbox-waiting")).toHaveTextContent("4 waiting");
    expect(ana.getByTestId("mailbox-waiting")).toHaveTextContent("next free");
    expect(rows[0].querySelectorAll("td")[7]).toHaveTextContent("on");
    expect(ana.getByRole("button", { name: "Pause" })).toBeInTheDocument();
    expect(ana.getByRole("button", { name: "Disable" })).toBeInTheDocument();
    expect(ana.queryByRole("button", { name: "Resume" })).toBeNull();

    const b = within(rows[1]);
    expect(b.getByTestId("mailbox-state")).toHaveTextContent("paused");
    expect(b.getByTestId("mailbox-state")).toHaveTextContent("bounce rate 7.0% over 5.0% in 24 h");
    expect(b.getByTestId("mailbox-state")).toHaveTextContent("since");
    expect(b.getByTestId("mailbox-health")).toHaveTextContent("bounces 7.0% (pauses at 5.0%)");
    expect(b.getByTestId("mailbox-today")).toHaveTextContent("no cap");
    expect(b.getByTestId("mailbox-today")).not.toHaveTextContent("warming up");
    expect(b.getByTestId("mailbox-today").querySelector("meter")).toBeNull();
    expect(b.getByTestId("mailbox-hour")).toHaveTextContent("no cap");
    expect(b.getByTestId("mailbox-pacing")).toHaveTextContent("no gap");
    expect(b.getByTestId("mailbox-pacing")).toHaveTextContent("any time");
    expect(b.getByTestId("mailbox-waiting")).toHaveTextContent("free now");
    expect(rows[1].querySelectorAll("td")[7]).toHaveTextContent("off");
    expect(b.getByRole("button", { name: "Resume" })).toBeInTheDocument();
    expect(b.queryByRole("button", { name: "Pause" })).toBeNull();

    const senders = screen.getAllByTestId("default-sender");
    expect(senders).toHaveLength(2);
    expect(senders[0]).toHaveTextContent("sendgrid");
    expect(senders[0]).toHaveTextContent("team@example.com");
    expect(senders[1]).toHaveTextContent("the provider's default");
  });

  it("shows a mailbox's text as text, never as markup", async () => {
    stubApi({ "GET /api/mailboxes": { body: listing([mailbox({ display_name: "<img src=x onerror=alert(1)>", state: "paused", paused_reason: "<b>bad</b>" })]) } });
    const { container } = renderWithClient(<MailboxesPage params={{}} />);
    const row = await screen.findByTestId("mailbox-row");
    expect(row).toHaveTextContent("<img src=x onerror=alert(1)>");
    expect(row).toHaveTextContent("<b>bad</b>");
    expect(container.querySelector("img")).toBeNull();
    expect(container.querySelector("b")).toBeNull();
  });

  it("says every campaign sends from its channel's default sender when there is no mailbox, and shows the defaults", async () => {
    stubApi({ "GET /api/mailboxes": { body: listing([]) } });
    renderWithClient(<MailboxesPage params={{}} />);
    expect(await screen.findByText("No mailboxes yet: every campaign sends from its channel's default sender")).toBeInTheDocument();
    expect(screen.queryByTestId("mailbox-row")).toBeNull();
    expect(screen.getAllByTestId("default-sender")).toHaveLength(2);
  });

  it("shows loading, then the server's error with Try again that asks again", async () => {
    let calls = 0;
    const first = gate<Answer>();
    stubApi({
      "GET /api/mailboxes": () => {
        calls++;
        return calls === 1 ? first.promise : { body: listing([mailbox()]) };
      },
    });
    renderWithClient(<MailboxesPage params={{}} />);
    expect(screen.getByRole("status")).toHaveTextContent("Loading");
    first.open({ status: 503, body: { error: "the database is down" } });
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("the database is down");
    await userEvent.click(within(alert).getByRole("button", { name: "Try again" }));
    expect(await screen.findByTestId("mailbox-row")).toHaveTextContent("ana");
    expect(calls).toBe(2);
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("pause asks for a reason, shows paused at once and rolls back with the server's reason on a 409", async () => {
    const answer = gate<Answer>();
    // The refetch after the refusal is held: only the rollback can bring the row back.
    const refetch = gate<Answer>();
    let lists = 0;
    const { sent } = stubApi({
      "GET /api/mailboxes": () => (++lists === 1 ? { body: listing([mailbox()]) } : refetch.promise),
      [`POST /api/mailboxes/${mailbox().id}/pause`]: () => answer.promise,
    });
    renderWithClient(<MailboxesPage params={{}} />);
    const row = await screen.findByTestId("mailbox-row");
    await userEvent.click(within(row).getByRole("button", { name: "Pause" }));
    await userEvent.type(within(row).getByLabelText("Reason (optional)"), "warming the domain");
    await userEvent.click(within(row).getByRole("button", { name: "Pause" }));
    await waitFor(() => expect(screen.getByTestId("mailbox-state")).toHaveTextContent("paused"));
    expect(screen.getByTestId("mailbox-state")).toHaveTextContent("warming the domain");
    const post = sent.find((c) => c.method === "POST");
    expect(post?.json).toEqual({ reason: "warming the domain" });

    answer.open({ status: 409, body: { error: "mailbox ana is disabled; enable it first", detail: null } });
    expect(await screen.findByRole("alert")).toHaveTextContent("mailbox ana is disabled; enable it first");
    await waitFor(() => expect(screen.getByTestId("mailbox-state")).toHaveTextContent("active"));
    expect(screen.getByTestId("mailbox-state")).not.toHaveTextContent("warming the domain");
    expect(within(screen.getByTestId("mailbox-row")).getByRole("button", { name: "Pause" })).toBeInTheDocument();
    refetch.open({ body: listing([mailbox()]) });
  });

  it("pause without a reason sends an empty body; resume and disable/enable call their routes", async () => {
    let current = mailbox();
    const { sent } = stubApi({
      "GET /api/mailboxes": () => ({ body: listing([current]) }),
      [`POST /api/mailboxes/${current.id}/pause`]: () => {
        current = { ...current, state: "paused", paused_at: "2026-12-03T09:00:00Z" };
        return { body: current };
      },
      [`POST /api/mailboxes/${current.id}/resume`]: () => {
        current = { ...current, state: "active", paused_at: null };
        return { body: current };
      },
      [`PATCH /api/mailboxes/${current.id}`]: (call) => {
        current = { ...current, state: (call.json as { state: string }).state };
        return { body: current };
      },
    });
    renderWithClient(<MailboxesPage params={{}} />);
    const row = () => within(screen.getByTestId("mailbox-row"));
    await screen.findByTestId("mailbox-row");
    await userEvent.click(row().getByRole("button", { name: "Pause" }));
    await userEvent.click(row().getByRole("button", { name: "Pause" }));
    // Each button shows at once but stays disabled until the server answered.
    const click = async (name: string) => {
      await waitFor(() => expect(row().getByRole("button", { name })).toBeEnabled());
      await userEvent.click(row().getByRole("button", { name }));
    };
    await click("Resume");
    await click("Disable");
    await click("Enable");
    await waitFor(() => expect(row().getByRole("button", { name: "Pause" })).toBeEnabled());
    const unsafe = sent.filter((c) => c.method !== "GET").map((c) => [c.method, c.url.pathname.split("/").pop(), c.json]);
    expect(unsafe).toEqual([
      ["POST", "pause", {}],
      ["POST", "resume", {}],
      ["PATCH", current.id, { state: "disabled" }],
      ["PATCH", current.id, { state: "active" }],
    ]);
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("the add form shows each field's 422 message next to that field, and a 409 on the name", async () => {
    let tries = 0;
    const { sent } = stubApi({
      "GET /api/mailboxes": { body: listing([]) },
      "POST /api/mailboxes": () => {
        tries++;
        if (tries === 1) {
          return {
            status: 422,
            body: {
              error: "invalid request",
              detail: [
                { field: "address", message: "Value error, 'ana' is not an email address" },
                { field: "send_window.start", message: "String should match pattern '^([01][0-9]|2[0-3]):[0-5][0-9]$'" },
                { field: "ramp.start", message: "Input should be greater than or equal to 1" },
                { field: "config.api_key", message: "required with provider" },
              ],
            },
          };
        }
        return { status: 409, body: { error: "a mailbox named 'ana' exists", detail: [{ field: "name", message: "taken" }] } };
      },
    });
    renderWithClient(<MailboxesPage params={{}} />);
    await screen.findByText(/No mailboxes yet/);
    await userEvent.click(screen.getByRole("button", { name: "Add mailbox" }));
    const form = screen.getByRole("form", { name: "Add mailbox" });
    expect(form).toHaveTextContent(/Credentials .* never entered in the dashboard/);
    await userEvent.type(within(form).getByLabelText("Name"), "ana");
    await userEvent.type(within(form).getByLabelText("Address"), "ana");
    await userEvent.type(within(form).getByLabelText("Daily cap"), "40");
    await userEvent.type(within(form).getByLabelText("Gap (seconds)"), "180");
    await userEvent.click(within(form).getByLabelText(/Only send within these hours/));
    await userEvent.clear(within(form).getByLabelText("Timezone"));
    await userEvent.type(within(form).getByLabelText("Timezone"), "Europe/Berlin");
    await userEvent.type(within(form).getByLabelText("Ramp start"), "0");
    await userEvent.click(within(form).getByRole("button", { name: "Add mailbox" }));

    const address = within(form).getByLabelText("Address");
    await waitFor(() => expect(address).toHaveAccessibleDescription("'ana' is not an email address"));
    expect(address).toHaveAttribute("aria-invalid", "true");
    expect(within(form).getByLabelText("Window start")).toHaveAccessibleDescription(/String should match pattern/);
    expect(within(form).getByLabelText("Ramp start")).toHaveAccessibleDescription(/^Input should be greater than or equal to 1/);
    expect(within(form).getByLabelText("Name")).not.toHaveAttribute("aria-invalid");
    expect(within(form).getByRole("alert")).toHaveTextContent("config.api_key: required with provider");
    expect(sent.find((c) => c.method === "POST")?.json).toEqual({
      name: "ana",
      channel_type: "EMAIL",
      address: "ana",
      daily_cap: 40,
      min_gap_seconds: 180,
      send_window: { start: "09:00", end: "17:00", days: [1, 2, 3, 4, 5] },
      timezone: "Europe/Berlin",
      ramp: { start: 0 },
    });

    await userEvent.click(within(form).getByRole("button", { name: "Add mailbox" }));
    await waitFor(() => expect(within(form).getByLabelText("Name")).toHaveAccessibleDescription("a mailbox named 'ana' exists"));
    expect(within(form).getByLabelText("Address")).not.toHaveAttribute("aria-invalid");
  });

  it("adding a mailbox closes the form and lists it", async () => {
    let items: Mailbox[] = [];
    stubApi({
      "GET /api/mailboxes": () => ({ body: listing(items) }),
      "POST /api/mailboxes": (call) => {
        items = [mailbox({ name: (call.json as { name: string }).name })];
        return { status: 201, body: items[0] };
      },
    });
    renderWithClient(<MailboxesPage params={{}} />);
    await screen.findByText(/No mailboxes yet/);
    await userEvent.click(screen.getByRole("button", { name: "Add mailbox" }));
    await userEvent.type(screen.getByLabelText("Name"), "cleo");
    await userEvent.type(screen.getByLabelText("Address"), "cleo@example.com");
    await userEvent.click(within(screen.getByRole("form", { name: "Add mailbox" })).getByRole("button", { name: "Add mailbox" }));
    expect(await screen.findByTestId("mailbox-row")).toHaveTextContent("cleo");
    expect(screen.queryByRole("form", { name: "Add mailbox" })).toBeNull();
    expect(screen.getByRole("status")).toHaveTextContent("Mailbox cleo added");
  });
});

describe("mailbox helpers", () => {
  it("writes gaps, windows and maps server paths to the form's fields", () => {
    expect(gapText(180, 120)).toBe("≥ 3 min + ≤ 2 min jitter");
    expect(gapText(90, 0)).toBe("≥ 1 min 30 s");
    expect(gapText(0, 0)).toBe("no gap");
    expect(windowText({ start: "08:00", end: "12:00", days: [1, 3] }, "UTC")).toBe("Mon, Wed 08:00–12:00 UTC");
    expect(windowText({}, "UTC")).toBe("any time");
    expect(fieldOf("send_window.days.2")).toBe("send_window.days");
    expect(fieldOf("send_window")).toBe("send_window.start");
    expect(fieldOf("ramp")).toBe("ramp.start");
    expect(fieldOf("config.password")).toBeNull();
  });

  it("sends only what was filled in", () => {
    const body = bodyOf({
      name: " ana ", channel_type: "SMS", address: "+14155550100", display_name: "", owner: "", daily_cap: "",
      hourly_cap: "5", min_gap_seconds: "", jitter_seconds: "", windowed: false, start: "09:00", end: "17:00",
      days: [1], timezone: "UTC", ramp_start: "", ramp_step: "",
    });
    expect(body).toEqual({ name: "ana", channel_type: "SMS", address: "+14155550100", hourly_cap: 5, timezone: "UTC" });
  });
});
