// One campaign: its controls, the funnel per step, reply intents, A/B arms and its leads.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { api, errorText } from "../api";
import { LeadsTable } from "../components/LeadsTable";
import { Badge, Card, Empty, ErrorBox, Loading, PageHeader, formatDateTime, percent, toast } from "../components/ui";
import { keys } from "../live";
import { Link } from "../router";
import type { CampaignControlResult, CampaignFunnel, CampaignSummary, LeadList } from "../types";

type Action = "pause" | "resume" | "stop";
const NEXT_STATE: Record<Action, string> = { pause: "paused", resume: "active", stop: "stopped" };
const STAGES = ["sent", "delivered", "opened", "clicked", "replied", "positive"] as const;
const STAGE_COLORS: Record<(typeof STAGES)[number], string> = {
  sent: "#2f5bd3", delivered: "#5b8def", opened: "#8fb0f5", clicked: "#b08ae0", replied: "#22a559", positive: "#146c43",
};

export function useCampaignControl(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (action: Action) => api.post<CampaignControlResult>(`/api/campaigns/${encodeURIComponent(id)}/${action}`),
    onMutate: async (action) => {
      await Promise.all([
        client.cancelQueries({ queryKey: keys.campaign(id) }),
        client.cancelQueries({ queryKey: keys.campaigns }),
      ]);
      const one = client.getQueryData<CampaignSummary>(keys.campaign(id));
      const list = client.getQueryData<CampaignSummary[]>(keys.campaigns);
      const state = NEXT_STATE[action];
      if (one) client.setQueryData<CampaignSummary>(keys.campaign(id), { ...one, state });
      if (list) client.setQueryData<CampaignSummary[]>(keys.campaigns, list.map((c) => (c.id === id ? { ...c, state } : c)));
      return { one, list };
    },
    onError: (error, action, context) => {
      if (context?.one) client.setQueryData(keys.campaign(id), context.one);
      if (context?.list) client.setQueryData(keys.campaigns, context.list);
      toast("error", `Could not ${action} the campaign: ${errorText(error)}`);
    },
    onSuccess: (result, action) => {
      const missed = result.not_running.length ? ` (${result.not_running.length} not running)` : "";
      toast("success", `Campaign ${NEXT_STATE[action]}: ${result.signalled} sequence(s) told${missed}`);
    },
    onSettled: () => {
      client.invalidateQueries({ queryKey: keys.campaign(id) });
      client.invalidateQueries({ queryKey: keys.campaigns });
      client.invalidateQueries({ queryKey: keys.funnel(id) });
    },
  });
}

function Controls({ campaign }: { campaign: CampaignSummary }) {
  const control = useCampaignControl(campaign.id);
  const busy = control.isPending;
  const stop = () => {
    if (window.confirm(`Stop every running sequence of "${campaign.name}"? This cannot be undone.`)) control.mutate("stop");
  };
  return (
    <>
      {campaign.state === "paused" ? (
        <button type="button" className="button" disabled={busy} onClick={() => control.mutate("resume")}>
          Resume
        </button>
      ) : (
        <button type="button" className="button" disabled={busy || campaign.state === "stopped"} onClick={() => control.mutate("pause")}>
          Pause
        </button>
      )}
      <button type="button" className="button danger" disabled={busy || campaign.state === "stopped"} onClick={stop}>
        Stop
      </button>
    </>
  );
}

function FunnelCard({ id }: { id: string }) {
  const funnel = useQuery({
    queryKey: keys.funnel(id),
    queryFn: () => api.get<CampaignFunnel>(`/api/campaigns/${encodeURIComponent(id)}/funnel`),
  });
  if (funnel.isPending) return <Card title="Funnel"><Loading label="Loading the funnel…" /></Card>;
  if (funnel.isError)
    return (
      <Card title="Funnel">
        <ErrorBox error={funnel.error} retry={() => funnel.refetch()} title="Could not load the funnel" />
      </Card>
    );
  const f = funnel.data;
  const o = f.overall;
  // Labelled by number only: the API's step_id/kind for a step number can name the step
  // before it (demo: step 1 comes back as "wait-2"), so they are not shown.
  const steps = f.steps.map((s) => ({ name: `Step ${s.step}`, ...s }));
  const intents = Object.entries(o.replies_by_intent)
    .map(([intent, count]) => ({ intent: intent.replace(/_/g, " "), count }))
    .sort((a, b) => b.count - a.count);
  const stats: [string, number | string][] = [
    ["Enrolled", o.enrolled],
    ["Sent", o.sent],
    ["Delivered", o.delivered],
    ["Opened", o.opened],
    ["Positive", o.positive],
    ["Converted", o.converted],
    ["Bounced", o.bounced],
    ["Dead letters", o.dead_lettered],
  ];
  return (
    <>
      <Card
        title="Funnel"
        actions={
          <a className="button" href={`/api/campaigns/${encodeURIComponent(id)}/funnel.csv`} download>
            Funnel CSV
          </a>
        }
      >
        <div className="stats funnel-stats">
          <div className="stat">
            <div className="value" data-testid="funnel-replied">
              {o.replied}
            </div>
            <div className="label">Replied ({o.sent ? percent(o.replied, o.sent) : "—"} of sent)</div>
          </div>
          {stats.map(([label, value]) => (
            <div className="stat" key={label}>
              <div className="value">{value}</div>
              <div className="label">{label}</div>
            </div>
          ))}
        </div>
        {f.median_time_to_first_reply_seconds !== null && (
          <p className="muted">Median time to first reply: {humanSeconds(f.median_time_to_first_reply_seconds)}</p>
        )}
        <div className="chart" data-testid="funnel">
          {steps.length === 0 ? (
            <Empty title="Nothing sent yet">The funnel fills in as the sequence's steps go out.</Empty>
          ) : (
            <ResponsiveContainer width="100%" height={280}>
              <BarChart data={steps} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
                <CartesianGrid strokeDasharray="3 3" vertical={false} />
                <XAxis dataKey="name" />
                <YAxis allowDecimals={false} />
                <Tooltip />
                <Legend />
                {STAGES.map((stage) => (
                  <Bar key={stage} dataKey={stage} name={stage} fill={STAGE_COLORS[stage]} isAnimationActive={false} />
                ))}
              </BarChart>
            </ResponsiveContainer>
          )}
        </div>
      </Card>
      <div className="grid">
        <Card title="Reply intents">
          {intents.length === 0 ? (
            <Empty title="No replies classified yet" />
          ) : (
            <div className="chart" data-testid="intents">
              <ResponsiveContainer width="100%" height={Math.max(160, intents.length * 36)}>
                <BarChart data={intents} layout="vertical" margin={{ top: 4, right: 16, bottom: 4, left: 16 }}>
                  <XAxis type="number" allowDecimals={false} />
                  <YAxis type="category" dataKey="intent" width={110} />
                  <Tooltip />
                  <Bar dataKey="count" name="leads" fill="#2f5bd3" isAnimationActive={false} />
                </BarChart>
              </ResponsiveContainer>
              <ul className="sr-only">
                {intents.map((i) => (
                  <li key={i.intent}>
                    {i.intent}: {i.count}
                  </li>
                ))}
              </ul>
            </div>
          )}
        </Card>
        <Card title="A/B arms">
          {f.arms.length === 0 ? (
            <Empty title="No A/B test in this sequence" />
          ) : (
            <div className="table-wrap">
              <table data-testid="arms">
                <thead>
                  <tr>
                    <th>Arm</th>
                    <th className="num">Enrolled</th>
                    <th className="num">Sent</th>
                    <th className="num">Replied</th>
                    <th className="num">Reply rate</th>
                    <th className="num">Positive rate</th>
                    <th className="num">p-value</th>
                    <th>Significant</th>
                  </tr>
                </thead>
                <tbody>
                  {f.arms.map((a) => (
                    <tr key={a.arm} data-testid="arm-row">
                      <td>
                        {a.arm} {a.control && <Badge value="control" />}
                      </td>
                      <td className="num">{a.enrolled}</td>
                      <td className="num">{a.sent}</td>
                      <td className="num">{a.replied}</td>
                      <td className="num">{rate(a.reply_rate)}</td>
                      <td className="num">{rate(a.positive_rate)}</td>
                      <td className="num">{a.p_value === null ? "—" : a.p_value.toFixed(3)}</td>
                      <td>{a.control ? "—" : a.significant === null ? "not enough data" : a.significant ? <Badge value="yes" kind="ok" /> : "no"}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Card>
      </div>
    </>
  );
}

function CampaignLeads({ id }: { id: string }) {
  const leads = useQuery({
    queryKey: [...keys.leads, { campaign: id }],
    queryFn: () => api.get<LeadList>("/api/leads", { campaign: id, limit: 100 }),
  });
  if (leads.isPending) return <Loading label="Loading leads…" />;
  if (leads.isError) return <ErrorBox error={leads.error} retry={() => leads.refetch()} title="Could not load the leads" />;
  if (leads.data.items.length === 0) return <Empty title="No leads enrolled yet" />;
  return (
    <>
      <LeadsTable items={leads.data.items} rowTestId="campaign-lead-row" />
      {leads.data.total > leads.data.items.length && (
        <p className="muted">
          Showing {leads.data.items.length} of {leads.data.total}.{" "}
          <Link to={`/leads?campaign=${encodeURIComponent(id)}`}>All of this campaign's leads</Link>
        </p>
      )}
    </>
  );
}

function rate(value: number | null): string {
  return value === null ? "—" : `${(100 * value).toFixed(1)}%`;
}

function humanSeconds(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172800) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} days`;
}

export default function CampaignPage({ params }: { params: Record<string, string> }) {
  const id = params.id;
  const campaign = useQuery({
    queryKey: keys.campaign(id),
    queryFn: () => api.get<CampaignSummary>(`/api/campaigns/${encodeURIComponent(id)}`),
  });
  if (campaign.isPending) return <Loading label="Loading the campaign…" />;
  if (campaign.isError)
    return (
      <>
        <PageHeader title="Campaign" subtitle={<Link to="/campaigns">← Campaigns</Link>} />
        <ErrorBox error={campaign.error} retry={() => campaign.refetch()} title="Could not load the campaign" />
      </>
    );
  const c = campaign.data;
  return (
    <>
      <PageHeader
        title={c.name}
        subtitle={
          <>
            <Link to="/campaigns">← Campaigns</Link> · sequence {c.sequence} v{c.sequence_version} · created {formatDateTime(c.created_at)}
          </>
        }
        actions={
          <div className="campaign-head">
            <span data-testid="campaign-state">
              <Badge value={c.state} />
            </span>
            {c.status === "enrolling" && <Badge value="enrolling" />}
            <Controls campaign={c} />
          </div>
        }
      />
      <div className="stats campaign-progress">
        <div className="stat">
          <div className="value">
            {c.enrolled} / {c.selected}
          </div>
          <div className="label">Enrolled of selected</div>
        </div>
        <div className="stat">
          <div className="value">{c.skipped}</div>
          <div className="label">Skipped{Object.keys(c.skipped_by_reason).length ? `: ${Object.entries(c.skipped_by_reason).map(([r, n]) => `${r} ${n}`).join(", ")}` : ""}</div>
        </div>
        {Object.entries(c.enrollments).map(([state, n]) => (
          <div className="stat" key={state}>
            <div className="value">{n}</div>
            <div className="label">Sequences {state}</div>
          </div>
        ))}
      </div>
      <FunnelCard id={id} />
      <Card title="Leads">
        <CampaignLeads id={id} />
      </Card>
    </>
  );
}
