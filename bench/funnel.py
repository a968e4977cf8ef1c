"""A campaign funnel over 1,000,000 events: the read, next to scanning the same events.

Run: .venv/bin/python bench/funnel.py [events]   (default 1,000,000)
Starts its own embedded PostgreSQL (removed afterwards) and builds one campaign of 100,000
leads whose history has ~10 events per lead (enrolled, three sends on two channels with their
deliveries, opens, clicks, status changes, and replies for 8 % of the leads, by intent and A/B
arm). The bulk load runs with the event triggers off, then recounts the campaign set-based
(salespad_funnel_rebuild, as the migration does), and VACUUM ANALYZE settles the tables.
Then, in the same run:
  1. GET-equivalent funnel reads (services.analytics.service.campaign_funnel: counters, time to
     first reply, steps, channels, arms with significance), median and worst of 20;
  2. the floor of any direct query: `count(*)` of the campaign's events, and a single
     GROUP BY over them (what a funnel computed from the raw log would at least cost);
  3. the write side: 20,000 more events through the triggers (attribution + counters) against
     the same events with the triggers off, as microseconds per event, and the first funnel
     read after them (it folds their deltas into the counters).
Prints the figures (the target is a funnel read under 200 ms). It never asserts.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from models.db import Database  # noqa: E402
from models.migrate import upgrade  # noqa: E402
from salespad.local import EmbeddedPostgres  # noqa: E402
from sequences.demo import DEMO  # noqa: E402
from services.analytics import service  # noqa: E402

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
SPEC = DEMO.compile()
CAMPAIGN = uuid.UUID(int=1)
STEPS = ((0, "EMAIL", "EMAIL_SENT"), (2, "EMAIL", "EMAIL_SENT"), (4, "SMS", "SMS_SENT"))
INTENTS = ("interested", "question", "not_interested", "out_of_office", "unsubscribe")
EVENT_COLUMNS = (
    "lead_id, event_type, timestamp, details, campaign_id, enrollment_id, step, channel, arm,"
    " intent"
)


def load(libpq: str, events: int) -> int:
    """The campaign, its leads and enrollments, and about `events` events; returns the count."""
    rnd = random.Random(3)
    n_leads = max(1, events // 10)
    leads = [uuid.UUID(int=rnd.getrandbits(128)) for _ in range(n_leads)]
    enrollments = [uuid.UUID(int=rnd.getrandbits(128)) for _ in range(n_leads)]
    arms = [rnd.choice("AB") for _ in range(n_leads)]
    written = 0
    with psycopg.connect(libpq) as conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO campaign (id, name, sequence_name, sequence_version, state, spec)"
            " VALUES (%s, 'bench', 'demo', %s, 'active', %s)",
            (CAMPAIGN, SPEC.version, psycopg.types.json.Jsonb(SPEC.model_dump(mode="json"))),
        )
        with cur.copy("COPY lead (id, email, name, status) FROM STDIN") as copy:
            for i, lead in enumerate(leads):
                copy.write_row((lead, f"l{i}@bench.example", f"Lead {i}", "OUTREACHED"))
        with cur.copy(
            "COPY enrollment (id, campaign_id, lead_id, workflow_id, state, arm, created_at,"
            " updated_at) FROM STDIN"
        ) as copy:
            for i, (lead, enrollment) in enumerate(zip(leads, enrollments, strict=True)):
                copy.write_row((enrollment, CAMPAIGN, lead, f"w{i}", "completed", arms[i], T0, T0))
        cur.execute("ALTER TABLE event_log DISABLE TRIGGER event_log_attribute")
        cur.execute("ALTER TABLE event_log DISABLE TRIGGER event_log_funnel")
        replies: list[tuple[uuid.UUID, uuid.UUID, datetime]] = []
        with cur.copy(f"COPY event_log ({EVENT_COLUMNS}) FROM STDIN") as copy:

            def event(i: int, kind: str, step: int | None, channel: str | None, **kw: object):
                nonlocal written
                written += 1
                at = kw.pop("at", T0)
                intent = kw.pop("intent", None)
                details = psycopg.types.json.Jsonb(kw)
                copy.write_row(
                    (leads[i], kind, at, details, CAMPAIGN, enrollments[i], step, channel,
                     arms[i], intent)
                )  # fmt: skip

            for i in range(n_leads):
                event(i, "ENROLLED", None, None)
                event(i, "STATUS_CHANGED", 0, "EMAIL", old="NEW", new="OUTREACHED")
                for step, channel, kind in STEPS:
                    at = T0 + timedelta(days=step)
                    event(i, kind, step, channel, at=at)
                    event(i, "DELIVERED", step, channel, at=at)
                    if rnd.random() < 0.5:
                        event(i, "OPENED", step, channel, at=at)
                    if rnd.random() < 0.1:
                        event(i, "CLICKED", step, channel, at=at)
                if rnd.random() < 0.08:
                    message = uuid.UUID(int=rnd.getrandbits(128))
                    at = T0 + timedelta(days=2, hours=rnd.randint(1, 48))
                    replies.append((message, leads[i], at))
                    event(i, "REPLY_RECEIVED", 2, "EMAIL", at=at, message_id=str(message))
                    event(
                        i, "INTENT_CLASSIFIED", 2, "EMAIL", at=at, message_id=str(message),
                        intent=rnd.choice(INTENTS),
                    )  # fmt: skip
        with cur.copy(
            "COPY message (id, lead_id, direction, content, delivery_status, sent_at) FROM STDIN"
        ) as copy:
            for message, lead, at in replies:
                copy.write_row((message, lead, "INBOUND", "a reply", "received", at))
        cur.execute("ALTER TABLE event_log ENABLE TRIGGER event_log_attribute")
        cur.execute("ALTER TABLE event_log ENABLE TRIGGER event_log_funnel")
        start = time.perf_counter()
        cur.execute("SELECT salespad_funnel_rebuild(%s)", (CAMPAIGN,))
        conn.commit()
        print(f"set-based recount of {written:,} events: {time.perf_counter() - start:.1f} s")
    with psycopg.connect(libpq, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return written


def floor(libpq: str) -> tuple[float, float]:
    """Best of 5: count(*) of the campaign's events, and one GROUP BY over them."""
    out = []
    with psycopg.connect(libpq) as conn:
        for sql in (
            "SELECT count(*) FROM event_log WHERE campaign_id = %(c)s",
            "SELECT step, channel, arm, event_type, intent, count(*) FROM event_log"
            " WHERE campaign_id = %(c)s GROUP BY 1, 2, 3, 4, 5",
        ):
            times = []
            for _ in range(5):
                start = time.perf_counter()
                conn.execute(sql, {"c": CAMPAIGN}).fetchall()
                times.append(time.perf_counter() - start)
            out.append(min(times))
    return out[0], out[1]


async def reads(url: str, n: int) -> list[float]:
    """`n` funnel reads after one untimed read that opens the connection pool."""
    db = Database(url)
    try:
        async with db.session() as session:
            await session.connection()
        times = []
        for _ in range(n):
            async with db.session() as session:
                start = time.perf_counter()
                funnel = await service.campaign_funnel(session, CAMPAIGN)
                times.append(time.perf_counter() - start)
        o = funnel.overall
        print(
            f"funnel: enrolled {o.enrolled:,}, sent {o.sent:,} ({o.messages_sent:,} messages),"
            f" replied {o.replied:,}, positive {o.positive:,}, reply rate {o.reply_rate},"
            f" median first reply {funnel.median_time_to_first_reply_seconds} s,"
            f" arms {[(a.arm, a.reply_rate, a.p_value) for a in funnel.arms]}"
        )
        return times
    finally:
        await db.dispose()


def writes(libpq: str, n: int) -> tuple[float, float]:
    """Microseconds per event for `n` sends+opens with the triggers, then without."""
    with psycopg.connect(libpq) as conn:
        rows = conn.execute(
            "SELECT lead_id, id FROM enrollment WHERE campaign_id = %s LIMIT %s",
            (CAMPAIGN, n // 2),
        ).fetchall()
        out = []
        for triggers in (True, False):
            if not triggers:
                conn.execute("ALTER TABLE event_log DISABLE TRIGGER event_log_attribute")
                conn.execute("ALTER TABLE event_log DISABLE TRIGGER event_log_funnel")
            details = psycopg.types.json.Jsonb({"step": 6, "channel": "EMAIL"})
            start = time.perf_counter()
            batch = [
                (lead, kind, details, e) for lead, e in rows for kind in ("EMAIL_SENT", "OPENED")
            ]
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO event_log (lead_id, event_type, details, enrollment_id)"
                    " VALUES (%s, %s, %s, %s)",
                    batch,
                )
            conn.commit()
            out.append((time.perf_counter() - start) / (2 * len(rows)) * 1e6)
        # Triggers back on (the copy written without them names no campaign: not counted).
        conn.execute("ALTER TABLE event_log ENABLE TRIGGER event_log_attribute")
        conn.execute("ALTER TABLE event_log ENABLE TRIGGER event_log_funnel")
        conn.commit()
    return out[0], out[1]


def main() -> None:
    events = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    work = Path(tempfile.mkdtemp(prefix="salespad-bench-"))
    pg = EmbeddedPostgres(work / "pg", delete_on_stop=True).start()
    try:
        url = pg.url("bench")
        upgrade(url)
        libpq = url.replace("postgresql+psycopg://", "postgresql://", 1)
        written = load(libpq, events)
        count_s, group_s = floor(libpq)
        times = asyncio.run(reads(url, 20))
        with_us, without_us = writes(libpq, 20_000)
        after = asyncio.run(reads(url, 1))[0]
    finally:
        pg.stop()
    print(f"events in the campaign     {written:>12,}")
    print(f"count(*) of them (floor)   {count_s * 1000:9.0f} ms")
    print(f"one GROUP BY over them     {group_s * 1000:9.0f} ms")
    print(
        f"funnel read                {statistics.median(times) * 1000:9.1f} ms median,"
        f" {max(times) * 1000:.1f} ms worst of {len(times)} (target < 200 ms; the first read"
        f" {times[0] * 1000:.1f} ms)"
    )
    print(
        f"first read after 20k new   {after * 1000:9.1f} ms (folds their deltas in itself; the"
        " worker's compactor does so every 5 s)"
    )
    print(f"event insert, triggers on  {with_us:9.0f} us/event  (off: {without_us:.0f} us/event)")


if __name__ == "__main__":
    main()
