// One lead: who it is, where its sequence stands, the controls (optimistic, rolled back on
// refusal) and its timeline of messages and events, newest first.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, errorText } from "../api";
import { Badge, Card, Empty, ErrorBox, Loading, PageHeader, formatDateTime, toast } from "../components/ui";
import { keys } from "../live";
import { Link } from "../router";
import type { CampaignSummary, ControlResult, LeadDetail, TimelineEntry } from "../types";
import { summarize } from "./Live";

export type LeadAction = "pause" | "resume" | "stop" | "convert" | "retry" | "skip";

const LABELS: Record<LeadAction, string> = {
  pause: "Pause",
  resume: "Resume",
  stop: "Stop",
  convert: "Convert",
  retry: "Retry step",
  skip: "Skip step",
};
const OPEN_STATES = new Set(["active", "paused", "attention"]);

// The timeline needs seconds: a reply and what it set off happen within the same minute.
const stamp = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", hour: "numeric", minute: "2-digit", second: "2-digit" });
function formatStamp(value: string): string {
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : stamp.format(date);
}

function CampaignName({ id }: { id: string }) {
  const campaign = useQuery({
    queryKey: keys.campaign(id),
    queryFn: () => api.get<CampaignSummary>(`/api/campaigns/${encodeURIComponent(id)}`),
  });
  return <Link to={`/campaigns/${id}`}>{campaign.data?.name ?? id.slice(0, 8)}</Link>;
}

/** What the lead looks like once the server has done `action` (shown before it answers). */
export function optimistic(detail: LeadDetail, action: LeadAction): LeadDetail {
  const e = detail.enrollment;
  const withState = (state: string) => (e && OPEN_STATES.has(e.state) ? { ...e, state } : e);
  switch (action) {
    case "pause":
      return { ...detail, enrollment: withState("paused") };
    case "resume":
    case "retry":
    case "skip":
      return { ...detail, enrollment: withState("active") };
    case "stop":
      return { ...detail, enrollment: withState("stopped") };
    case "convert":
      return { ...detail, lead: { ...detail.lead, status: "CONVERTED" }, enrollment: withState("stopped") };
  }
}

function path(id: string, action: LeadAction): string {
  const lead = encodeURIComponent(id);
  return action === "retry" || action === "skip" ? `/api/ops/leads/${lead}/${action}` : `/api/leads/${lead}/${action}`;
}

class Refused extends Error {}

export function useLeadAction(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (action: LeadAction) => {
      const result = await api.post<ControlResult>(path(id, action));
      // Convert is recorded whatever the sequence does; the others did nothing if no sequence took them.
      if (action !== "convert" && result && result.signalled === false) {
        throw new Refused(result.detail || "the lead's sequence is not running");
      }
      return result;
    },
    onMutate: async (action) => {
      await client.cancelQueries({ queryKey: keys.lead(id) });
      const before = client.getQueryData<LeadDetail>(keys.lead(id));
      if (before) client.setQueryData<LeadDetail>(keys.lead(id), optimistic(before, action));
      return { before };
    },
    onError: (error, action, context) => {
      if (context?.before) client.setQueryData(keys.lead(id), context.before);
      toast("error", `${LABELS[action]} refused: ${errorText(error)}`);
    },
    onSettled: (_data, _error, action) => {
      client.invalidateQueries({ queryKey: keys.lead(id) });
      client.invalidateQueries({ queryKey: keys.leads });
      if (action === "retry" || action === "skip") client.invalidateQueries({ queryKey: keys.attention });
    },
  });
}

function latestEvent(timeline: TimelineEntry[], types: string[]): TimelineEntry | undefined {
  let found: TimelineEntry | undefined;
  for (const t of timeline) {
    if (t.kind === "event" && t.event_type && types.includes(t.event_type) && (!found || t.at >= found.at)) found = t;
  }
  return found;
}

function text(value: unknown): string {
  if (value === null || value === undefined) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}

function Sequence({ detail }: { detail: LeadDetail }) {
  const e = detail.enrollment;
  if (!e) return <Empty title="Not in a sequence">Enroll this lead through a campaign to start one.</Empty>;
  const paused = e.state === "paused" ? latestEvent(detail.timeline, ["SEQUENCE_PAUSED"]) : undefined;
  const attention = e.state === "attention" ? latestEvent(detail.timeline, ["DEAD_LETTERED", "TASK_OVERDUE"]) : undefined;
  const deferred = OPEN_STATES.has(e.state) ? latestEvent(detail.timeline, ["SEND_DEFERRED"]) : undefined;
  const lastSend = latestEvent(detail.timeline, ["EMAIL_SENT", "WHATSAPP_SENT", "SMS_SENT"]);
  const nextAt = text(paused?.details?.until) || (deferred && (!lastSend || deferred.at > lastSend.at) ? text(deferred.details?.until) : "");
  return (
    <dl className="facts">
      <dt>Sequence</dt>
      <dd>
        <span data-testid="enrollment-state">
          <Badge value={e.state} kind={e.state === "attention" ? "attention" : e.state} />
        </span>
      </dd>
      <dt>Campaign</dt>
      <dd>
        <CampaignName id={e.campaign_id} />
      </dd>
      <dt>Current step</dt>
      <dd>{e.current_step ?? "—"}</dd>
      <dt>Next action</dt>
      <dd>{nextAt ? formatDateTime(nextAt) : <span className="muted">{OPEN_STATES.has(e.state) ? "not reported" : "none (ended)"}</span>}</dd>
      {e.state === "paused" && (
        <>
          <dt>Pause reason</dt>
          <dd>{text(paused?.details?.why) || "paused"}</dd>
        </>
      )}
      {e.state === "attention" && (
        <>
          <dt>Needs attention</dt>
          <dd className="attention-reason" data-testid="needs-attention">
            {attention?.event_type === "TASK_OVERDUE"
              ? "a task is overdue: complete or skip it"
              : [text(attention?.details?.error_type), text(attention?.details?.error)].filter(Boolean).join(": ") || "waiting for ops"}
          </dd>
        </>
      )}
      <dt>Started</dt>
      <dd>{formatDateTime(e.created_at)}</dd>
      {e.ended_at && (
        <>
          <dt>Ended</dt>
          <dd>{formatDateTime(e.ended_at)}</dd>
        </>
      )}
      {detail.temporal_url && (
        <>
          <dt>Workflow</dt>
          <dd>
            <a href={detail.temporal_url} target="_blank" rel="noreferrer noopener">
              Open in Temporal Web UI
            </a>
          </dd>
        </>
      )}
    </dl>
  );
}

function waitsForOps(detail: LeadDetail): boolean {
  if (detail.enrollment?.state !== "attention") return false;
  const last = latestEvent(detail.timeline, ["DEAD_LETTERED", "TASK_OVERDUE"]);
  return !last || last.event_type === "DEAD_LETTERED";
}

function Actions({ id, detail }: { id: string; detail: LeadDetail }) {
  const act = useLeadAction(id);
  // No confirm() here: every action is one click and undone by another (stop aside, which
  // only ends this one lead's sequence).
  const run = (action: LeadAction) => act.mutate(action);
  const actions: LeadAction[] = ["pause", "resume", "stop", "convert"];
  if (waitsForOps(detail)) actions.push("retry", "skip");
  return (
    <div className="page-actions lead-actions">
      {actions.map((a) => (
        <button
          key={a}
          type="button"
          className={a === "stop" ? "button danger" : a === "convert" || a === "retry" ? "button primary" : "button"}
          disabled={act.isPending}
          onClick={() => run(a)}
        >
          {LABELS[a]}
        </button>
      ))}
    </div>
  );
}

const TASK_EVENTS = new Set(["TASK_CREATED", "TASK_DONE", "TASK_SKIPPED", "TASK_OVERDUE", "TASK_CANCELLED", "DRAFT_CREATED", "DRAFT_APPROVED", "DRAFT_REJECTED"]);

function TimelineItem({ entry }: { entry: TimelineEntry }) {
  if (entry.kind === "message") {
    const inbound = entry.direction === "INBOUND";
    return (
      <li data-testid="timeline-item" className={`timeline-item timeline-message ${inbound ? "inbound" : "outbound"}`}>
        <div className="timeline-meta">
          <Badge value={inbound ? "reply" : "sent"} kind={inbound ? "replied" : "sent"} />
          <span>{entry.direction ?? ""}</span>
          {entry.channel && <span>{entry.channel}</span>}
          {entry.step !== null && <span>step {entry.step}</span>}
          {entry.delivery_status && <Badge value={entry.delivery_status} />}
          <time className="muted" dateTime={entry.at}>
            {formatStamp(entry.at)}
          </time>
        </div>
        {entry.subject && <div className="message-subject">{entry.subject}</div>}
        <div className="message-body">{entry.content ?? ""}</div>
      </li>
    );
  }
  const type = entry.event_type ?? "EVENT";
  const summary = summarize({ event_type: type, details: entry.details ?? {} });
  return (
    <li data-testid="timeline-item" className="timeline-item timeline-event">
      <div className="timeline-meta">
        <Badge value={TASK_EVENTS.has(type) ? "task" : "event"} kind={TASK_EVENTS.has(type) ? "attention" : "event"} />
        <Badge value={type} kind={type} />
        <time className="muted" dateTime={entry.at}>
          {formatStamp(entry.at)}
        </time>
      </div>
      {summary && <div className="timeline-summary">{summary}</div>}
    </li>
  );
}

export default function LeadPage({ params }: { params: Record<string, string> }) {
  const id = params.id;
  const detail = useQuery({
    queryKey: keys.lead(id),
    queryFn: () => api.get<LeadDetail>(`/api/leads/${encodeURIComponent(id)}`),
  });
  if (detail.isPending) return <Loading label="Loading the lead…" />;
  if (detail.isError)
    return (
      <>
        <PageHeader title="Lead" subtitle={<Link to="/leads">← Leads</Link>} />
        <ErrorBox error={detail.error} retry={() => detail.refetch()} title="Could not load the lead" />
      </>
    );
  const d = detail.data;
  const l = d.lead;
  const timeline = [...d.timeline].sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
  return (
    <>
      <PageHeader
        title={l.name}
        subtitle={
          <>
            <Link to="/leads">← Leads</Link>
            {" · "}
            <span data-testid="lead-status">
              <Badge value={l.status} />
            </span>
          </>
        }
        actions={<Actions id={id} detail={d} />}
      />
      <div className="grid">
        <Card title="Lead">
          <dl className="facts">
            <dt>Email</dt>
            <dd>{l.email ?? "—"}</dd>
            <dt>Phone</dt>
            <dd>{l.phone ?? "—"}</dd>
            <dt>Company</dt>
            <dd>{l.company ?? "—"}</dd>
            <dt>Title</dt>
            <dd>{l.title ?? "—"}</dd>
            <dt>Owner</dt>
            <dd>{l.owner ?? "—"}</dd>
            <dt>Preferred channel</dt>
            <dd>{l.preferred_channel ?? "—"}</dd>
            <dt>Created</dt>
            <dd>{formatDateTime(l.created_at)}</dd>
          </dl>
        </Card>
        <Card title="Sequence">
          <Sequence detail={d} />
        </Card>
      </div>
      <Card title="Timeline">
        {timeline.length === 0 ? (
          <Empty title="Nothing yet">Messages, replies and events appear here.</Empty>
        ) : (
          <ol className="timeline" data-testid="timeline">
            {timeline.map((t, i) => (
              <TimelineItem key={`${t.at}-${i}`} entry={t} />
            ))}
          </ol>
        )}
      </Card>
    </>
  );
}
