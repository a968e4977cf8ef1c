// Inbox: replies owners must read, replies no lead matched (assign or discard them), and the
// tasks humans do (LinkedIn steps, manual steps, AI drafts to approve, edit or reject).
// Every answer is optimistic: the item leaves the list at once and comes back if refused.
import { useEffect, useState, type FormEvent } from "react";
import { useQuery } from "@tanstack/react-query";
import { api } from "../api";
import { keys } from "../live";
import { Link, navigate, useLocation } from "../router";
import { Badge, Empty, ErrorBox, formatDateTime, Loading, PageHeader } from "../components/ui";
import { useOptimisticList } from "../components/optimistic";

export type InboxItem = {
  id: string;
  owner: string | null;
  intent: string;
  summary: string;
  lead: { id: string; name: string; email: string | null; company: string | null; status: string };
  message_id: string | null;
  created_at: string;
  read_at: string | null;
};
export type InboxList = { items: InboxItem[]; unread: number; next_cursor: string | null };

export type UnmatchedReply = {
  id: string;
  channel: string | null;
  sender: string | null;
  subject: string | null;
  content: string;
  received_at: string | null;
};
export type UnmatchedList = { items: UnmatchedReply[]; total: number; limit: number; offset: number };

export type TaskItem = {
  id: string;
  lead_id: string;
  lead_name?: string | null;
  kind: string;
  action: string | null;
  instructions: string;
  owner: string | null;
  due_at: string | null;
  overdue: boolean;
  status: string;
  created_at: string;
};

type LeadHit = { id: string; name: string; email: string | null; company: string | null };

export const DRAFT_KIND = "approve_draft";
const TABS = [
  { id: "replies", label: "Replies to read" },
  { id: "unmatched", label: "Unmatched replies" },
  { id: "tasks", label: "Tasks" },
] as const;
type Tab = (typeof TABS)[number]["id"];

const inboxKey = [...keys.inbox, { unread: true }] as const;

export default function InboxPage(_props: { params: Record<string, string> }) {
  const { search } = useLocation();
  const wanted = search.get("tab");
  const tab: Tab = TABS.some((t) => t.id === wanted) ? (wanted as Tab) : "replies";

  const replies = useQuery({
    queryKey: inboxKey,
    queryFn: ({ signal }) => api.get<InboxList>("/api/inbox", { unread: true, limit: 100 }, signal),
  });
  const unmatched = useQuery({
    queryKey: keys.unmatched,
    queryFn: ({ signal }) => api.get<UnmatchedList>("/api/ops/unmatched", { limit: 100 }, signal),
  });
  const tasks = useQuery({
    queryKey: keys.tasks,
    queryFn: ({ signal }) => api.get<TaskItem[]>("/api/tasks", { status: "open" }, signal),
  });
  const counts: Record<Tab, number | undefined> = {
    replies: replies.data?.unread,
    unmatched: unmatched.data?.total,
    tasks: tasks.data?.length,
  };

  return (
    <>
      <PageHeader title="Inbox" subtitle="Replies to read, replies from unknown senders, and tasks for you." />
      <div className="tabs" role="tablist" aria-label="Inbox sections">
        {TABS.map((t) => (
          <button
            key={t.id}
            type="button"
            role="tab"
            id={`inbox-tab-${t.id}`}
            aria-selected={tab === t.id}
            aria-controls={`inbox-panel-${t.id}`}
            className={`tab${tab === t.id ? " active" : ""}`}
            onClick={() => navigate(`/inbox?tab=${t.id}`, true)}
          >
            {t.label}
            {counts[t.id] !== undefined && <span className="tab-count">{counts[t.id]}</span>}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`inbox-panel-${tab}`} aria-labelledby={`inbox-tab-${tab}`}>
        {tab === "replies" && <Replies query={replies} />}
        {tab === "unmatched" && <Unmatched query={unmatched} />}
        {tab === "tasks" && <Tasks query={tasks} />}
      </div>
    </>
  );
}

type Loaded<T> = { isPending: boolean; isError: boolean; error: unknown; data: T | undefined; refetch: () => unknown };

function States<T>({ query, empty, children }: { query: Loaded<T>; empty: (data: T) => string | null; children: (data: T) => React.ReactNode }) {
  if (query.isPending) return <Loading />;
  if (query.isError || query.data === undefined) return <ErrorBox error={query.error} retry={() => void query.refetch()} />;
  const nothing = empty(query.data);
  return nothing ? <Empty title={nothing} /> : <>{children(query.data)}</>;
}

function Replies({ query }: { query: Loaded<InboxList> }) {
  const markRead = useOptimisticList<InboxList, string>({
    queryKey: keys.inbox,
    mutationFn: (id) => api.post(`/api/inbox/${id}/read`),
    update: (page, id) => ({
      ...page,
      items: page.items.filter((i) => i.id !== id),
      unread: page.items.some((i) => i.id === id) ? Math.max(0, page.unread - 1) : page.unread,
    }),
  });
  return (
    <States query={query} empty={(page) => (page.items.length === 0 ? "No replies to read." : null)}>
      {(page) => (
        <ul className="inbox-list">
          {page.items.map((item) => (
            <li key={item.id} className="card inbox-item" data-testid="reply">
              <div className="inbox-head">
                <Badge value={item.intent.replace(/_/g, " ")} kind={item.intent} />
                <Link to={`/leads/${item.lead.id}`}>{item.lead.name}</Link>
                {item.lead.company && <span className="muted">{item.lead.company}</span>}
                <span className="muted inbox-time">{formatDateTime(item.created_at)}</span>
              </div>
              <div className="message-body">{item.summary}</div>
              <div className="toolbar">
                <button type="button" className="button" onClick={() => markRead.mutate(item.id)}>
                  Mark read
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}
    </States>
  );
}

function withoutUnmatched(list: UnmatchedList, id: string): UnmatchedList {
  const items = list.items.filter((i) => i.id !== id);
  return { ...list, items, total: list.total - (list.items.length - items.length) };
}

function Unmatched({ query }: { query: Loaded<UnmatchedList> }) {
  const [assigning, setAssigning] = useState<string | null>(null);
  const discard = useOptimisticList<UnmatchedList, string>({
    queryKey: keys.unmatched,
    mutationFn: (id) => api.post(`/api/ops/unmatched/${id}/discard`),
    update: withoutUnmatched,
  });
  const assign = useOptimisticList<UnmatchedList, { id: string; lead_id: string }>({
    queryKey: keys.unmatched,
    mutationFn: ({ id, lead_id }) => api.post(`/api/ops/unmatched/${id}/assign`, { lead_id }),
    update: (list, { id }) => withoutUnmatched(list, id),
    invalidate: [keys.inbox, keys.leads],
  });
  return (
    <States query={query} empty={(list) => (list.items.length === 0 ? "No unmatched replies." : null)}>
      {(list) => (
        <ul className="inbox-list">
          {list.items.map((item) => (
            <li key={item.id} className="card inbox-item" data-testid="unmatched">
              <div className="inbox-head">
                {item.channel && <Badge value={item.channel} kind="channel" />}
                <strong>{item.sender ?? "unknown sender"}</strong>
                <span className="muted inbox-time">{formatDateTime(item.received_at)}</span>
              </div>
              {item.subject && <div className="inbox-subject">{item.subject}</div>}
              <div className="message-body">{item.content}</div>
              <div className="toolbar">
                <button
                  type="button"
                  className="button"
                  aria-expanded={assigning === item.id}
                  onClick={() => setAssigning(assigning === item.id ? null : item.id)}
                >
                  Assign to lead
                </button>
                <button type="button" className="button danger" onClick={() => discard.mutate(item.id)}>
                  Discard
                </button>
              </div>
              {assigning === item.id && (
                <LeadPicker
                  onPick={(lead) => {
                    setAssigning(null);
                    assign.mutate({ id: item.id, lead_id: lead.id });
                  }}
                />
              )}
            </li>
          ))}
        </ul>
      )}
    </States>
  );
}

function LeadPicker({ onPick }: { onPick: (lead: LeadHit) => void }) {
  const [text, setText] = useState("");
  const [q, setQ] = useState("");
  useEffect(() => {
    const timer = window.setTimeout(() => setQ(text.trim()), 250);
    return () => window.clearTimeout(timer);
  }, [text]);
  const hits = useQuery({
    queryKey: [...keys.leads, "pick", q],
    queryFn: ({ signal }) => api.get<{ items: LeadHit[] }>("/api/leads", { q, limit: 8 }, signal),
    enabled: q.length >= 2,
  });
  return (
    <div className="lead-picker">
      <input
        type="search"
        aria-label="Search leads by name, email or company"
        placeholder="Search leads by name, email or company"
        value={text}
        autoFocus
        onChange={(e) => setText(e.target.value)}
      />
      {text.trim().length < 2 ? (
        <p className="muted">Type at least two characters.</p>
      ) : hits.isPending ? (
        <Loading label="Searching…" />
      ) : hits.isError ? (
        <ErrorBox error={hits.error} retry={() => void hits.refetch()} />
      ) : hits.data.items.length === 0 ? (
        <p className="muted">No lead matches “{q}”.</p>
      ) : (
        <ul className="lead-hits">
          {hits.data.items.map((lead) => (
            <li key={lead.id}>
              <button type="button" className="link" onClick={() => onPick(lead)}>
                {lead.name}
              </button>{" "}
              <span className="muted">{[lead.email, lead.company].filter(Boolean).join(" · ")}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** The draft inside an approval task's instructions: optional "Subject: ..." then the body. */
export function parseDraft(instructions: string): { intro: string; subject: string | null; body: string } {
  const [intro, ...rest] = instructions.split("\n\n");
  let body = rest.join("\n\n");
  let subject: string | null = null;
  const first = body.split("\n\n")[0];
  if (first.startsWith("Subject: ") && !first.includes("\n")) {
    subject = first.slice("Subject: ".length);
    body = body.slice(first.length + 2);
  }
  body = body.replace(/\n\n\(No AI draft: [^\n]*\)$/, "");
  return { intro, subject, body };
}

type TaskAnswer =
  | { id: string; answer: "complete" | "skip" | "reject" }
  | { id: string; answer: "approve"; subject?: string | null; body?: string };

function Tasks({ query }: { query: Loaded<TaskItem[]> }) {
  const answer = useOptimisticList<TaskItem[], TaskAnswer>({
    queryKey: keys.tasks,
    mutationFn: (vars) => {
      if (vars.answer === "approve") {
        const edit = vars.body === undefined ? {} : { subject: vars.subject ?? null, body: vars.body };
        return api.post(`/api/tasks/${vars.id}/approve`, edit);
      }
      return api.post(`/api/tasks/${vars.id}/${vars.answer}`, vars.answer === "reject" ? undefined : {});
    },
    update: (tasks, { id }) => tasks.filter((t) => t.id !== id),
    invalidate: [keys.attention],
  });
  return (
    <States query={query} empty={(tasks) => (tasks.length === 0 ? "No open tasks." : null)}>
      {(tasks) => (
        <ul className="inbox-list">
          {tasks.map((task) =>
            task.kind === DRAFT_KIND ? (
              <DraftTask key={task.id} task={task} onAnswer={(a) => answer.mutate(a)} />
            ) : (
              <li key={task.id} className="card inbox-item" data-testid="task">
                <TaskHead task={task} />
                <div className="message-body">{task.instructions}</div>
                <div className="toolbar">
                  <button type="button" className="button primary" onClick={() => answer.mutate({ id: task.id, answer: "complete" })}>
                    Done
                  </button>
                  <button type="button" className="button" onClick={() => answer.mutate({ id: task.id, answer: "skip" })}>
                    Skip
                  </button>
                </div>
              </li>
            ),
          )}
        </ul>
      )}
    </States>
  );
}

function TaskHead({ task }: { task: TaskItem }) {
  const label = task.kind === DRAFT_KIND ? "AI draft" : [task.kind, task.action].filter(Boolean).join(": ");
  return (
    <div className="inbox-head">
      <Badge value={label} kind={task.kind} />
      <Link to={`/leads/${task.lead_id}`}>{task.lead_name ?? "the lead"}</Link>
      {task.overdue && <Badge value="overdue" />}
      <span className="muted inbox-time">{task.due_at ? `due ${formatDateTime(task.due_at)}` : "no due date"}</span>
    </div>
  );
}

function DraftTask({ task, onAnswer }: { task: TaskItem; onAnswer: (answer: TaskAnswer) => void }) {
  const draft = parseDraft(task.instructions);
  const [editing, setEditing] = useState(false);
  const [subject, setSubject] = useState(draft.subject ?? "");
  const [body, setBody] = useState(draft.body);
  const send = (event: FormEvent) => {
    event.preventDefault();
    onAnswer({ id: task.id, answer: "approve", subject: draft.subject === null ? null : subject, body });
  };
  return (
    <li className="card inbox-item" data-testid="task">
      <TaskHead task={task} />
      <p className="muted">{draft.intro}</p>
      {editing ? (
        <form className="draft-edit" onSubmit={send}>
          {draft.subject !== null && (
            <label>
              Subject
              <input value={subject} onChange={(e) => setSubject(e.target.value)} />
            </label>
          )}
          <label>
            Message
            <textarea value={body} onChange={(e) => setBody(e.target.value)} />
          </label>
          <div className="toolbar">
            <button type="submit" className="button primary" disabled={!body.trim()}>
              Send edited draft
            </button>
            <button type="button" className="button" onClick={() => setEditing(false)}>
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <>
          {draft.subject !== null && <div className="inbox-subject">Subject: {draft.subject}</div>}
          <div className="message-body">{draft.body}</div>
          <div className="toolbar">
            <button type="button" className="button primary" onClick={() => onAnswer({ id: task.id, answer: "approve" })}>
              Approve
            </button>
            <button type="button" className="button" onClick={() => setEditing(true)}>
              Edit
            </button>
            <button type="button" className="button danger" onClick={() => onAnswer({ id: task.id, answer: "reject" })}>
              Reject
            </button>
          </div>
        </>
      )}
    </li>
  );
}
