"""Send-time spreading across mailboxes: N leads (default 5,000) whose mailboxes' send window
opens in the same minute. Does each mailbox send along its gap (plus jitter), never a burst,
and how long does the crowd take next to what bare Temporal would do with it?

A dev server, an embedded PostgreSQL, SalesPad's worker in a process of its own (its outbox
notes the wall-clock moment each send reaches the "provider" and from which mailbox) and the
API in this one.
- bare: N one-activity workflows started at once on bare Temporal, each activity writing a
  row: the burst a sequencer without pacing would fire at its provider, and the engine's pace.
- SalesPad: M mailboxes (`--mailboxes`, default 25) are created over the API, each with a
  minimum gap (`--gap`, 2 s) and jitter (`--jitter`, 1 s) and a send window opening at the first
  whole minute after an estimate of the enrollment's time (`--lead-time`); the N leads are
  enrolled in a one-email sequence (`bench-spread`, registered here) from those mailboxes.
  Every send finds the window shut and is promised a moment on a mailbox; the bench watches
  until all N went out (or none came for 30 s) and prints, per mailbox, the sends and the
  gaps between them as the provider saw them, the busiest 10 s, and the time the crowd took
  against M / (gap + jitter / 2), the pace the mailboxes allow.
Never asserts. Usage: .venv/bin/python bench/mailbox_spread.py [--leads 5000] [--mailboxes 25]
[--gap 2] [--jitter 1] [--lead-time SECONDS]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from datetime import UTC, datetime

import httpx
from _harness.bare import start_bare
from _harness.cli import bench_main
from _harness.leads import insert_leads, sent, wait_until_none_running
from _harness.stack import Stack, database, temporal_client
from _harness.stats import percentile, print_table
from _harness.window import opening_soon
from _harness.workers import api_client, settings, spawned
from sqlalchemy import text

from models.db import Database
from sequences import REGISTRY
from sequences.dsl import Email, Sequence

BENCH_SEQUENCE = Sequence(
    "bench-spread",
    Email("only", subject="Hello {{ lead.first_name }}", body="Hi {{ lead.first_name }}."),
    description="One email: the mailbox spreading bench.",
)
QUIET = 30.0


def _read_log(path: str) -> dict[str, list[float]]:
    by_sender: dict[str, list[float]] = defaultdict(list)
    with open(path) as log:
        for line in log:
            at, sender = line.rstrip("\n").split("\t")
            by_sender[sender].append(float(at))
    return {s: sorted(t) for s, t in by_sender.items()}


async def _claims(db: Database, cohort: str) -> dict[str, list[float]]:
    """Each mailbox's claim times (when the engine decided each send), from the database."""
    async with db.engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT b.address, extract(epoch FROM m.created_at) FROM message m"
                " JOIN mailbox b ON b.id = m.mailbox_id JOIN lead l ON l.id = m.lead_id"
                " WHERE m.direction = 'OUTBOUND' AND l.metadata->>'cohort' = :c"
            ),
            {"c": cohort},
        )
        by_box: dict[str, list[float]] = defaultdict(list)
        for address, at in rows:
            by_box[address].append(float(at))
        return {k: sorted(v) for k, v in by_box.items()}


def _min_gap(times: list[float]) -> float:
    return min((b - a for a, b in itertools.pairwise(times)), default=float("nan"))


async def _enrolled(http: httpx.AsyncClient, campaign_id: str) -> None:
    for _ in range(100_000):
        if (await http.get(f"/api/campaigns/{campaign_id}")).json()["status"] == "enrolled":
            return
        await asyncio.sleep(0.5)


async def _bare(n: int, url: str, target: str) -> float:
    client = await temporal_client(target)
    queue = f"bench-spread-bare-{uuid.uuid4().hex[:6]}"
    async with spawned("bare", url, target, queue):
        began = time.perf_counter()
        await start_bare(client, n, queue, [("activity", 0.0)], 50)
        ended = await wait_until_none_running(client, queue)
    return ended - began


async def measure(args: argparse.Namespace, stack: Stack) -> None:
    n, boxes, gap, jitter = args.leads, args.mailboxes, args.gap, args.jitter
    url, target = stack.database_url, stack.temporal_target
    lead_time = args.lead_time if args.lead_time is not None else 60 + 0.04 * n
    REGISTRY[BENCH_SEQUENCE.name] = BENCH_SEQUENCE
    bare_seconds = await _bare(n, url, target)
    rate = n / bare_seconds
    print(f"bare: {n} one-activity workflows started at once ran in {bare_seconds:.1f} s"
          f" ({rate:.1f}/s): the burst an unpaced sequencer fires", flush=True)  # fmt: skip
    log_path = os.path.join(tempfile.mkdtemp(prefix="salespad-spread-"), "sends.tsv")
    async with database(url) as db:
        client = await temporal_client(target)
        queue = f"bench-spread-{uuid.uuid4().hex[:6]}"
        async with (
            spawned("salespad", url, target, queue, send_log=log_path),
            api_client(settings(url, queue), db, client) as http,
        ):
            _, opens, window = opening_soon(lead_time)
            names = [f"rep-{i:03d}" for i in range(boxes)]
            for name in names:
                res = await http.post(
                    "/api/mailboxes",
                    json={"name": name, "address": f"{name}@bench.example",
                          "min_gap_seconds": gap, "jitter_seconds": jitter,
                          "send_window": window, "timezone": "UTC"},
                )  # fmt: skip
                if res.status_code != 201:
                    raise RuntimeError(
                        f"POST /api/mailboxes answered {res.status_code}: {res.text}"
                    )
            cohort = f"spread-{uuid.uuid4().hex[:6]}"
            await insert_leads(db, n, cohort, timezone="UTC")
            t0 = time.perf_counter()
            res = await http.post(
                "/api/campaigns",
                json={"name": cohort, "sequence": BENCH_SEQUENCE.name, "mailboxes": names,
                      "filter": {"metadata": {"cohort": cohort}}},
            )  # fmt: skip
            if res.status_code != 202:
                raise RuntimeError(f"POST /api/campaigns answered {res.status_code}: {res.text}")
            campaign_id = res.json()["id"]
            await _enrolled(http, campaign_id)
            enrolled = time.perf_counter() - t0
            ahead = (opens - datetime.now(UTC)).total_seconds()
            print(f"{n} leads enrolled in {enrolled:.1f} s from {boxes} mailboxes (gap {gap} s +"
                  f" up to {jitter} s jitter), {ahead:.0f} s before their window opened at"
                  f" {opens:%H:%M} UTC" + ("" if ahead > 0 else ": TOO LATE, raise --lead-time"),
                  flush=True)  # fmt: skip
            await asyncio.sleep(max(0.0, (opens - datetime.now(UTC)).total_seconds()))
            last_count, last_change = -1, time.monotonic()
            while time.monotonic() - last_change < QUIET:
                count = await sent(db, [cohort])
                if count != last_count:
                    last_count, last_change = count, time.monotonic()
                    if count >= n:
                        break
                await asyncio.sleep(1)
        by_sender = _read_log(log_path)
        claims = await _claims(db, cohort)
    opened = opens.timestamp()
    every = [t for times in by_sender.values() for t in times]
    took = max(every) - opened if every else 0.0
    pace = boxes / (gap + jitter / 2)
    print(f"sent {len(every)} of {n}; the last {took:.0f} s after the opening"
          f" ({len(every) / max(took, 1e-9):.1f}/s; the mailboxes allow {pace:.1f}/s, so"
          f" {n / pace:.0f} s; bare Temporal: {n / bare_seconds:.1f}/s)")  # fmt: skip
    early = sum(1 for t in every if t < opened - 1)
    rows = []
    slowest_gap = float("inf")
    for sender, times in sorted(by_sender.items()):
        gaps = [b - a for a, b in itertools.pairwise(times)] or [float("nan")]
        busiest = max(Counter(int(t // 10) for t in times).values())
        slowest_gap = min(slowest_gap, min(gaps))
        rows.append([sender, len(times), f"{min(gaps):.2f}", f"{percentile(gaps, 50):.2f}",
                     f"{max(gaps):.2f}", busiest,
                     f"{_min_gap(claims.get(sender, [])):.2f}"])  # fmt: skip
    shown = rows if len(rows) <= 12 else [*rows[:6], ["...", *[""] * 6], *rows[-5:]]
    print_table(
        ["mailbox", "sends", "min gap s", "p50 gap s", "max gap s", "most in 10 s",
         "min claim gap s"],
        shown,
    )  # fmt: skip
    verdict = "none faster than its gap" if slowest_gap >= gap - 0.05 else "FASTER THAN ITS GAP"
    print(f"smallest gap any mailbox left between two sends: {slowest_gap:.2f} s"
          f" (its gap: {gap} s) -> {verdict}; sends before the window opened: {early}")  # fmt: skip
    overall = Counter(int((t - opened) // 10) * 10 for t in every)
    print("all mailboxes, sends per 10 s after the opening (first 12): " + ", ".join(
        f"{b}s: {overall[b]}" for b in sorted(overall)[:12]))  # fmt: skip


if __name__ == "__main__":

    def options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--mailboxes", type=int, default=25, help="default 25")
        p.add_argument("--gap", type=int, default=2, help="each mailbox's gap, s (default 2)")
        p.add_argument("--jitter", type=int, default=1, help="its jitter, s (default 1)")
        p.add_argument("--lead-time", type=float, help="seconds to allow for the enrollment")

    bench_main(__doc__, measure, leads=5000, timeout=3600, options=options)
