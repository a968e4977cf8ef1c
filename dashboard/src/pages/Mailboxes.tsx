// Mailboxes: the sender identities campaigns send from, each with its own pacing (daily cap
// with a warm-up ramp, hourly cap, gap plus jitter, send window in its own timezone) and where
// it stands now (GET /api/mailboxes). Pause / resume / disable / enable show at once and roll
// back with the server's reason; a new mailbox is added here, its credentials never are.
import { useState, type FormEvent, type ReactNode } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ApiError, errorText } from "../api";
import { keys } from "../live";
import { Badge, Card, Empty, ErrorBox, formatDateTime, Loading, PageHeader, toast } from "../components/ui";
import { useOptimisticList } from "../components/optimistic";

export type MailboxUsage = {
  sent_24h: number;
  sent_1h: number;
  /** Sends waiting for a moment the mailbox promised them. */
  promised: number;
  /** The daily cap with the ramp applied; null: no cap. */
  cap_today: number | null;
  headroom: number | null;
  /** When it may send next; null: now. */
  next_free_at: string | null;
};
/** Bounces and complaints over the last `window_hours`; a mailbox pauses itself past a threshold. */
export type MailboxHealth = {
  sends: number;
  bounces: number;
  complaints: number;
  bounce_rate: number | null;
  complaint_rate: number | null;
  bounce_threshold: number | null;
  complaint_threshold: number | null;
  window_hours: number;
};
type SendWindow = { start: string; end: string; days: number[] };
type RampSetting = { start: number; step?: number; since?: string | null };
export type Mailbox = {
  id: string;
  name: string;
  channel_type: string;
  provider: string | null;
  address: string;
  display_name: string | null;
  owner: string | null;
  config: Record<string, unknown>;
  daily_cap: number | null;
  hourly_cap: number | null;
  min_gap_seconds: number;
  jitter_seconds: number;
  /** {} when it sends at any time. */
  send_window: Partial<SendWindow>;
  timezone: string;
  /** {} without a warm-up. */
  ramp: Partial<RampSetting>;
  pool_default: boolean;
  state: "active" | "paused" | "disabled" | string;
  paused_reason: string | null;
  paused_at: string | null;
  bounce_threshold: number | null;
  complaint_threshold: number | null;
  imap: boolean;
  created_at: string;
  updated_at: string;
  usage?: MailboxUsage | null;
  health?: MailboxHealth | null;
};
export type DefaultSender = {
  channel_type: string;
  provider: string;
  address: string | null;
  daily_cap: number | null;
  send_window: Partial<SendWindow>;
  used_by: string;
};
export type MailboxList = { items: Mailbox[]; defaults: DefaultSender[] };

const CHANNEL_TYPES = ["EMAIL", "SMS", "WHATSAPP"] as const;
const DAYS = ["", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/** "3 min", "45 s", "1 h 30 min". */
export function shortDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  const parts = [h ? `${h} h` : "", m ? `${m} min` : "", rest ? `${rest} s` : ""].filter(Boolean);
  return parts.join(" ");
}

/** "≥ 3 min + ≤ 2 min jitter"; "no gap" when neither is set. */
export function gapText(gap: number, jitter: number): string {
  if (!gap && !jitter) return "no gap";
  const parts = [gap ? `≥ ${shortDuration(gap)}` : "", jitter ? `≤ ${shortDuration(jitter)} jitter` : ""];
  return parts.filter(Boolean).join(" + ");
}

function daysText(days: number[]): string {
  const sorted = [...days].sort((a, b) => a - b);
  if (sorted.length === 7) return "every day";
  const contiguous = sorted.every((d, i) => i === 0 || d === sorted[i - 1] + 1);
  if (contiguous && sorted.length > 2) return `${DAYS[sorted[0]]}–${DAYS[sorted[sorted.length - 1]]}`;
  return sorted.map((d) => DAYS[d] ?? String(d)).join(", ");
}

/** "Mon–Fri 09:00–17:00 Europe/Berlin"; "any time" without a window. */
export function windowText(window: Partial<SendWindow> | null | undefined, timezone?: string): string {
  if (!window || !window.start || !window.end) return "any time";
  const days = window.days && window.days.length ? `${daysText(window.days)} ` : "";
  return `${days}${window.start}–${window.end}${timezone ? ` ${timezone}` : ""}`;
}

/** The ramp holds today's cap below the daily cap: the mailbox is warming up. */
export function warmingUp(mailbox: Mailbox): number | null {
  const today = mailbox.usage?.cap_today;
  if (!mailbox.ramp?.start || today == null) return null;
  return mailbox.daily_cap == null || today < mailbox.daily_cap ? today : null;
}

function rate(value: number | null): string {
  return value == null ? "—" : `${(100 * value).toFixed(1)}%`;
}

type Action = "pause" | "resume" | "disable" | "enable";
type ActionVars = { id: string; action: Action; reason?: string };

function runAction({ id, action, reason }: ActionVars): Promise<Mailbox> {
  const path = `/api/mailboxes/${encodeURIComponent(id)}`;
  if (action === "pause") return api.post<Mailbox>(`${path}/pause`, reason ? { reason } : {});
  if (action === "resume") return api.post<Mailbox>(`${path}/resume`, {});
  return api.patch<Mailbox>(path, { state: action === "disable" ? "disabled" : "active" });
}

/** The mailbox as it looks once the server agrees. */
function applyAction(mailbox: Mailbox, { action, reason }: ActionVars): Mailbox {
  switch (action) {
    case "pause":
      return { ...mailbox, state: "paused", paused_reason: reason || null, paused_at: new Date().toISOString() };
    case "resume":
    case "enable":
      return { ...mailbox, state: "active", paused_reason: null, paused_at: null };
    case "disable":
      return { ...mailbox, state: "disabled" };
  }
}

export default function MailboxesPage(_props: { params: Record<string, string> }) {
  const [adding, setAdding] = useState(false);
  const query = useQuery({
    queryKey: keys.mailboxes,
    queryFn: ({ signal }) => api.get<MailboxList>("/api/mailboxes", undefined, signal),
  });
  const act = useOptimisticList<MailboxList, ActionVars, Mailbox>({
    queryKey: keys.mailboxes,
    mutationFn: runAction,
    update: (list, vars) => ({
      ...list,
      items: list.items.map((m) => (m.id === vars.id ? applyAction(m, vars) : m)),
    }),
  });

  return (
    <>
      <PageHeader
        title="Mailboxes"
        subtitle="The senders campaigns send from, each with its own caps, gap and window, and where each stands now."
        actions={
          !adding && (
            <button type="button" className="button primary" onClick={() => setAdding(true)}>
              Add mailbox
            </button>
          )
        }
      />
      {adding && <AddMailbox onClose={() => setAdding(false)} />}
      {query.isPending ? (
        <Loading />
      ) : query.isError ? (
        <ErrorBox error={query.error} retry={() => void query.refetch()} />
      ) : (
        <>
          <div className="mailbox-list">
            {query.data.items.length === 0 ? (
              <Empty title="No mailboxes yet: every campaign sends from its channel's default sender">
                Add one to give a rep their own address and pacing.
              </Empty>
            ) : (
              <MailboxTable
                items={query.data.items}
                pending={act.isPending ? act.variables?.id : undefined}
                onAction={(vars) => act.mutate(vars)}
              />
            )}
          </div>
          <Defaults defaults={query.data.defaults} />
        </>
      )}
    </>
  );
}

function MailboxTable({
  items,
  pending,
  onAction,
}: {
  items: Mailbox[];
  pending: string | undefined;
  onAction: (vars: ActionVars) => void;
}) {
  return (
    <div className="table-wrap mailbox-table">
      <table>
        <thead>
          <tr>
            <th>Mailbox</th>
            <th>Address</th>
            <th>State</th>
            <th>Today</th>
            <th>Last hour</th>
            <th>Pacing</th>
            <th>Waiting</th>
            <th>IMAP</th>
            <th>
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((m) => (
            <MailboxRow key={m.id} mailbox={m} busy={pending === m.id} onAction={onAction} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function MailboxRow({ mailbox: m, busy, onAction }: { mailbox: Mailbox; busy: boolean; onAction: (vars: ActionVars) => void }) {
  const [pausing, setPausing] = useState(false);
  const [reason, setReason] = useState("");
  const usage = m.usage;
  const warm = warmingUp(m);
  const pause = (event: FormEvent) => {
    event.preventDefault();
    onAction({ id: m.id, action: "pause", reason: reason.trim() || undefined });
    setPausing(false);
    setReason("");
  };
  return (
    <tr data-testid="mailbox-row" className={`mailbox-${m.state}`}>
      <td>
        <div className="mailbox-name">{m.name}</div>
        <div className="mailbox-meta">
          <Badge value={m.channel_type} kind="channel" />
          {m.provider && <span className="muted">{m.provider}</span>}
        </div>
        {m.owner && <div className="muted">owner: {m.owner}</div>}
      </td>
      <td className="mailbox-address">
        <div>{m.address}</div>
        {m.display_name && <div className="muted">{m.display_name}</div>}
      </td>
      <td data-testid="mailbox-state">
        <Badge value={m.state} />
        {m.state === "paused" && (
          <div className="mailbox-paused">
            {m.paused_reason && <div className="mailbox-reason">{m.paused_reason}</div>}
            {m.paused_at && <div className="muted">since {formatDateTime(m.paused_at)}</div>}
          </div>
        )}
        {m.health && <Health health={m.health} />}
      </td>
      <td data-testid="mailbox-today">
        {usage ? (
          <div className="usage-cell">
            <span>
              {usage.cap_today == null ? (
                <>
                  {usage.sent_24h} <span className="muted">· no cap</span>
                </>
              ) : (
                `${usage.sent_24h} / ${usage.cap_today}`
              )}
            </span>
            {usage.cap_today != null && (
              <meter
                className="usage-meter"
                min={0}
                max={usage.cap_today}
                value={Math.min(usage.sent_24h, usage.cap_today)}
                high={usage.cap_today * 0.9}
                aria-label={`${m.name}: sent today out of today's cap`}
              />
            )}
            {warm != null && <span className="muted">warming up: {warm} today</span>}
          </div>
        ) : (
          "—"
        )}
      </td>
      <td data-testid="mailbox-hour" className="nowrap">
        {usage ? (m.hourly_cap == null ? <>{usage.sent_1h} <span className="muted">· no cap</span></> : `${usage.sent_1h} / ${m.hourly_cap}`) : "—"}
      </td>
      <td data-testid="mailbox-pacing" className="mailbox-pacing">
        <div>{gapText(m.min_gap_seconds, m.jitter_seconds)}</div>
        <div className="muted">{windowText(m.send_window, m.timezone)}</div>
      </td>
      <td data-testid="mailbox-waiting" className="mailbox-waiting">
        {usage ? (
          <>
            <div>{usage.promised} waiting</div>
            <div className="muted">{usage.next_free_at ? `next free ${formatDateTime(usage.next_free_at)}` : "free now"}</div>
          </>
        ) : (
          "—"
        )}
      </td>
      <td>{m.imap ? "on" : "off"}</td>
      <td className="mailbox-actions">
        {pausing ? (
          <form className="pause-form" onSubmit={pause} aria-label={`Pause ${m.name}`}>
            <label htmlFor={`pause-${m.id}`}>Reason (optional)</label>
            <input id={`pause-${m.id}`} value={reason} maxLength={500} onChange={(e) => setReason(e.target.value)} />
            <div className="pause-buttons">
              <button type="submit" className="button primary">
                Pause
              </button>
              <button type="button" className="button" onClick={() => setPausing(false)}>
                Cancel
              </button>
            </div>
          </form>
        ) : (
          <div className="mailbox-buttons">
            {m.state === "active" && (
              <button type="button" className="button" disabled={busy} onClick={() => setPausing(true)}>
                Pause
              </button>
            )}
            {m.state === "paused" && (
              <button type="button" className="button primary" disabled={busy} onClick={() => onAction({ id: m.id, action: "resume" })}>
                Resume
              </button>
            )}
            {m.state === "disabled" ? (
              <button type="button" className="button" disabled={busy} onClick={() => onAction({ id: m.id, action: "enable" })}>
                Enable
              </button>
            ) : (
              <button type="button" className="button danger" disabled={busy} onClick={() => onAction({ id: m.id, action: "disable" })}>
                Disable
              </button>
            )}
          </div>
        )}
      </td>
    </tr>
  );
}

function Health({ health }: { health: MailboxHealth }) {
  const over = (value: number | null, limit: number | null) => value != null && limit != null && value >= limit;
  return (
    <div className="mailbox-health muted" data-testid="mailbox-health">
      <div className={over(health.bounce_rate, health.bounce_threshold) ? "health-over" : undefined}>
        bounces {rate(health.bounce_rate)}
        {health.bounce_threshold != null && ` (pauses at ${rate(health.bounce_threshold)})`}
      </div>
      <div className={over(health.complaint_rate, health.complaint_threshold) ? "health-over" : undefined}>
        complaints {rate(health.complaint_rate)}
        {health.complaint_threshold != null && ` (pauses at ${rate(health.complaint_threshold)})`}
      </div>
      <div>
        of {health.sends} sends in {health.window_hours} h
      </div>
    </div>
  );
}

function Defaults({ defaults }: { defaults: DefaultSender[] }) {
  return (
    <Card title="Default senders">
      <p className="muted mailbox-note">
        Where a channel type sends when no mailbox applies: the channel's own sender, with the channel's cap and window.
      </p>
      {defaults.length === 0 ? (
        <p className="muted">No channel types configured.</p>
      ) : (
        <div className="table-wrap">
          <table data-testid="mailbox-defaults">
            <thead>
              <tr>
                <th>Channel type</th>
                <th>Sends through</th>
                <th>From</th>
                <th>Daily cap</th>
                <th>Window</th>
                <th>Used by</th>
              </tr>
            </thead>
            <tbody>
              {defaults.map((d) => (
                <tr key={d.channel_type} data-testid="default-sender">
                  <td>{d.channel_type}</td>
                  <td>{d.provider}</td>
                  <td className="mailbox-address">{d.address ?? <span className="muted">the provider's default</span>}</td>
                  <td>{d.daily_cap ?? <span className="muted">no cap</span>}</td>
                  <td>{windowText(d.send_window)}</td>
                  <td className="muted">{d.used_by}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}

// The add form. Fields are keyed by the path the server names in a 422 ("send_window.start").
const FIELDS = [
  "name", "channel_type", "address", "display_name", "owner", "daily_cap", "hourly_cap",
  "min_gap_seconds", "jitter_seconds", "send_window.start", "send_window.end", "send_window.days",
  "timezone", "ramp.start", "ramp.step",
] as const;
type Field = (typeof FIELDS)[number];
// A whole object the server names goes to the field that shows it.
const ALIASES: Record<string, Field> = { send_window: "send_window.start", ramp: "ramp.start", body: "name" };

/** The form field a server error's path belongs to ("send_window.days.2" -> "send_window.days"),
 *  or null when the form has no such field. */
export function fieldOf(path: string): Field | null {
  const parts = path.split(".");
  for (let n = parts.length; n > 0; n--) {
    const prefix = parts.slice(0, n).join(".");
    if ((FIELDS as readonly string[]).includes(prefix)) return prefix as Field;
    if (prefix in ALIASES) return ALIASES[prefix];
  }
  return null;
}

/** Pydantic's messages start with "Value error, "; the field already says what. */
function cleanMessage(message: string): string {
  return message.replace(/^Value error, /, "");
}

type Errors = { fields: Partial<Record<Field, string>>; general: string[] };

export function errorsFrom(error: unknown): Errors {
  const out: Errors = { fields: {}, general: [] };
  if (error instanceof ApiError && error.status === 409) {
    out.fields.name = error.message;
    return out;
  }
  if (error instanceof ApiError && error.status === 422 && Array.isArray(error.detail) && error.detail.length > 0) {
    for (const item of error.detail) {
      const path = typeof item === "object" && item && "field" in item ? String((item as { field: unknown }).field) : "";
      const message = typeof item === "object" && item && "message" in item ? cleanMessage(String((item as { message: unknown }).message)) : String(item);
      const field = fieldOf(path);
      if (field) out.fields[field] = out.fields[field] ? `${out.fields[field]}; ${message}` : message;
      else out.general.push(path ? `${path}: ${message}` : message);
    }
    return out;
  }
  out.general.push(errorText(error));
  return out;
}

type FormState = {
  name: string;
  channel_type: string;
  address: string;
  display_name: string;
  owner: string;
  daily_cap: string;
  hourly_cap: string;
  min_gap_seconds: string;
  jitter_seconds: string;
  windowed: boolean;
  start: string;
  end: string;
  days: number[];
  timezone: string;
  ramp_start: string;
  ramp_step: string;
};

const EMPTY_FORM: FormState = {
  name: "", channel_type: "EMAIL", address: "", display_name: "", owner: "", daily_cap: "", hourly_cap: "",
  min_gap_seconds: "", jitter_seconds: "", windowed: false, start: "09:00", end: "17:00", days: [1, 2, 3, 4, 5],
  timezone: "UTC", ramp_start: "", ramp_step: "",
};

/** A number field as typed: blank is left out (the server's default), anything else is sent as
 *  a number (or as typed when it is not one, for the server to name). */
function numberOrText(value: string): number | string | undefined {
  const text = value.trim();
  if (!text) return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : text;
}

/** The POST /api/mailboxes body: only what was filled in. */
export function bodyOf(form: FormState): Record<string, unknown> {
  const body: Record<string, unknown> = { name: form.name.trim(), channel_type: form.channel_type, address: form.address.trim() };
  const text = { display_name: form.display_name, owner: form.owner };
  for (const [key, value] of Object.entries(text)) if (value.trim()) body[key] = value.trim();
  const numbers = { daily_cap: form.daily_cap, hourly_cap: form.hourly_cap, min_gap_seconds: form.min_gap_seconds, jitter_seconds: form.jitter_seconds };
  for (const [key, value] of Object.entries(numbers)) {
    const n = numberOrText(value);
    if (n !== undefined) body[key] = n;
  }
  if (form.windowed) body.send_window = { start: form.start, end: form.end, days: [...form.days].sort((a, b) => a - b) };
  if (form.timezone.trim()) body.timezone = form.timezone.trim();
  const rampStart = numberOrText(form.ramp_start);
  if (rampStart !== undefined) {
    const ramp: Record<string, unknown> = { start: rampStart };
    const step = numberOrText(form.ramp_step);
    if (step !== undefined) ramp.step = step;
    body.ramp = ramp;
  } else if (form.ramp_step.trim()) {
    body.ramp = { step: numberOrText(form.ramp_step) };
  }
  return body;
}

function AddMailbox({ onClose }: { onClose: () => void }) {
  const client = useQueryClient();
  const [form, setForm] = useState<FormState>(EMPTY_FORM);
  const create = useMutation({
    mutationFn: (body: Record<string, unknown>) => api.post<Mailbox>("/api/mailboxes", body),
    onSuccess: (mailbox) => {
      toast("success", `Mailbox ${mailbox.name} added`);
      void client.invalidateQueries({ queryKey: keys.mailboxes });
      onClose();
    },
  });
  const errors = create.isError ? errorsFrom(create.error) : { fields: {}, general: [] };
  const set = <K extends keyof FormState>(key: K, value: FormState[K]) => setForm((f) => ({ ...f, [key]: value }));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate(bodyOf(form));
  };
  const toggleDay = (day: number) =>
    set("days", form.days.includes(day) ? form.days.filter((d) => d !== day) : [...form.days, day]);
  const email = form.channel_type === "EMAIL";

  // One labelled input with the server's message under it.
  const field = (name: Field, label: string, input: (props: InputProps) => ReactNode, hint?: string) => {
    const id = `mb-${name.replace(".", "-")}`;
    const message = errors.fields[name];
    const described = [message ? `${id}-error` : "", hint ? `${id}-hint` : ""].filter(Boolean).join(" ") || undefined;
    return (
      <div className="field">
        <label htmlFor={id}>{label}</label>
        {input({ id, "aria-invalid": message ? true : undefined, "aria-describedby": described })}
        {hint && (
          <span id={`${id}-hint`} className="muted field-hint">
            {hint}
          </span>
        )}
        {message && (
          <span id={`${id}-error`} className="field-error" data-testid={`error-${name}`}>
            {message}
          </span>
        )}
      </div>
    );
  };
  const textInput = (key: keyof FormState, extra: { placeholder?: string; type?: string; inputMode?: "numeric" } = {}) =>
    (props: InputProps) => (
      <input {...props} {...extra} value={String(form[key])} onChange={(e) => set(key, e.target.value as never)} />
    );
  const numberInput = (key: keyof FormState, placeholder: string) => textInput(key, { inputMode: "numeric", placeholder });

  return (
    <Card title="Add mailbox">
      <form className="mailbox-form" onSubmit={submit} noValidate aria-label="Add mailbox">
        <p className="muted mailbox-note">
          Credentials (SMTP, SendGrid or Twilio keys, the IMAP inbox) are never entered in the dashboard: set them over the API
          (PATCH /api/mailboxes/&lt;name&gt; with its config; secrets are encrypted and never shown). Without any, the mailbox
          sends through its channel type's provider from its own address.
        </p>
        {errors.general.length > 0 && (
          <div className="form-error" role="alert">
            {errors.general.map((g) => (
              <div key={g}>{g}</div>
            ))}
          </div>
        )}
        <fieldset className="mailbox-fieldset">
          <legend>Sender</legend>
          <div className="mailbox-grid">
            {field("name", "Name", textInput("name", { placeholder: "ana" }))}
            {field("channel_type", "Channel type", (props) => (
              <select {...props} value={form.channel_type} onChange={(e) => set("channel_type", e.target.value)}>
                {CHANNEL_TYPES.map((t) => (
                  <option key={t} value={t}>
                    {t}
                  </option>
                ))}
              </select>
            ))}
            {field("address", "Address", textInput("address", { placeholder: email ? "ana@example.com" : "+14155550100" }))}
            {field("display_name", "Display name", textInput("display_name", { placeholder: "Ana at Example" }))}
            {field("owner", "Owner", textInput("owner", { placeholder: "ana" }), "the rep it belongs to")}
          </div>
        </fieldset>
        <fieldset className="mailbox-fieldset">
          <legend>Pacing</legend>
          <div className="mailbox-grid">
            {field("daily_cap", "Daily cap", numberInput("daily_cap", "no cap"), "sends per rolling 24 h")}
            {field("hourly_cap", "Hourly cap", numberInput("hourly_cap", "no cap"), "sends per rolling 60 min")}
            {field("min_gap_seconds", "Gap (seconds)", numberInput("min_gap_seconds", "0"), "least time between two sends")}
            {field("jitter_seconds", "Jitter (seconds)", numberInput("jitter_seconds", "0"), "up to this much more, random")}
            {field("ramp.start", "Ramp start", numberInput("ramp_start", "no ramp"), "sends a day at first")}
            {field("ramp.step", "Ramp step", numberInput("ramp_step", "0"), "more each day, up to the cap")}
          </div>
        </fieldset>
        <fieldset className="mailbox-fieldset">
          <legend>Send window</legend>
          <label className="check">
            <input type="checkbox" checked={form.windowed} onChange={(e) => set("windowed", e.target.checked)} /> Only send within
            these hours (else any time)
          </label>
          <div className="mailbox-grid">
            {field("send_window.start", "Window start", (props) => (
              <input {...props} type="time" value={form.start} disabled={!form.windowed} onChange={(e) => set("start", e.target.value)} />
            ))}
            {field("send_window.end", "Window end", (props) => (
              <input {...props} type="time" value={form.end} disabled={!form.windowed} onChange={(e) => set("end", e.target.value)} />
            ))}
            {field("timezone", "Timezone", textInput("timezone", { placeholder: "Europe/Berlin" }), "the window's and the ramp's clock")}
          </div>
          <div className="field">
            <span className="field-label" id="mb-days-label">
              Window days
            </span>
            <div className="day-picks" role="group" aria-labelledby="mb-days-label" aria-describedby={errors.fields["send_window.days"] ? "mb-send_window-days-error" : undefined}>
              {DAYS.slice(1).map((label, i) => (
                <label key={label} className="check">
                  <input type="checkbox" checked={form.days.includes(i + 1)} disabled={!form.windowed} onChange={() => toggleDay(i + 1)} />
                  {label}
                </label>
              ))}
            </div>
            {errors.fields["send_window.days"] && (
              <span id="mb-send_window-days-error" className="field-error" data-testid="error-send_window.days">
                {errors.fields["send_window.days"]}
              </span>
            )}
          </div>
        </fieldset>
        <div className="toolbar mailbox-form-buttons">
          <button type="submit" className="button primary" disabled={create.isPending}>
            {create.isPending ? "Adding…" : "Add mailbox"}
          </button>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Card>
  );
}

type InputProps = { id: string; "aria-invalid"?: boolean; "aria-describedby"?: string };
