"""End-to-end throughput: N leads through `demo` (email, wait 10 s, email, wait 10 s, email)
next to a bare workflow with the same activities and timers, on the same dev server in the
same run.

Rounds in the order bare, SalesPad, SalesPad, bare (the server slows as its store fills; this
order gives both sides the same share of that drift). Each round has a worker process of its
own on a fresh task queue (bench/_harness/workers.py; SalesPad's is worker.build_worker with
the outbox channels):
  bare:     N `BenchBareShape` workflows started 50 at a time (activity, 10 s timer, activity,
            10 s timer, activity; each activity writes one row to PostgreSQL);
  SalesPad: N fresh leads, POST /api/campaigns (the real API in this process), the background
            enrollment, and every lead's sequence to its end.
A round ends when the dev server lists no running workflow on its queue. Prints leads/s per
round, each side's rate over its two rounds, the ratio (target >= 0.8) and the worker's CPU
seconds per lead. Never asserts.
Usage: .venv/bin/python bench/e2e.py [--leads 400]
"""

from __future__ import annotations

import time
import uuid

import psutil
from _harness.bare import Op, start_bare
from _harness.cli import bench_main
from _harness.leads import enroll, insert_leads, wait_until_none_running
from _harness.stack import database, temporal_client
from _harness.stats import print_table, verdict
from _harness.workers import Spawned, api_client, settings, spawned

from services.gateway import BATCH

DEMO_SHAPE: list[tuple[Op, float]] = [
    ("activity", 0),
    ("timer", 10),
    ("activity", 0),
    ("timer", 10),
    ("activity", 0),
]


def _cpu(worker: Spawned) -> float:
    t = psutil.Process(worker.pid).cpu_times()
    return t.user + t.system


async def measure(n: int, url: str, target: str) -> None:
    async with database(url) as db:
        client = await temporal_client(target)
        print(f"{n} leads a round through demo; dev server on {target}")
        rows: list[list[object]] = []
        took: dict[str, float] = {"bare": 0.0, "salespad": 0.0}
        cpu: dict[str, float] = {"bare": 0.0, "salespad": 0.0}
        for round_no, kind in enumerate(("bare", "salespad", "salespad", "bare"), start=1):
            queue = f"bench-e2e-{kind}-{uuid.uuid4().hex[:6]}"
            cohort = f"e2e-{round_no}-{uuid.uuid4().hex[:4]}"
            if kind == "salespad":
                await insert_leads(db, n, cohort)
            async with spawned(kind, url, target, queue) as worker:  # type: ignore[arg-type]
                print(f"round {round_no} {kind}: worker {worker.pid} polling {queue}", flush=True)
                cpu_before = _cpu(worker)
                began = time.perf_counter()
                note = ""
                if kind == "bare":
                    await start_bare(client, n, queue, DEMO_SHAPE, BATCH)
                    started = time.perf_counter() - began
                else:
                    async with api_client(settings(url, queue), db, client) as http:
                        done = await enroll(http, cohort, "demo")
                    started = done.seconds
                    note = f"POST {done.post_seconds * 1000:.0f} ms"
                ended = await wait_until_none_running(client, queue)
                seconds = ended - began
                used = _cpu(worker) - cpu_before
            took[kind] += seconds
            cpu[kind] += used
            rows.append([round_no, kind, f"{seconds:.1f} s", f"{started:.1f} s", n / seconds,
                         f"{used / n * 1000:.0f} ms", note])  # fmt: skip
            print(f"round {round_no} {kind}: {n / seconds:.2f} leads/s", flush=True)
        print_table(
            ["round", "side", "all done", "all started", "leads/s", "worker CPU/lead", ""], rows
        )
        bare_rate, ours_rate = 2 * n / took["bare"], 2 * n / took["salespad"]
        r = ours_rate / bare_rate
        print(f"bare, both rounds:     {bare_rate:.2f} leads/s")
        print(f"SalesPad, both rounds: {ours_rate:.2f} leads/s")
        print(f"ratio SalesPad/bare: {r:.2f} ({verdict(r, 0.8, at_most=False)})")
        print(
            f"worker CPU per lead: SalesPad {cpu['salespad'] / (2 * n) * 1000:.0f} ms,"
            f" bare {cpu['bare'] / (2 * n) * 1000:.0f} ms"
            f" ({cpu['salespad'] / max(cpu['bare'], 1e-9):.1f}x)"
        )


if __name__ == "__main__":
    bench_main(
        __doc__,
        lambda a, s: measure(a.leads, s.database_url, s.temporal_target),
        leads=400,
        timeout=1800,
    )
