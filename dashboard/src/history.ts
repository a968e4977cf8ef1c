// The most recent past events, for the Live page's first load. The API has no "latest N
// events" endpoint, only GET /api/events/stream?since=<id>&follow=false (everything after an
// id, then the stream closes). So: find the newest event id by asking "is there any event
// after X?" (reading only the first event of each answer, then hanging up), galloping then
// bisecting, and read the stream from (newest - count).
import { parseEvent, type LiveEvent } from "./live";

const STREAM = "/api/events/stream";

function streamUrl(since: number): string {
  return `${STREAM}?follow=false&since=${since}`;
}

/** SSE text -> events ("id:", "event:", "data:" lines; blocks split by a blank line). */
export function parseSse(text: string): LiveEvent[] {
  const out: LiveEvent[] = [];
  for (const block of text.split(/\r?\n\r?\n/)) {
    let id = "";
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith("id:")) id = line.slice(3).trim();
      else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
    }
    if (!data.length) continue;
    const event = parseEvent(data.join("\n"), id);
    if (event) out.push(event);
  }
  return out;
}

async function fail(response: Response): Promise<never> {
  let message = `${response.status} ${response.statusText || "error"}`;
  try {
    const body = (await response.json()) as { error?: unknown };
    if (body && typeof body.error === "string") message = body.error;
  } catch {
    /* not JSON */
  }
  throw new Error(message);
}

/** The id of the first event after `since`, or null when there is none. Reads no further. */
export async function firstEventAfter(since: number, signal?: AbortSignal): Promise<number | null> {
  const controller = new AbortController();
  const abort = () => controller.abort();
  signal?.addEventListener("abort", abort);
  try {
    const response = await fetch(streamUrl(since), {
      headers: { Accept: "text/event-stream" },
      credentials: "same-origin",
      signal: controller.signal,
    });
    if (!response.ok) await fail(response);
    // The event id is the data's `id` (the SSE `id:` line is an opaque resume cursor).
    const firstId = (complete: string) => parseSse(complete)[0]?.id ?? null;
    if (!response.body) return firstId(await response.text());
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let text = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (value) text += decoder.decode(value, { stream: true });
      const end = Math.max(text.lastIndexOf("\n\n"), text.lastIndexOf("\r\n\r\n"));
      const id = done ? firstId(text) : end >= 0 ? firstId(text.slice(0, end)) : null;
      if (id !== null) {
        reader.cancel().catch(() => undefined);
        return id;
      }
      if (done) return null;
    }
  } finally {
    signal?.removeEventListener("abort", abort);
    controller.abort();
  }
}

/** The newest event id (0 when there is none): about 2·log2(id) short requests. */
export async function latestEventId(signal?: AbortSignal, probe = firstEventAfter): Promise<number> {
  const first = await probe(0, signal);
  if (first === null) return 0;
  let lo = first; // an event that exists
  let step = 64;
  let hi: number;
  for (;;) {
    const next = await probe(lo + step, signal);
    if (next === null || next <= lo) {
      hi = lo + step; // nothing after hi
      break;
    }
    lo = next;
    step *= 2;
  }
  // Bounded: the stream orders by commit, so an answer below `mid` (an event of a later
  // transaction with a lower id) is treated as "none up there" rather than looping.
  for (let rounds = 0; lo < hi && rounds < 80; rounds++) {
    const mid = Math.ceil((lo + hi) / 2);
    const found = await probe(mid - 1, signal); // the first event at or after mid
    if (found === null || found < mid) hi = mid - 1;
    else {
      lo = found;
      if (found > hi) hi = found; // new events arrived meanwhile: this one is recent enough
    }
  }
  return lo;
}

/** About the last `count` events, newest first. */
export async function recentEvents(count = 50, signal?: AbortSignal): Promise<LiveEvent[]> {
  const latest = await latestEventId(signal);
  if (latest === 0) return [];
  const response = await fetch(streamUrl(Math.max(0, latest - count)), {
    headers: { Accept: "text/event-stream" },
    credentials: "same-origin",
    signal,
  });
  if (!response.ok) await fail(response);
  return parseSse(await response.text())
    .sort((a, b) => b.id - a.id)
    .slice(0, count);
}
