// Attention: everything waiting for a human. Paused mailboxes come first (their leads' sends
// are held) and are resumed here; dead letters are answered here (retry, skip or stop the
// step); overdue tasks are answered in the Inbox. Each lead links to its Temporal run.
import { useQuery } from "@tanstack/react-query";
import { api } from "../api";
import { keys } from "../live";
import { Link } from "../router";
import { Badge, Empty, ErrorBox, formatDateTime, Loading, PageHeader } from "../components/ui";
import { useOptimisticList } from "../components/optimistic";

// kind "lead": a dead letter or an overdue task (every lead field set); kind "mailbox": a
// mailbox paused over its bounce or complaint rate, or by ops (the lead fields are null).
export type AttentionItem = {
  kind?: "lead" | "mailbox";
  lead_id: string | null;
  lead_name: string | null;
  lead_email: string | null;
  campaign_id: string | null;
  current_step: number | null;
  reason: string;
  error_type: string | null;
  since: string;
  workflow_id: string | null;
  temporal_url: string | null;
  actions: string[];
  mailbox_id?: string | null;
  mailbox_name?: string | null;
  mailbox_address?: string | null;
};

export function isMailbox(item: AttentionItem): boolean {
  return item.kind === "mailbox";
}

type OpsAction = "retry" | "skip" | "stop";
const ACTIONS: { action: OpsAction; label: string; className: string }[] = [
  { action: "retry", label: "Retry", className: "button primary" },
  { action: "skip", label: "Skip", className: "button" },
  { action: "stop", label: "Stop", className: "button danger" },
];

export function isDeadLetter(item: AttentionItem): boolean {
  return item.actions.includes("retry");
}

export default function AttentionPage(_props: { params: Record<string, string> }) {
  const query = useQuery({
    queryKey: keys.attention,
    queryFn: ({ signal }) => api.get<AttentionItem[]>("/api/ops/attention", undefined, signal),
  });
  const answer = useOptimisticList<AttentionItem[], { lead_id: string; action: OpsAction }>({
    queryKey: keys.attention,
    mutationFn: ({ lead_id, action }) => api.post(`/api/ops/leads/${lead_id}/${action}`, {}),
    update: (items, { lead_id }) => items.filter((i) => i.lead_id !== lead_id),
    invalidate: [keys.leads],
  });
  const resume = useOptimisticList<AttentionItem[], { mailbox_id: string }>({
    queryKey: keys.attention,
    mutationFn: ({ mailbox_id }) => api.post(`/api/mailboxes/${mailbox_id}/resume`, {}),
    update: (items, { mailbox_id }) =>
      items.filter((i) => !(i.mailbox_id === mailbox_id && i.actions.includes("resume"))),
  });

  const items = query.data ?? [];
  return (
    <>
      <PageHeader
        title="Attention"
        subtitle="What waits for a human: paused mailboxes, failed sends (dead letters) and overdue tasks."
      />
      {query.isPending ? (
        <Loading />
      ) : query.isError ? (
        <ErrorBox error={query.error} retry={() => void query.refetch()} />
      ) : items.length === 0 ? (
        <Empty title="Nothing needs you. Every lead and mailbox is moving." />
      ) : (
        <ul className="attention-list">
          {items.map((item) => {
            if (isMailbox(item) && item.mailbox_id) {
              const mailboxId = item.mailbox_id;
              const paused = item.actions.includes("resume");
              return (
                <li key={`mailbox-${mailboxId}-${paused ? "paused" : "imap"}`} className="card attention-item" data-testid="attention-item">
                  <div className="attention-head">
                    <Badge value={paused ? "mailbox paused" : "replies unread"} kind="paused" />
                    <strong>{item.mailbox_name}</strong>
                    {item.mailbox_address && <span className="muted">{item.mailbox_address}</span>}
                    <span className="muted attention-since">since {formatDateTime(item.since)}</span>
                  </div>
                  <p className="attention-reason">
                    {item.reason}
                    <span className="muted">
                      {paused
                        ? " Its leads' sends are held until it is resumed."
                        : ` Fix its IMAP settings (${item.actions.join("; ")}); replies there are read once it works.`}
                    </span>
                  </p>
                  {paused && (
                    <div className="toolbar attention-actions">
                      <button
                        type="button"
                        className="button primary"
                        disabled={resume.isPending && resume.variables?.mailbox_id === mailboxId}
                        onClick={() => resume.mutate({ mailbox_id: mailboxId })}
                      >
                        Resume
                      </button>
                    </div>
                  )}
                </li>
              );
            }
            const dead = isDeadLetter(item);
            return (
              <li key={item.lead_id ?? item.reason} className="card attention-item" data-testid="attention-item">
                <div className="attention-head">
                  <Badge value={dead ? "dead letter" : "overdue task"} kind={dead ? "dead-letter" : "overdue"} />
                  <Link to={`/leads/${item.lead_id}`}>{item.lead_name}</Link>
                  {item.lead_email && <span className="muted">{item.lead_email}</span>}
                  <span className="muted attention-since">since {formatDateTime(item.since)}</span>
                </div>
                <p className="attention-reason">
                  {item.current_step != null && <span className="muted">Step {item.current_step}: </span>}
                  {item.reason}
                  {item.error_type && <span className="muted"> ({item.error_type})</span>}
                </p>
                <div className="toolbar attention-actions">
                  {dead ? (
                    ACTIONS.map(({ action, label, className }) => (
                      <button
                        key={action}
                        type="button"
                        className={className}
                        disabled={answer.isPending && answer.variables?.lead_id === item.lead_id}
                        onClick={() => item.lead_id && answer.mutate({ lead_id: item.lead_id, action })}
                      >
                        {label}
                      </button>
                    ))
                  ) : (
                    <Link to="/inbox?tab=tasks">Answer the task in the Inbox</Link>
                  )}
                  <a href={item.temporal_url ?? undefined} target="_blank" rel="noopener noreferrer" className="attention-temporal">
                    Open in Temporal Web UI
                  </a>
                </div>
              </li>
            );
          })}
        </ul>
      )}
    </>
  );
}
