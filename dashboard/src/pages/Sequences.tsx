// Sequences: each sequence written in code, drawn as its chain of steps (sends, waits,
// branches with both paths, tasks), and simulated on demand: POST /api/sequences/{name}/simulate
// runs it on a time-skipping server and answers what would be sent when.
import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "@tanstack/react-query";
import { api } from "../api";
import { keys } from "../live";
import { Badge, Card, Empty, ErrorBox, Loading, PageHeader } from "../components/ui";

type Window = { start: string; end: string; days: number[] };
type Condition =
  | { type: "has_phone" }
  | { type: "has_email" }
  | { type: "reply_intent"; intents: string[] }
  | { type: "ab_arm"; arm: string }
  | { type: "lead_field"; field: string; equals?: string | null }
  | { type: string; [key: string]: unknown };
export type Step =
  | {
      id: string;
      kind: "send";
      channel: string;
      subject: string | null;
      body: string;
      thread?: boolean;
      variants?: { name: string; subject: string | null; body: string }[];
      ai?: { approve?: boolean } | null;
      alternatives?: { channel: string }[];
    }
  | { id: string; kind: "wait"; seconds: number; window: Window | null }
  | { id: string; kind: "branch"; when: Condition; then: string; otherwise: string | null }
  | { id: string; kind: "task"; task_type: string; action: string; instructions: string; due_seconds: number }
  | { id: string; kind: "end" };
export type Sequence =
  | { name: string; valid: true; description: string; version: string; steps: Step[] }
  | { name: string; valid: false; error: string };

export type TimelineEntry = {
  at: string;
  local: string;
  local_display: string;
  kind: "send" | "reply" | "event";
  step: number | null;
  channel: string | null;
  subject: string | null;
  preview: string | null;
  event: string | null;
  label: string | null;
  detail: string | null;
  text: string;
};
export type SimulationReport = {
  sequence: string;
  version: string;
  timezone: string;
  lead: string;
  timeline: TimelineEntry[];
  ended: { outcome: string; sends: number; last_step: number | null; reason: string; days: number };
};

// Short text marks (no emoji: not every system has the fonts).
const CHANNEL_ICONS: Record<string, string> = { EMAIL: "@", WHATSAPP: "WA", SMS: "SMS", linkedin: "in", manual: "TODO" };
const DAYS = ["", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

export function duration(seconds: number): string {
  const units: [number, string][] = [[86400, "day"], [3600, "hour"], [60, "minute"], [1, "second"]];
  const parts: string[] = [];
  let left = Math.round(seconds);
  for (const [size, name] of units) {
    const n = Math.floor(left / size);
    if (n > 0 && parts.length < 2) parts.push(`${n} ${name}${n === 1 ? "" : "s"}`);
    left -= n * size;
  }
  return parts.join(" ") || "0 seconds";
}

function windowText(w: Window): string {
  const days = [...w.days].sort((a, b) => a - b);
  const contiguous = days.every((d, i) => i === 0 || d === days[i - 1] + 1);
  const dayText = contiguous && days.length > 2 ? `${DAYS[days[0]]}–${DAYS[days[days.length - 1]]}` : days.map((d) => DAYS[d]).join(", ");
  return `${dayText} ${w.start}–${w.end} (lead's time)`;
}

export function conditionText(c: Condition): string {
  switch (c.type) {
    case "has_phone":
      return "the lead has a phone number";
    case "has_email":
      return "the lead has an email address";
    case "reply_intent":
      return `the reply's intent is ${(c as { intents: string[] }).intents.join(" or ")}`;
    case "ab_arm":
      return `the lead is in arm ${(c as { arm: string }).arm}`;
    case "lead_field": {
      const f = c as { field: string; equals?: string | null };
      return f.equals != null ? `lead.${f.field} is “${f.equals}”` : `lead.${f.field} is set`;
    }
    default:
      return c.type;
  }
}

export default function SequencesPage(_props: { params: Record<string, string> }) {
  const query = useQuery({
    queryKey: keys.sequences,
    queryFn: ({ signal }) => api.get<Sequence[]>("/api/sequences", undefined, signal),
  });
  return (
    <>
      <PageHeader title="Sequences" subtitle="The sequences written in code (sequences/), step by step; simulate one to see what it sends when." />
      {query.isPending ? (
        <Loading />
      ) : query.isError ? (
        <ErrorBox error={query.error} retry={() => void query.refetch()} />
      ) : query.data.length === 0 ? (
        <Empty title="No sequences yet.">Write one in sequences/ and restart the API.</Empty>
      ) : (
        query.data.map((seq) => <SequenceCard key={seq.name} sequence={seq} />)
      )}
    </>
  );
}

function SequenceCard({ sequence }: { sequence: Sequence }) {
  if (!sequence.valid) {
    return (
      <Card title={sequence.name} actions={<Badge value="invalid" kind="failed" />}>
        <div className="state state-error" role="alert" data-testid="sequence-error">
          <strong>This sequence does not compile</strong>
          <p>{sequence.error}</p>
        </div>
      </Card>
    );
  }
  return (
    <Card title={sequence.name} actions={<span className="muted">version {sequence.version}</span>}>
      {sequence.description && <p className="muted sequence-description">{sequence.description}</p>}
      <div className="sequence-layout">
        <Flow sequence={sequence} />
        <Simulator sequence={sequence} />
      </div>
    </Card>
  );
}

function Flow({ sequence }: { sequence: Extract<Sequence, { valid: true }> }) {
  const position = new Map(sequence.steps.map((s, i) => [s.id, i + 1]));
  const target = (id: string | null, after: number) =>
    id === null ? `the next step (${after + 1})` : `step ${position.get(id) ?? "?"} (${id})`;
  return (
    <ol className="flow" data-testid="sequence-flow" aria-label={`Steps of ${sequence.name}`}>
      {sequence.steps.map((step, i) => (
        <li key={step.id} className={`flow-step flow-${step.kind}`} id={`step-${sequence.name}-${step.id}`} data-testid="flow-step">
          <span className="flow-number" aria-label={`Step ${i + 1}`}>
            {i + 1}
          </span>
          <div className="flow-card">
            {step.kind === "send" && (
              <>
                <div className="flow-title">
                  <span className="flow-icon" aria-hidden="true">
                    {CHANNEL_ICONS[step.channel] ?? "SEND"}
                  </span>
                  <strong>{step.channel}</strong>
                  {step.thread && <span className="muted">in the same thread</span>}
                  {step.ai && <Badge value={step.ai.approve ? "AI draft, approved by a human" : "AI draft"} kind="ai" />}
                </div>
                {step.subject && <div className="flow-subject">“{step.subject}”</div>}
                <div className="flow-preview muted">{step.body.split("\n")[0]}</div>
                {step.variants && step.variants.length > 0 && (
                  <div className="muted">A/B: {step.variants.map((v) => v.name).join(", ")}</div>
                )}
                {step.alternatives && step.alternatives.length > 0 && (
                  <div className="muted">or on the lead's preferred channel: {step.alternatives.map((a) => a.channel).join(", ")}</div>
                )}
              </>
            )}
            {step.kind === "wait" && (
              <div className="flow-title">
                <span className="flow-icon" aria-hidden="true">WAIT</span>
                <strong>Wait {duration(step.seconds)}</strong>
                {step.window && <span className="muted">then within {windowText(step.window)}</span>}
              </div>
            )}
            {step.kind === "branch" && (
              <>
                <div className="flow-title">
                  <span className="flow-icon" aria-hidden="true">IF</span>
                  <strong>If {conditionText(step.when)}</strong>
                </div>
                <ul className="flow-paths">
                  <li>
                    <Badge value="yes" kind="ok" /> go to <a href={`#step-${sequence.name}-${step.then}`}>{target(step.then, i + 1)}</a>
                  </li>
                  <li>
                    <Badge value="no" kind="stopped" /> go to{" "}
                    {step.otherwise === null ? (
                      target(null, i + 1)
                    ) : (
                      <a href={`#step-${sequence.name}-${step.otherwise}`}>{target(step.otherwise, i + 1)}</a>
                    )}
                  </li>
                </ul>
              </>
            )}
            {step.kind === "task" && (
              <>
                <div className="flow-title">
                  <span className="flow-icon" aria-hidden="true">
                    {CHANNEL_ICONS[step.task_type] ?? "TODO"}
                  </span>
                  <strong>
                    {step.task_type === "linkedin" ? "LinkedIn" : "Manual"} task: {step.action}
                  </strong>
                  <span className="muted">due within {duration(step.due_seconds)}</span>
                </div>
                <div className="flow-preview muted">{step.instructions}</div>
              </>
            )}
            {step.kind === "end" && (
              <div className="flow-title">
                <span className="flow-icon" aria-hidden="true">END</span>
                <strong>End</strong>
              </div>
            )}
          </div>
        </li>
      ))}
    </ol>
  );
}

function Simulator({ sequence }: { sequence: Extract<Sequence, { valid: true }> }) {
  const sends = sequence.steps.map((s, i) => ({ step: s, n: i + 1 })).filter(({ step }) => step.kind === "send");
  const [replyStep, setReplyStep] = useState("");
  const [replyText, setReplyText] = useState("");
  const [timezone, setTimezone] = useState("UTC");
  const run = useMutation({
    mutationFn: (body: object) => api.post<SimulationReport>(`/api/sequences/${encodeURIComponent(sequence.name)}/simulate`, body),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const replies = replyStep && replyText.trim() ? [{ step: Number(replyStep), content: replyText.trim() }] : [];
    run.mutate({ replies, timezone: timezone.trim() || "UTC" });
  };
  const id = `sim-${sequence.name}`;
  return (
    <section className="simulator" aria-label={`Simulate ${sequence.name}`}>
      <form className="simulator-form" onSubmit={submit}>
        <label htmlFor={`${id}-tz`}>Lead's timezone</label>
        <input id={`${id}-tz`} value={timezone} onChange={(e) => setTimezone(e.target.value)} placeholder="Europe/Paris" />
        <label htmlFor={`${id}-step`}>Reply after step (optional)</label>
        <select id={`${id}-step`} value={replyStep} onChange={(e) => setReplyStep(e.target.value)}>
          <option value="">no reply</option>
          {sends.map(({ step, n }) => (
            <option key={step.id} value={n}>
              step {n} ({step.id})
            </option>
          ))}
        </select>
        <label htmlFor={`${id}-text`}>Reply text</label>
        <textarea
          id={`${id}-text`}
          value={replyText}
          disabled={!replyStep}
          placeholder="I'm out of office until the 14th"
          onChange={(e) => setReplyText(e.target.value)}
        />
        <button type="submit" className="button primary" disabled={run.isPending || (!!replyStep && !replyText.trim())}>
          {run.isPending ? "Simulating…" : "Simulate"}
        </button>
      </form>
      {run.isPending && <Loading label="Simulating on a time-skipping server (a few seconds)…" />}
      {run.isError && <ErrorBox title="The simulation failed" error={run.error} />}
      {run.data && !run.isPending && <Timeline report={run.data} />}
    </section>
  );
}

function Timeline({ report }: { report: SimulationReport }) {
  const { ended } = report;
  return (
    <div className="simulation" data-testid="simulation">
      <p className="simulation-ended">
        <Badge value={ended.outcome} /> {ended.sends} send{ended.sends === 1 ? "" : "s"} over {ended.days.toFixed(1)} days
        {ended.reason && <span className="muted"> ({ended.reason})</span>}
      </p>
      <ol className="sim-timeline">
        {report.timeline.map((entry, i) => (
          <li key={i} className={`sim-${entry.kind}`} data-testid="simulation-entry">
            <time dateTime={entry.at} title={`${entry.at} UTC`}>
              {entry.local_display}
            </time>
            <span>
              {entry.kind === "send" ? (
                <>
                  <Badge value={`step ${entry.step}`} kind="sent" /> {entry.channel}{" "}
                  {entry.subject ? `“${entry.subject}”` : entry.preview}
                </>
              ) : entry.kind === "reply" ? (
                <>
                  <Badge value="reply" kind="replied" /> {entry.preview}
                </>
              ) : (
                <>
                  {entry.label}
                  {entry.detail && <span className="muted">: {entry.detail}</span>}
                </>
              )}
            </span>
          </li>
        ))}
      </ol>
    </div>
  );
}
