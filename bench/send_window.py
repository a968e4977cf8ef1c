"""Send windows and daily caps under a crowd: N leads (default 5,000) whose send window opens
in the same minute. Are their sends spread (with jitter) when the window opens, and does the
channel's daily cap hold?

A dev server, an embedded PostgreSQL, SalesPad's worker in a process of its own and the API in
this one. The EMAIL channel gets, over the API, a send window opening at the first whole
minute after an estimate of the time the enrollment needs (`--lead-time`, default 60 s +
30 ms a lead), every day, and a daily cap of 80 % of N. The leads (timezone UTC) are enrolled
in a one-email sequence defined here (`bench-window`, registered in this process only); each
send step finds the window shut and the workflow sleeps until it opens. The bench then
watches the sends until none has come for 20 s and prints when they went out relative to the
opening (percentiles, sends per 10 s), whether every lead was waiting when the window opened,
and whether the cap held (sent <= cap; the rest deferred, not dropped). The engine spreads
a crowd deferred to an opening over up to 15 minutes (activities/pacing.py `spread`), so a
run lasts at least that long. Never asserts.
Usage: .venv/bin/python bench/send_window.py [--leads 5000] [--lead-time SECONDS]
"""

from __future__ import annotations

import asyncio
import math
import time
import uuid
from collections import Counter
from datetime import UTC, datetime

from _harness.cli import bench_main
from _harness.leads import enroll, insert_leads, sent, sent_times
from _harness.stack import database, temporal_client
from _harness.stats import percentile, print_table
from _harness.window import opening_soon
from _harness.workers import api_client, settings, spawned
from sqlalchemy import text

from models.db import Database
from sequences import REGISTRY
from sequences.dsl import Email, Sequence

BENCH_SEQUENCE = Sequence(
    "bench-window",
    Email("only", subject="Hello {{ lead.first_name }}", body="Hi {{ lead.first_name }}."),
    description="One email: the send-window bench.",
)
CAP_SHARE = 0.8
QUIET = 20.0


async def _channel_counts(db: Database, since: datetime) -> dict[str, tuple[int, int | None]]:
    """Per channel row: (outbound messages since `since`, its daily cap)."""
    async with db.engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT c.type || '/' || c.provider, c.daily_cap, count(m.id) FROM channel c"
                " LEFT JOIN message m ON m.channel_id = c.id AND m.direction = 'OUTBOUND'"
                " AND m.created_at >= :since GROUP BY c.id, c.type, c.provider, c.daily_cap"
            ),
            {"since": since},
        )
        return {r[0]: (int(r[2]), r[1]) for r in rows}


async def measure(n: int, url: str, target: str, lead_time: float) -> None:
    REGISTRY[BENCH_SEQUENCE.name] = BENCH_SEQUENCE
    cap = max(1, math.floor(n * CAP_SHARE))
    async with database(url) as db:
        client = await temporal_client(target)
        queue = f"bench-window-{uuid.uuid4().hex[:6]}"
        async with (
            spawned("salespad", url, target, queue) as _worker,
            api_client(settings(url, queue), db, client) as http,
        ):
            began, opens, window = opening_soon(lead_time)
            res = await http.put(
                "/api/channels/EMAIL/pacing", json={"daily_cap": cap, "send_window": window}
            )
            if res.status_code >= 300:
                raise RuntimeError(f"PUT pacing answered {res.status_code}: {res.text}")
            wait = (opens - began).total_seconds()
            print(f"{n} leads; EMAIL window {window['start']}-{window['end']} UTC daily,"
                  f" cap {cap}; the window opens {wait:.0f} s from now")  # fmt: skip
            cohort = f"window-{uuid.uuid4().hex[:6]}"
            await insert_leads(db, n, cohort, timezone="UTC")
            done = await enroll(http, cohort, BENCH_SEQUENCE.name)
            enrolled_at = datetime.now(UTC)
            early = await sent(db, [cohort])
            lead = (opens - enrolled_at).total_seconds()
            print(f"enrolled in {done.seconds:.1f} s, {lead:.0f} s before the window opened"
                  f" ({early} sent before it opened)"
                  + ("" if lead > 0 else ": TOO LATE, raise --lead-time"))  # fmt: skip
            await asyncio.sleep(max(0.0, (opens - datetime.now(UTC)).total_seconds()))
            last_count, last_change = -1, time.monotonic()
            while time.monotonic() - last_change < QUIET:
                count = await sent(db, [cohort])
                if count != last_count:
                    last_count, last_change = count, time.monotonic()
                await asyncio.sleep(1)
            times = await sent_times(db, [cohort])
            counts = await _channel_counts(db, began)
        offsets = [(t - opens).total_seconds() for t in times]
        print(f"sent {len(times)} of {n} (cap {cap}; the other {n - len(times)} wait for the"
              " rolling 24 h to free a slot)")  # fmt: skip
        if offsets:
            print_table(
                ["after opening", "p0", "p10", "p50", "p90", "p99", "max"],
                [["seconds", *(percentile(offsets, p) for p in (0, 10, 50, 90, 99, 100))]],
            )
            buckets = Counter(int(o // 10) * 10 for o in offsets)
            print("sends per 10 s after the opening: " + ", ".join(
                f"{b}s: {buckets[b]}" for b in sorted(buckets)))  # fmt: skip
        print_table(
            ["channel", "sent since start", "daily cap", "cap held"],
            [[name, got, c, "yes" if c is None or got <= c else "NO"]
             for name, (got, c) in sorted(counts.items())],
        )  # fmt: skip


if __name__ == "__main__":
    bench_main(
        __doc__,
        lambda a, s: measure(
            a.leads,
            s.database_url,
            s.temporal_target,
            a.lead_time if a.lead_time is not None else 60 + 0.03 * a.leads,
        ),
        leads=5000,
        timeout=1800,
        options=lambda p: p.add_argument(
            "--lead-time", type=float, help="seconds to allow for the enrollment"
        ),
    )
