"""The funnel counters are the event log's: the database's classification is the Python one,
concurrent writers lose nothing, and the overview reads the log over a window."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import text

from models.db import Database
from models.enums import EventType
from models.tables import Campaign, Enrollment, EventLog, utcnow
from services.analytics import queries
from services.analytics.compactor import run_compactor
from services.analytics.metrics import NOT_REPLIES, POSITIVE, expected_metrics
from services.events import add_event
from tests.helpers import add_lead, eventually

pytestmark = pytest.mark.service

INTENTS = [*sorted(NOT_REPLIES | POSITIVE | {"not_interested", "unsubscribe", "other", "x"}), None]


async def test_the_database_classifies_every_event_as_the_python_contract(
    clean_db: Database,
) -> None:
    cases = [(t.value, i, s) for t in EventType for i in INTENTS for s in ("CONVERTED", "REPLIED")]
    async with clean_db.session() as session:
        for event_type, intent, status in cases:
            got = (
                await session.exec(  # type: ignore[call-overload]
                    text("SELECT salespad_funnel_metrics(:t, :i, :s)"),
                    params={"t": event_type, "i": intent, "s": status},
                )
            ).scalar()
            assert (got or []) == expected_metrics(event_type, intent, status), (
                event_type,
                intent,
                status,
            )


async def _campaign_with_leads(db: Database, n: int) -> tuple[uuid.UUID, list[uuid.UUID]]:
    leads = [(await add_lead(db)).id for _ in range(n)]
    async with db.session() as session:
        campaign = Campaign(name="busy", sequence_name="demo", sequence_version="v")
        session.add(campaign)
        await session.flush()
        for i, lead_id in enumerate(leads):
            session.add(
                Enrollment(
                    campaign_id=campaign.id, lead_id=lead_id, workflow_id=f"w{i}", arm="AB"[i % 2]
                )
            )
        await session.commit()
        return campaign.id, leads


async def test_concurrent_writers_lose_no_count(clean_db: Database) -> None:
    campaign_id, leads = await _campaign_with_leads(clean_db, 12)

    async def writer(lead_id: uuid.UUID) -> None:
        for step in (0, 2, 4):
            async with clean_db.session() as session:
                add_event(session, lead_id, EventType.EMAIL_SENT, step=step, channel="EMAIL")
                add_event(session, lead_id, EventType.OPENED, step=step, channel="EMAIL")
                await session.commit()

    async def reader() -> None:
        for _ in range(10):
            async with clean_db.session() as session:
                await queries.compact(session, campaign_id)
            await asyncio.sleep(0)

    await asyncio.gather(*(writer(lead) for lead in leads), reader(), reader())
    async with clean_db.session() as session:
        await queries.compact(session, campaign_id)
        live = sorted(await queries.counters(session, campaign_id))
        await queries.rebuild(session, campaign_id)
        rebuilt = sorted(await queries.counters(session, campaign_id))
    assert live == rebuilt
    by_key = {(scope, value, metric): (events, n) for scope, value, metric, events, n in live}
    assert by_key[("all", "", "sent")] == (36, 12)
    assert by_key[("step", "2", "opened")] == (12, 12)
    assert by_key[("arm", "A", "sent")] == (18, 6)
    assert by_key[("channel", "EMAIL", "opened")] == (36, 12)


async def test_events_outside_campaigns_count_nowhere(clean_db: Database) -> None:
    lead = await add_lead(clean_db)
    async with clean_db.session() as session:
        row = add_event(session, lead.id, EventType.EMAIL_SENT, step=0, channel="EMAIL")
        await session.commit()
        await session.refresh(row)
        assert row.campaign_id is None
        count = (await session.exec(text("SELECT count(*) FROM funnel_delta"))).scalar()  # type: ignore[call-overload]
    assert count == 0


async def test_overview_counts_the_window_and_bounds_days(
    api: httpx.AsyncClient, clean_db: Database
) -> None:
    campaign_id, leads = await _campaign_with_leads(clean_db, 3)
    async with clean_db.session() as session:
        for lead_id in leads:
            add_event(session, lead_id, EventType.SMS_SENT, step=0, channel="SMS")
        # Ten days ago: inside 30 days, outside 7.
        old = EventLog(
            lead_id=leads[0],
            event_type=EventType.INTENT_CLASSIFIED,
            timestamp=utcnow() - timedelta(days=10),
            details={"intent": "interested"},
        )
        session.add(old)
        await session.commit()
    week = (await api.get("/api/analytics/overview")).json()
    assert week["days"] == 7
    assert week["totals"]["sent"] == 3 and week["totals"]["replied"] == 0
    [row] = week["campaigns"]
    assert (row["campaign_id"], row["name"], row["figures"]["sent"]) == (
        str(campaign_id),
        "busy",
        3,
    )
    month = (await api.get("/api/analytics/overview", params={"days": 30})).json()
    assert (month["totals"]["replied"], month["totals"]["positive"]) == (1, 1)
    assert month["totals"]["reply_rate"] == pytest.approx(1 / 3, abs=1e-4)
    for bad in ("0", "366", "1e30", "seven"):
        res = await api.get("/api/analytics/overview", params={"days": bad})
        assert res.status_code == 422, bad
        assert "days" in res.text


async def test_the_compactor_folds_every_campaign_and_stops_on_request(
    clean_db: Database,
) -> None:
    first, leads = await _campaign_with_leads(clean_db, 2)
    second, more = await _campaign_with_leads(clean_db, 1)
    async with clean_db.session() as session:
        for lead_id in [*leads, *more]:
            add_event(session, lead_id, EventType.EMAIL_SENT, step=0, channel="EMAIL")
        await session.commit()
    stop = asyncio.Event()
    task = asyncio.create_task(run_compactor(clean_db, stop, every=0.05))

    async def pending() -> int:
        async with clean_db.session() as session:
            return int((await session.exec(text("SELECT count(*) FROM funnel_delta"))).scalar())  # type: ignore[call-overload]

    async def folded() -> bool:
        return await pending() == 0

    await eventually(folded, within=5)
    stop.set()
    await asyncio.wait_for(task, timeout=2)
    async with clean_db.session() as session:
        counts = {
            (c, metric): leads_n
            for c in (first, second)
            for scope, value, metric, _, leads_n in await queries.counters(session, c)
            if scope == "all"
        }
    assert counts == {(first, "sent"): 2, (second, "sent"): 1}
