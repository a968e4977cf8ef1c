// The live feed: every event as it arrives (the shell's one EventSource), newest first, with
// the last 50 past events (GET /api/events) loaded once so the page is not blank on arrival.
import { useMemo, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { api } from "../api";
import { Badge, Card, ErrorBox, Loading, PageHeader, formatTime } from "../components/ui";
import { keys, toEvent, useFeed, useLiveStatus, type LiveEvent, type RecentEvents } from "../live";
import { Link } from "../router";
import type { LeadDetail } from "../types";

export type Kind = "sends" | "replies" | "status" | "ops";
export const KINDS: { kind: Kind; label: string }[] = [
  { kind: "sends", label: "Sends" },
  { kind: "replies", label: "Replies" },
  { kind: "status", label: "Status" },
  { kind: "ops", label: "Ops" },
];

const KIND_OF: Record<string, Kind> = {};
const group = (kind: Kind, types: string[]) => types.forEach((t) => (KIND_OF[t] = kind));
group("sends", [
  "EMAIL_SENT", "WHATSAPP_SENT", "SMS_SENT", "SEND_SKIPPED", "SEND_DEFERRED", "DELIVERED", "OPENED", "CLICKED",
  "DELIVERY_DEFERRED", "DELIVERY_FAILED", "DRAFT_CREATED", "DRAFT_APPROVED", "DRAFT_REJECTED",
]);
group("replies", [
  "REPLY_RECEIVED", "INTENT_CLASSIFIED", "UNMATCHED_REPLY", "UNMATCHED_DISCARDED", "OWNER_NOTIFIED", "PREFERRED_CHANNEL_LEARNED",
]);
group("status", [
  "LEAD_CREATED", "LEAD_UPDATED", "ENROLLED", "STATUS_CHANGED", "SEQUENCE_COMPLETED", "SEQUENCE_STOPPED",
  "SEQUENCE_PAUSED", "SEQUENCE_RESUMED", "BOUNCED", "UNSUBSCRIBED",
]);
group("ops", [
  "DEAD_LETTERED", "OPS_RETRY", "OPS_SKIP", "OPS_STOP", "CLAIM_RELEASED", "TASK_CREATED", "TASK_DONE", "TASK_SKIPPED",
  "TASK_OVERDUE", "TASK_CANCELLED",
]);

export function kindOf(type: string): Kind {
  return KIND_OF[type] ?? "status";
}

function str(value: unknown): string | null {
  if (value === null || value === undefined || value === "") return null;
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

function oneLine(text: string, max = 160): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

const REPLY_TYPES = new Set(["REPLY_RECEIVED", "INTENT_CLASSIFIED"]);

function replyTextOf(details: Record<string, unknown>): string | null {
  return str(details.text) ?? str(details.content) ?? str(details.body) ?? str(details.preview) ?? str(details.snippet) ?? str(details.reply);
}

/** The reply an event is about, from the lead's timeline, for events that carry no preview
 *  (written before REPLY_RECEIVED had one, and no reply of the same message in the feed):
 *  timeline messages carry no id, so it is the latest inbound message received at most a few
 *  seconds after the event (both are written in the same transaction). */
export function replyFor(detail: LeadDetail, event: Pick<LiveEvent, "timestamp">): string | null {
  const at = Date.parse(event.timestamp);
  let best: { at: number; text: string } | null = null;
  for (const t of detail.timeline) {
    if (t.kind !== "message" || t.direction !== "INBOUND" || t.content === null) continue;
    const when = Date.parse(t.at);
    if (Number.isNaN(at) || when <= at + 5_000) {
      if (!best || when > best.at) best = { at: when, text: t.content };
    }
  }
  return best?.text ?? null;
}

function ReplyText({ leadId, event }: { leadId: string; event: LiveEvent }) {
  // The lead page's own query: live events for this lead keep it fresh.
  const detail = useQuery({
    queryKey: keys.lead(leadId),
    queryFn: () => api.get<LeadDetail>(`/api/leads/${encodeURIComponent(leadId)}`),
    staleTime: 5_000,
  });
  const text = detail.data ? replyFor(detail.data, event) : null;
  if (!text) return null;
  return <span className="feed-reply">“{oneLine(text, 200)}”</span>;
}

/** A one-line description of an event, as plain text. */
export function summarize(event: Pick<LiveEvent, "event_type" | "details">): string {
  const d = event.details ?? {};
  const step = str(d.step);
  const channel = str(d.channel);
  const replyText = replyTextOf(d);
  const parts: string[] = [];
  switch (event.event_type) {
    case "EMAIL_SENT":
    case "WHATSAPP_SENT":
    case "SMS_SENT":
      return [channel ?? event.event_type.replace("_SENT", ""), step && `step ${step}`, str(d.step_id)].filter(Boolean).join(" · ");
    case "SEND_SKIPPED":
    case "SEND_DEFERRED":
      return [step && `step ${step}`, channel, str(d.reason) ?? str(d.why), str(d.until) && `until ${str(d.until)}`].filter(Boolean).join(" · ");
    case "REPLY_RECEIVED":
    case "INTENT_CLASSIFIED":
    case "UNMATCHED_REPLY":
      if (str(d.intent)) parts.push(str(d.intent)!.replace(/_/g, " "));
      if (channel) parts.push(channel);
      if (replyText) parts.push(`“${oneLine(replyText)}”`);
      else if (str(d.reason)) parts.push(oneLine(str(d.reason)!));
      if (str(d.sender)) parts.push(`from ${str(d.sender)}`);
      return parts.join(" · ");
    case "DEAD_LETTERED":
      return [step && `step ${step}`, str(d.error_type), str(d.error) ? oneLine(str(d.error)!) : null].filter(Boolean).join(" · ") || "dead-lettered";
    case "STATUS_CHANGED":
      return `${str(d.old) ?? "?"} → ${str(d.new) ?? "?"}`;
    case "SEQUENCE_PAUSED":
      return [str(d.why), str(d.until) && `until ${str(d.until)}`].filter(Boolean).join(" · ") || "paused";
    case "OWNER_NOTIFIED":
      return [str(d.owner) && `owner ${str(d.owner)}`, str(d.intent)].filter(Boolean).join(" · ");
    default: {
      const known = ["step", "channel", "reason", "why", "action", "note", "source", "intent", "error"]
        .map((k) => (str(d[k]) ? `${k === "step" ? "step " : ""}${oneLine(str(d[k])!, 80)}` : null))
        .filter(Boolean);
      return known.join(" · ");
    }
  }
}

/** The link text for an event's lead: its name, else the start of its id. */
export function leadLabel(event: Pick<LiveEvent, "lead_id" | "lead_name">): string {
  return event.lead_name ?? `lead ${(event.lead_id ?? "").slice(0, 8)}`;
}

/** An INTENT_CLASSIFIED event carries no text; the REPLY_RECEIVED of the same message does. */
function withPreview(event: LiveEvent, previews: Map<string, string>): LiveEvent {
  const messageId = str(event.details?.message_id);
  if (!messageId || replyTextOf(event.details ?? {}) || !previews.has(messageId)) return event;
  return { ...event, details: { ...event.details, preview: previews.get(messageId) } };
}

function FeedItem({ event }: { event: LiveEvent }) {
  return (
    <li data-testid="feed-item" className={`feed-${kindOf(event.event_type)}`}>
      <time dateTime={event.timestamp} className="muted">
        {formatTime(event.timestamp)}
      </time>
      <span>
        <Badge value={event.event_type.replace(/_/g, " ")} kind={kindOf(event.event_type)} />
      </span>
      <span className="feed-text">
        {event.lead_id ? (
          <Link to={`/leads/${event.lead_id}`} className="feed-lead">
            {leadLabel(event)}
          </Link>
        ) : null}
        <span className="feed-summary">{summarize(event)}</span>
        {REPLY_TYPES.has(event.event_type) && event.lead_id && !replyTextOf(event.details ?? {}) && (
          <ReplyText leadId={event.lead_id} event={event} />
        )}
      </span>
    </li>
  );
}

function statusText(status: string): string {
  return status === "live" ? "Live: connected" : status === "reconnecting" ? "Reconnecting…" : "Connecting…";
}

export default function LivePage(_props: { params: Record<string, string> }) {
  const feed = useFeed();
  const status = useLiveStatus();
  const [shown, setShown] = useState<Record<Kind, boolean>>({ sends: true, replies: true, status: true, ops: true });
  // The past, once per visit: live events take over from there (merged by id).
  const past = useQuery({
    queryKey: ["events", "recent"],
    // Not a key live events invalidate: they are merged in below instead.
    queryFn: async ({ signal }) => {
      const body = await api.get<RecentEvents>("/api/events", { limit: 50 }, signal);
      return body.items.map((item) => toEvent(item, item.cursor)).filter((e): e is LiveEvent => e !== null);
    },
    staleTime: Infinity,
    gcTime: 0,
    retry: false,
  });
  const events = useMemo(() => {
    const byId = new Map<number, LiveEvent>();
    for (const e of past.data ?? []) byId.set(e.id, e);
    for (const e of feed) byId.set(e.id, e);
    const all = [...byId.values()].sort((a, b) => b.id - a.id);
    const previews = new Map<string, string>();
    for (const e of all) {
      const messageId = str(e.details?.message_id);
      const preview = str(e.details?.preview);
      if (e.event_type === "REPLY_RECEIVED" && messageId && preview) previews.set(messageId, preview);
    }
    return all.map((e) => withPreview(e, previews));
  }, [feed, past.data]);
  const visible = events.filter((e) => shown[kindOf(e.event_type)]);

  return (
    <>
      <PageHeader
        title="Live feed"
        subtitle={
          <span data-testid="feed-status" className={`live-dot live-${status}`}>
            {statusText(status)}
          </span>
        }
        actions={
          <div className="toolbar feed-filters" role="group" aria-label="Show events of kind">
            {KINDS.map(({ kind, label }) => (
              <button
                key={kind}
                type="button"
                className={shown[kind] ? "button toggle on" : "button toggle"}
                aria-pressed={shown[kind]}
                onClick={() => setShown((s) => ({ ...s, [kind]: !s[kind] }))}
              >
                {label}
              </button>
            ))}
          </div>
        }
      />
      <Card>
        {past.isPending && feed.length === 0 && <Loading label="Loading recent events…" />}
        {past.isError && (
          <ErrorBox error={past.error} retry={() => past.refetch()} title="Could not load the recent events (live ones still appear below)" />
        )}
        {!(past.isPending && feed.length === 0) && visible.length === 0 && (
          <div className="state state-empty" data-testid="feed-empty">
            <strong>Waiting for activity… (events appear here as they happen)</strong>
            <span className="muted">
              {events.length > 0 ? `${events.length} event(s) hidden by the filters. ` : ""}
              {statusText(status)}
            </span>
          </div>
        )}
        <ul className="feed" data-testid="feed" aria-live="polite">
          {visible.map((e) => (
            <FeedItem key={e.id} event={e} />
          ))}
        </ul>
      </Card>
    </>
  );
}
