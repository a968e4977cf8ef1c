// Leads: search and filters kept in the URL (bookmarkable), cursor paging with a stack of the
// cursors that led to the current page (so "Previous" works without offsets).
import { useEffect, useRef, useState } from "react";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { api, type Query } from "../api";
import { LeadsTable } from "../components/LeadsTable";
import { Card, Empty, ErrorBox, Loading, PageHeader } from "../components/ui";
import { keys } from "../live";
import { Link, navigate, useLocation } from "../router";
import { LEAD_STATUSES, type CampaignSummary, type LeadList } from "../types";

export type LeadFilters = { q: string; status: string[]; campaign: string; owner: string; company: string };

export const PAGE_SIZE = 50;

export function filtersFrom(search: URLSearchParams): LeadFilters {
  return {
    q: search.get("q") ?? "",
    status: search.getAll("status"),
    campaign: search.get("campaign") ?? "",
    owner: search.get("owner") ?? "",
    company: search.get("company") ?? "",
  };
}

/** The filters as a query string (also the page's URL): empty ones left out, status repeated. */
export function filtersQuery(f: LeadFilters): string {
  const params = new URLSearchParams();
  if (f.q.trim()) params.set("q", f.q.trim());
  for (const s of f.status) params.append("status", s);
  if (f.campaign) params.set("campaign", f.campaign);
  if (f.owner.trim()) params.set("owner", f.owner.trim());
  if (f.company.trim()) params.set("company", f.company.trim());
  return params.toString();
}

function apiQuery(f: LeadFilters, cursor: string | undefined): Query {
  return {
    q: f.q.trim(),
    status: f.status,
    campaign: f.campaign,
    owner: f.owner.trim(),
    company: f.company.trim(),
    limit: PAGE_SIZE,
    cursor,
  };
}

function go(f: LeadFilters) {
  const qs = filtersQuery(f);
  navigate(qs ? `/leads?${qs}` : "/leads", true);
}

/** A text filter typed into a box: the URL follows ~300 ms after the last keystroke. */
function useDebouncedField(value: string, apply: (v: string) => void, delay = 300): [string, (v: string) => void] {
  const [text, setText] = useState(value);
  const [typed, setTyped] = useState(false);
  const applyRef = useRef(apply);
  useEffect(() => {
    applyRef.current = apply;
  });
  useEffect(() => {
    if (!typed) setText(value); // the URL changed under us (back button): follow it
  }, [value, typed]);
  useEffect(() => {
    if (!typed) return;
    const timer = window.setTimeout(() => {
      setTyped(false);
      if (text !== value) applyRef.current(text);
    }, delay);
    return () => window.clearTimeout(timer);
  }, [text, typed, value, delay]);
  return [text, (v) => { setText(v); setTyped(true); }];
}

export default function LeadsPage(_props: { params: Record<string, string> }) {
  const { search } = useLocation();
  const filters = filtersFrom(search);
  const filterKey = filtersQuery(filters);
  const [paging, setPaging] = useState<{ key: string; stack: string[] }>({ key: filterKey, stack: [] });
  const stack = paging.key === filterKey ? paging.stack : [];
  const cursor = stack.length ? stack[stack.length - 1] : undefined;

  const leads = useQuery({
    queryKey: [...keys.leads, filterKey, cursor ?? null],
    queryFn: ({ signal }) => api.get<LeadList>("/api/leads", apiQuery(filters, cursor), signal),
    placeholderData: keepPreviousData,
  });
  const campaigns = useQuery({ queryKey: keys.campaigns, queryFn: () => api.get<CampaignSummary[]>("/api/campaigns") });

  const [q, setQ] = useDebouncedField(filters.q, (v) => go({ ...filtersFrom(new URLSearchParams(window.location.search)), q: v }));
  const [owner, setOwner] = useDebouncedField(filters.owner, (v) => go({ ...filtersFrom(new URLSearchParams(window.location.search)), owner: v }));
  const [company, setCompany] = useDebouncedField(filters.company, (v) => go({ ...filtersFrom(new URLSearchParams(window.location.search)), company: v }));

  const toggleStatus = (s: string) =>
    go({ ...filters, status: filters.status.includes(s) ? filters.status.filter((x) => x !== s) : [...filters.status, s] });

  const anyFilter = filterKey !== "";
  let body;
  if (leads.isPending) body = <Loading label="Loading leads…" />;
  else if (leads.isError) body = <ErrorBox error={leads.error} retry={() => leads.refetch()} title="Could not load the leads" />;
  else if (leads.data.items.length === 0)
    body = anyFilter ? (
      <Empty title="No lead matches these filters">
        <button type="button" className="link" onClick={() => navigate("/leads", true)}>
          Clear the filters
        </button>
      </Empty>
    ) : (
      <Empty title="No leads yet">
        Add some on the <Link to="/import">Import</Link> page (a CSV) or with <code>POST /api/leads</code>.
      </Empty>
    );
  else
    body = (
      <>
        <LeadsTable items={leads.data.items} rowTestId="lead-row" showCreated stale={leads.isPlaceholderData} />
        <div className="pager">
          <span className="muted" data-testid="leads-total">
            {leads.data.total} lead(s){stack.length ? ` · page ${stack.length + 1}` : ""}
          </span>
          <button
            type="button"
            className="button"
            disabled={stack.length === 0}
            onClick={() => setPaging({ key: filterKey, stack: stack.slice(0, -1) })}
          >
            Previous
          </button>
          <button
            type="button"
            className="button"
            disabled={!leads.data.next_cursor || leads.isPlaceholderData}
            onClick={() => leads.data.next_cursor && setPaging({ key: filterKey, stack: [...stack, leads.data.next_cursor] })}
          >
            Next page
          </button>
        </div>
      </>
    );

  return (
    <>
      <PageHeader title="Leads" subtitle="Newest first. The filters are in the address: bookmark or share a view." />
      <Card>
        <form className="lead-filters" role="search" onSubmit={(e) => e.preventDefault()}>
          <label>
            Search
            <input type="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder="Name, email or company" maxLength={200} />
          </label>
          <label>
            Campaign
            <select value={filters.campaign} onChange={(e) => go({ ...filters, campaign: e.target.value })}>
              <option value="">Any campaign</option>
              {(campaigns.data ?? []).map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name}
                </option>
              ))}
              {filters.campaign && !(campaigns.data ?? []).some((c) => c.id === filters.campaign) && (
                <option value={filters.campaign}>{filters.campaign}</option>
              )}
            </select>
          </label>
          <label>
            Owner
            <input value={owner} onChange={(e) => setOwner(e.target.value)} placeholder="Exact" maxLength={200} />
          </label>
          <label>
            Company
            <input value={company} onChange={(e) => setCompany(e.target.value)} placeholder="Exact" maxLength={200} />
          </label>
          <fieldset className="status-filter">
            <legend>Status</legend>
            {LEAD_STATUSES.map((s) => (
              <label key={s} className="check">
                <input type="checkbox" checked={filters.status.includes(s)} onChange={() => toggleStatus(s)} />
                {s}
              </label>
            ))}
          </fieldset>
        </form>
        {body}
      </Card>
    </>
  );
}
