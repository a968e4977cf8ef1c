"""Worker memory: the RSS of SalesPad's worker process with 0, 100, 1,000 ... N sequences
asleep (default 10,000; target < 400 MB at 10,000).

A dev server and an embedded PostgreSQL; the worker (worker.build_worker, outbox channels) in
a process of its own (bench/_harness/workers.py), so its RSS is its own. At each level the
bench enrolls more fresh leads in `cold-outbound` over the real API and waits until every one
has sent its intro and sleeps in the two-day wait, then reads the worker's RSS (psutil) after
a few seconds' settling. The Temporal SDK keeps at most `max_cached_workflows` workflows in
memory; the worker here keeps what `salespad worker` keeps by default
(SALESPAD_WORKER_MAX_CACHED_WORKFLOWS, 500) unless `--max-cached` says otherwise. Figures are
printed per sleeping sequence and per cached one.
Never asserts.
Usage: .venv/bin/python bench/worker_rss.py [--leads 10000] [--max-cached N]
"""

from __future__ import annotations

import asyncio
import time
import uuid

import psutil
from _harness.cli import bench_main
from _harness.leads import enroll, insert_leads, until_sent
from _harness.stack import database, temporal_client
from _harness.stats import print_table
from _harness.workers import api_client, settings, spawned

from config.settings import Settings

DEFAULT_CACHE: int = Settings.model_fields["worker_max_cached_workflows"].default

TARGET_MB = 400
SETTLE = 5.0


def levels(n: int) -> list[int]:
    out, level = [0], 100
    while level < n:
        out.append(level)
        level *= 10
    return [*out, n] if n > 0 else out


def _rss_mb(pid: int) -> float:
    return psutil.Process(pid).memory_info().rss / 2**20


async def measure(n: int, url: str, target: str, max_cached: int | None) -> None:
    cache = max_cached if max_cached is not None else DEFAULT_CACHE
    async with database(url) as db:
        client = await temporal_client(target)
        queue = f"bench-rss-{uuid.uuid4().hex[:6]}"
        default = " (the setting's default)" if max_cached is None else ""
        print(f"levels {levels(n)}; max_cached_workflows {cache}{default}; dev server {target}")
        async with (
            spawned("salespad", url, target, queue, max_cached=cache) as worker,
            api_client(settings(url, queue), db, client) as http,
        ):
            await asyncio.sleep(SETTLE)
            base = _rss_mb(worker.pid)
            rows: list[list[object]] = [[0, 0, f"{base:.0f}", "", "", ""]]
            print(f"0 asleep: worker RSS {base:.0f} MB", flush=True)
            cohorts: list[str] = []
            have = 0
            for level in levels(n)[1:]:
                cohort = f"rss-{level}-{uuid.uuid4().hex[:4]}"
                cohorts.append(cohort)
                await insert_leads(db, level - have, cohort)
                began = time.perf_counter()
                await enroll(http, cohort, "cold-outbound")
                await until_sent(db, cohorts, level)
                took = time.perf_counter() - began
                have = level
                await asyncio.sleep(SETTLE)
                rss = _rss_mb(worker.pid)
                cached = min(level, cache)
                rows.append([level, cached, f"{rss:.0f}", f"{(rss - base) / level * 1024:.1f}",
                             f"{(rss - base) / cached * 1024:.1f}", f"{took:.0f} s"])  # fmt: skip
                print(f"{level} asleep: worker RSS {rss:.0f} MB ({took:.0f} s to enroll and"
                      " send the intros)", flush=True)  # fmt: skip
        print_table(
            ["asleep", "cached (at most)", "RSS MB", "KB per sleeping", "KB per cached",
             "enroll + intro"],
            rows,
        )  # fmt: skip
        last = float(str(rows[-1][2]))
        met = "met" if last < TARGET_MB else "NOT met"
        print(f"worker RSS with {levels(n)[-1]} asleep: {last:.0f} MB"
              f" (target < {TARGET_MB} MB: {met})")  # fmt: skip


if __name__ == "__main__":
    bench_main(
        __doc__,
        lambda a, s: measure(a.leads, s.database_url, s.temporal_target, a.max_cached),
        leads=10_000,
        timeout=3600,
        options=lambda p: p.add_argument(
            "--max-cached", type=int, help="the Worker's max_cached_workflows"
        ),
    )
