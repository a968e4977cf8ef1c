// Live updates: one EventSource on /api/events/stream (the session cookie authenticates it;
// on reconnect the browser sends Last-Event-ID and the server resumes exactly after it).
// Each event invalidates exactly the queries whose answer it changes, and is kept in a
// short feed for the Live page.
import { useEffect, useSyncExternalStore } from "react";
import type { QueryClient, QueryKey } from "@tanstack/react-query";

export type LiveEvent = {
  id: number;
  cursor: string;
  lead_id: string | null;
  /** The lead's name (null: an event of no lead, or an older server that does not send it). */
  lead_name: string | null;
  campaign_id: string | null;
  event_type: string;
  timestamp: string;
  details: Record<string, unknown>;
};

/** GET /api/events: the most recent events (newest commit first), each the stream's data plus
 *  its cursor, and the cursor the stream continues at. */
export type RecentEvents = {
  items: (Omit<LiveEvent, "cursor"> & { cursor: string })[];
  cursor: string;
};

// Every event type the server writes (models/enums.py EventType). SSE messages carry the
// type as their `event:` name, and EventSource only hands named events to listeners
// registered by that name.
export const EVENT_TYPES = [
  "LEAD_CREATED", "LEAD_UPDATED", "ENROLLED", "EMAIL_SENT", "WHATSAPP_SENT", "SMS_SENT",
  "SEND_SKIPPED", "REPLY_RECEIVED", "UNMATCHED_REPLY", "UNMATCHED_DISCARDED",
  "INTENT_CLASSIFIED", "STATUS_CHANGED", "SEQUENCE_COMPLETED", "SEQUENCE_STOPPED",
  "SEQUENCE_PAUSED", "SEQUENCE_RESUMED", "OWNER_NOTIFIED", "TASK_CREATED", "TASK_DONE",
  "TASK_SKIPPED", "TASK_OVERDUE", "TASK_CANCELLED", "SEND_DEFERRED", "OPS_RETRY", "OPS_SKIP",
  "OPS_STOP", "CLAIM_RELEASED", "DELIVERED", "BOUNCED", "UNSUBSCRIBED", "DELIVERY_DEFERRED",
  "DELIVERY_FAILED", "OPENED", "CLICKED", "DEAD_LETTERED", "DRAFT_CREATED", "DRAFT_APPROVED",
  "DRAFT_REJECTED", "PREFERRED_CHANNEL_LEARNED", "MAILBOX_PAUSED", "MAILBOX_RESUMED",
] as const;

// Query keys (one place, so pages and invalidation agree).
export const keys = {
  campaigns: ["campaigns"] as const,
  campaign: (id: string) => ["campaign", id] as const,
  funnel: (id: string) => ["funnel", id] as const,
  overview: ["overview"] as const,
  leads: ["leads"] as const,
  lead: (id: string) => ["lead", id] as const,
  inbox: ["inbox"] as const,
  unmatched: ["unmatched"] as const,
  tasks: ["tasks"] as const,
  attention: ["attention"] as const,
  imports: ["imports"] as const,
  import: (id: string) => ["import", id] as const,
  sequences: ["sequences"] as const,
  mailboxes: ["mailboxes"] as const,
};

const SENDS = new Set(["EMAIL_SENT", "WHATSAPP_SENT", "SMS_SENT", "SEND_SKIPPED", "SEND_DEFERRED"]);
const DELIVERY = new Set(["DELIVERED", "OPENED", "CLICKED", "DELIVERY_DEFERRED", "DELIVERY_FAILED"]);
const STATUS = new Set([
  "STATUS_CHANGED", "SEQUENCE_COMPLETED", "SEQUENCE_STOPPED", "SEQUENCE_PAUSED",
  "SEQUENCE_RESUMED", "BOUNCED", "UNSUBSCRIBED",
]);
const TASKS = new Set(["TASK_CREATED", "TASK_DONE", "TASK_SKIPPED", "TASK_CANCELLED", "DRAFT_CREATED", "DRAFT_APPROVED", "DRAFT_REJECTED"]);
// What changes a mailbox's usage (sent in 24 h and 1 h, waiting sends, next free moment).
const MAILBOX_USAGE = new Set(["EMAIL_SENT", "WHATSAPP_SENT", "SMS_SENT", "SEND_DEFERRED"]);
const MAILBOX_STATE = new Set(["MAILBOX_PAUSED", "MAILBOX_RESUMED"]);
const OPS = new Set(["DEAD_LETTERED", "OPS_RETRY", "OPS_SKIP", "OPS_STOP", "CLAIM_RELEASED", "TASK_OVERDUE"]);

/** The query keys an event changes. A campaign-scoped key without a known campaign falls
 *  back to every campaign's (prefix match), never to everything. */
export function invalidationsFor(event: Pick<LiveEvent, "event_type" | "lead_id" | "campaign_id">): QueryKey[] {
  const out: QueryKey[] = [];
  const lead = () => {
    if (event.lead_id) out.push(keys.lead(event.lead_id));
  };
  const campaign = (list: boolean) => {
    if (event.campaign_id) out.push(keys.campaign(event.campaign_id), keys.funnel(event.campaign_id));
    else out.push(["campaign"], ["funnel"]);
    if (list) out.push(keys.campaigns);
    out.push(keys.overview);
  };
  const type = event.event_type;
  if (MAILBOX_USAGE.has(type) || MAILBOX_STATE.has(type)) out.push(keys.mailboxes);
  if (type === "LEAD_CREATED" || type === "LEAD_UPDATED" || type === "PREFERRED_CHANNEL_LEARNED") {
    out.push(keys.leads);
    lead();
  } else if (type === "ENROLLED") {
    out.push(keys.leads);
    lead();
    campaign(true);
  } else if (SENDS.has(type) || DELIVERY.has(type)) {
    lead();
    campaign(false);
    if (type !== "SEND_DEFERRED" && type !== "SEND_SKIPPED") out.push(keys.leads);
  } else if (type === "REPLY_RECEIVED" || type === "INTENT_CLASSIFIED") {
    out.push(keys.inbox, keys.leads);
    lead();
    campaign(true);
  } else if (type === "UNMATCHED_REPLY" || type === "UNMATCHED_DISCARDED") {
    out.push(keys.unmatched);
  } else if (STATUS.has(type)) {
    out.push(keys.leads);
    lead();
    campaign(true);
  } else if (TASKS.has(type)) {
    out.push(keys.tasks);
    lead();
  } else if (OPS.has(type)) {
    out.push(keys.attention, keys.leads);
    lead();
    if (type === "TASK_OVERDUE") out.push(keys.tasks);
  } else if (type === "OWNER_NOTIFIED") {
    lead();
  }
  return out;
}

// The feed: the latest events, newest first, shared by every component that shows it.
const FEED_SIZE = 200;
let feed: LiveEvent[] = [];
let status: "connecting" | "live" | "reconnecting" = "connecting";
const listeners = new Set<() => void>();
const notify = () => listeners.forEach((l) => l());

export function pushEvent(event: LiveEvent): void {
  if (feed.some((e) => e.id === event.id)) return;
  feed = [event, ...feed].slice(0, FEED_SIZE);
  notify();
}

export function resetFeed(): void {
  feed = [];
  status = "connecting";
  notify();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useFeed(): LiveEvent[] {
  return useSyncExternalStore(subscribe, () => feed, () => feed);
}

export function useLiveStatus(): typeof status {
  return useSyncExternalStore(subscribe, () => status, () => status);
}

/** An event as the server sends it (a stream message's data, or an item of GET /api/events),
 *  or null when it is not one. */
export function toEvent(value: unknown, cursor: string): LiveEvent | null {
  if (typeof value !== "object" || value === null) return null;
  const raw = value as Partial<LiveEvent>;
  if (typeof raw.event_type !== "string" || typeof raw.id !== "number") return null;
  return {
    id: raw.id,
    cursor,
    lead_id: raw.lead_id ?? null,
    lead_name: typeof raw.lead_name === "string" && raw.lead_name !== "" ? raw.lead_name : null,
    campaign_id: raw.campaign_id ?? null,
    event_type: raw.event_type,
    timestamp: raw.timestamp ?? new Date().toISOString(),
    details: raw.details ?? {},
  };
}

export function parseEvent(data: string, cursor: string): LiveEvent | null {
  try {
    return toEvent(JSON.parse(data), cursor);
  } catch {
    return null;
  }
}

/** Connect while signed in; invalidate what each event changes. */
export function useLiveEvents(client: QueryClient, enabled: boolean): void {
  useEffect(() => {
    if (!enabled) return;
    const source = new EventSource("/api/events/stream", { withCredentials: true });
    const handle = (message: MessageEvent<string>) => {
      const event = parseEvent(message.data, message.lastEventId);
      if (!event) return;
      pushEvent(event);
      for (const key of invalidationsFor(event)) client.invalidateQueries({ queryKey: key });
    };
    source.onopen = () => {
      status = "live";
      notify();
    };
    source.onerror = () => {
      status = "reconnecting";
      notify();
    };
    source.onmessage = handle;
    for (const type of EVENT_TYPES) source.addEventListener(type, handle);
    return () => {
      source.close();
      status = "connecting";
      notify();
    };
  }, [client, enabled]);
}
