// Campaigns: every campaign with its progress and last-7-days figures, and an overview strip.
import { useQuery } from "@tanstack/react-query";
import { api } from "../api";
import { Badge, Card, Empty, ErrorBox, Loading, PageHeader, formatDateTime, percent } from "../components/ui";
import { keys } from "../live";
import { Link, navigate } from "../router";
import type { CampaignSummary, Figures, Overview } from "../types";

export function useOverview() {
  return useQuery({ queryKey: keys.overview, queryFn: () => api.get<Overview>("/api/analytics/overview") });
}

function OverviewStrip({ campaigns, overview }: { campaigns: CampaignSummary[]; overview: Overview | undefined }) {
  // Running: not paused or stopped, and still enrolling or with sequences under way.
  const open = (c: CampaignSummary) => (c.enrollments.active ?? 0) + (c.enrollments.paused ?? 0) + (c.enrollments.attention ?? 0);
  const running = campaigns.filter((c) => c.state === "active" && (c.status === "enrolling" || open(c) > 0)).length;
  const inSequence = campaigns.reduce((n, c) => n + open(c), 0);
  const totals = overview?.totals;
  const days = overview?.days ?? 7;
  const stats: [string, string, string][] = [
    ["campaigns-running", "Campaigns running", String(running)],
    ["leads-in-sequence", "Leads in sequence", String(inSequence)],
    ["sent", `Messages sent (${days} days)`, totals ? String(totals.messages_sent) : "—"],
    ["replies", `Replies (${days} days)`, totals ? String(totals.replied) : "—"],
  ];
  return (
    <div className="stats overview-strip" data-testid="overview">
      {stats.map(([id, label, value]) => (
        <div className="stat" key={id} data-testid={`stat-${id}`}>
          <div className="value">{value}</div>
          <div className="label">{label}</div>
        </div>
      ))}
    </div>
  );
}

function Progress({ done, of }: { done: number; of: number }) {
  const share = of ? Math.min(100, Math.round((100 * done) / of)) : 0;
  return (
    <div className="progress-cell">
      <span>
        {done} / {of}
      </span>
      <div className="progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={share} aria-label="Enrolled">
        <div className="progress-bar" style={{ width: `${share}%` }} />
      </div>
    </div>
  );
}

export function CampaignRow({ campaign, figures }: { campaign: CampaignSummary; figures: Figures | undefined }) {
  const to = `/campaigns/${campaign.id}`;
  return (
    <tr data-testid="campaign-row" className="clickable" onClick={(e) => {
      if ((e.target as HTMLElement).closest("a")) return;
      navigate(to);
    }}>
      <td>
        <Link to={to}>{campaign.name}</Link>
      </td>
      <td>
        {campaign.sequence} <span className="muted">v{campaign.sequence_version}</span>
      </td>
      <td>
        <Badge value={campaign.state} />
        {campaign.status === "enrolling" && <> <Badge value="enrolling" /></>}
      </td>
      <td>
        <Progress done={campaign.enrolled} of={campaign.selected} />
      </td>
      <td className="num">{figures ? figures.messages_sent : "—"}</td>
      <td className="num">{figures ? figures.replied : campaign.replies}</td>
      <td className="num">{figures ? percent(figures.replied, figures.sent) : "—"}</td>
      <td>{formatDateTime(campaign.created_at)}</td>
    </tr>
  );
}

export default function CampaignsPage(_props: { params: Record<string, string> }) {
  const campaigns = useQuery({ queryKey: keys.campaigns, queryFn: () => api.get<CampaignSummary[]>("/api/campaigns") });
  const overview = useOverview();
  const byCampaign = new Map((overview.data?.campaigns ?? []).map((c) => [c.campaign_id, c.figures]));

  let body;
  if (campaigns.isPending) body = <Loading label="Loading campaigns…" />;
  else if (campaigns.isError) body = <ErrorBox error={campaigns.error} retry={() => campaigns.refetch()} title="Could not load the campaigns" />;
  else if (campaigns.data.length === 0)
    body = (
      <Empty title="No campaigns yet">
        <p>
          Start one from the <Link to="/import">Import</Link> page (upload leads, then enroll them in a sequence), or
          with the API: <code>POST /api/campaigns</code> with a name, a sequence and the leads to select (see the
          README's tour).
        </p>
      </Empty>
    );
  else
    body = (
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th>Sequence</th>
              <th>Status</th>
              <th>Enrolled</th>
              <th className="num">Sent (7d)</th>
              <th className="num">Replied (7d)</th>
              <th className="num">Reply rate</th>
              <th>Created</th>
            </tr>
          </thead>
          <tbody>
            {campaigns.data.map((c) => (
              <CampaignRow key={c.id} campaign={c} figures={byCampaign.get(c.id)} />
            ))}
          </tbody>
        </table>
      </div>
    );

  return (
    <>
      <PageHeader title="Campaigns" subtitle="Every campaign, newest first; figures cover the last 7 days." />
      {campaigns.isSuccess && <OverviewStrip campaigns={campaigns.data} overview={overview.data} />}
      {overview.isError && <p className="muted">The 7-day figures could not be loaded.</p>}
      <Card title="Campaigns">{body}</Card>
    </>
  );
}
