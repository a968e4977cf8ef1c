"""Reply latency: `POST /api/leads/{id}/replies` round trips with M leads asleep in
`cold-outbound`, next to a bare workflow's Update round trip on the same dev server in the
same run.

Setup: M leads enrolled in `cold-outbound` over the real API (they send the intro and sleep
two business days), and M bare `BenchBareShape` workflows asleep in a wait that their
`reply` Update ends (the Update answers at once). Worker processes of their own
(bench/_harness/workers.py); the API runs in this process, called through ASGI. Then, each
side measured in the order bare, SalesPad:
  1. one at a time (50 round trips, each to a different sleeping lead),
  2. five at a time (20 groups of 5),
  3. fifty at once right after another M-lead enrollment (the POST to "enrolled" done, their
     first sends under way) / right after M more bare starts.
Every reply says the lead is interested (the sequence stops). The POST is sent as a client
would, with no extra parameter. Prints p50/p99 per side and the p99 ratio (target <= 1.5).
Never asserts.
Usage: .venv/bin/python bench/reply_latency.py [--leads 5000]
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable

import httpx
from _harness.bare import BareReply, BareShape, start_bare
from _harness.cli import bench_main
from _harness.leads import enroll, insert_leads, until_sent
from _harness.stack import database, temporal_client
from _harness.stats import percentile, print_table, verdict
from _harness.workers import api_client, settings, spawned
from temporalio.client import Client

from services.gateway import BATCH

ASLEEP = 10 * 24 * 3600.0  # the bare workflows' wait; cold-outbound sleeps two business days
REPLY = "Thanks, this sounds interesting. Could we talk next week?"
Call = Callable[[], Awaitable[bool]]


async def _timed(calls: list[Call], at_once: int) -> tuple[list[float], int]:
    """Latencies (ms) of the calls, `at_once` in flight per group; and how many failed."""
    latencies: list[float] = []
    failed = 0

    async def one(call: Call) -> None:
        nonlocal failed
        began = time.perf_counter()
        ok = await call()
        latencies.append((time.perf_counter() - began) * 1000)
        failed += not ok

    for first in range(0, len(calls), at_once):
        await asyncio.gather(*(one(c) for c in calls[first : first + at_once]))
    return latencies, failed


def _salespad_calls(http: httpx.AsyncClient, lead_ids: list[uuid.UUID]) -> list[Call]:
    def call(lead_id: uuid.UUID) -> Call:
        async def post() -> bool:
            res = await http.post(
                f"/api/leads/{lead_id}/replies",
                json={"content": REPLY, "message_id": f"bench-{uuid.uuid4().hex}"},
            )
            return res.status_code < 300

        return post

    return [call(i) for i in lead_ids]


def _bare_calls(client: Client, ids: list[str]) -> list[Call]:
    def call(wid: str) -> Call:
        async def update() -> bool:
            handle = client.get_workflow_handle(wid)
            await handle.execute_update(BareShape.reply, BareReply(message_id=wid))
            return True

        return update

    return [call(i) for i in ids]


async def measure(m: int, url: str, target: str) -> None:
    async with database(url) as db:
        client = await temporal_client(target)
        queue, bare_queue = (
            f"bench-reply-{uuid.uuid4().hex[:6]}",
            f"bench-bare-{uuid.uuid4().hex[:6]}",
        )
        print(f"{m} leads asleep in cold-outbound, {m} bare workflows asleep; dev server {target}")
        async with (
            spawned("salespad", url, target, queue),
            spawned("bare", url, target, bare_queue),
            api_client(settings(url, queue), db, client) as http,
        ):
            cohort = f"reply-{uuid.uuid4().hex[:6]}"
            lead_ids = await insert_leads(db, m, cohort)
            done = await enroll(http, cohort, "cold-outbound")
            asleep = await until_sent(db, [cohort], m)
            print(f"enrolled {m} in {done.seconds:.1f} s; all asleep {asleep:.1f} s later")
            bare_ids = await start_bare(client, m, bare_queue, [("wait", ASLEEP)], BATCH)
            await asyncio.sleep(5)  # let the bare workflows reach their wait
            ours = iter(_salespad_calls(http, lead_ids))
            theirs = iter(_bare_calls(client, bare_ids))
            rows: list[list[object]] = []
            for label, count, at_once, after_enrollment in (
                ("1 at a time", 50, 1, False),
                ("5 at a time", 100, 5, False),
                ("50 at once after an enrollment", 50, 50, True),
            ):
                result = {}
                for side, calls in (("bare", theirs), ("salespad", ours)):
                    if after_enrollment and side == "bare":
                        await start_bare(client, m, bare_queue, [("wait", ASLEEP)], BATCH)
                    elif after_enrollment:
                        more = f"reply-more-{uuid.uuid4().hex[:6]}"
                        await insert_leads(db, m, more)
                        await enroll(http, more, "cold-outbound")
                    batch = [next(calls) for _ in range(count)]
                    result[side] = await _timed(batch, at_once)
                (b, b_failed), (s, s_failed) = result["bare"], result["salespad"]
                p99 = percentile(s, 99) / percentile(b, 99)
                rows.append([label, count, percentile(b, 50), percentile(b, 99),
                             percentile(s, 50), percentile(s, 99), p99,
                             verdict(p99, 1.5, at_most=True), b_failed + s_failed])  # fmt: skip
            print_table(
                ["round trips", "n", "bare p50 ms", "bare p99 ms", "SalesPad p50 ms",
                 "SalesPad p99 ms", "p99 ratio", "", "failed"],
                rows,
            )  # fmt: skip


if __name__ == "__main__":
    bench_main(
        __doc__,
        lambda a, s: measure(a.leads, s.database_url, s.temporal_target),
        leads=5000,
        timeout=1800,
    )
