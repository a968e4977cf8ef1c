// Attention: every lead waiting for a human. Dead letters are answered here (retry, skip or
// stop the step); overdue tasks are answered in the Inbox. Each links to its Temporal run.
import { useQuery } from "@tanstack/react-query";
import { api } from "../api";
import { keys } from "../live";
import { Link } from "../router";
import { Badge, Empty, ErrorBox, formatDateTime, Loading, PageHeader } from "../components/ui";
import { useOptimisticList } from "../components/optimistic";

export type AttentionItem = {
  lead_id: string;
  lead_name: string;
  lead_email: string | null;
  campaign_id: string;
  current_step: number | null;
  reason: string;
  error_type: string | null;
  since: string;
  workflow_id: string;
  temporal_url: string;
  actions: string[];
};

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

  const items = query.data ?? [];
  return (
    <>
      <PageHeader
        title="Attention"
        subtitle="Leads whose sequence waits for a human: failed sends (dead letters) and overdue tasks."
      />
      {query.isPending ? (
        <Loading />
      ) : query.isError ? (
        <ErrorBox error={query.error} retry={() => void query.refetch()} />
      ) : items.length === 0 ? (
        <Empty title="Nothing needs you. Every lead is moving." />
      ) : (
        <ul className="attention-list">
          {items.map((item) => {
            const dead = isDeadLetter(item);
            return (
              <li key={item.lead_id} className="card attention-item" data-testid="attention-item">
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
                        onClick={() => answer.mutate({ lead_id: item.lead_id, action })}
                      >
                        {label}
                      </button>
                    ))
                  ) : (
                    <Link to="/inbox?tab=tasks">Answer the task in the Inbox</Link>
                  )}
                  <a href={item.temporal_url} target="_blank" rel="noopener noreferrer" className="attention-temporal">
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
