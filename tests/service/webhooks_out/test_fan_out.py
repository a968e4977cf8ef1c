"""The event log's trigger fans each event out to the subscriptions that follow it, in the
event's own transaction, with the payload a receiver gets."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import text

from models.db import Database
from models.enums import EventType
from models.tables import EventLog
from services.webhooks_out.events import EVENT_NAMES, PUBLIC_EVENTS
from tests.service.webhooks_out.conftest import a_lead, deliveries, emit, subscribe

URL = "http://127.0.0.1:9/hook"


async def test_the_triggers_mapping_is_the_python_one(clean_db: Database) -> None:
    """Migration 0007 writes events.py's PUBLIC_EVENTS in SQL; a change to one needs both."""
    async with clean_db.engine.connect() as conn:
        in_sql = {
            t.value: (
                await conn.execute(text("SELECT salespad_webhook_event_name(:t)"), {"t": t.value})
            ).scalar()
            for t in EventType
        }
    assert in_sql == {t.value: PUBLIC_EVENTS.get(t) for t in EventType}
    assert set(EVENT_NAMES) == {n for n in in_sql.values() if n}


async def test_each_subscription_gets_the_events_it_follows(
    api: httpx.AsyncClient, clean_db: Database
) -> None:
    everything = await subscribe(api, URL, ["*"])
    bounces = await subscribe(api, URL, ["lead.bounced", "lead.unsubscribed"])
    paused = await subscribe(api, URL, ["*"], active=False)
    lead = await a_lead(clean_db)

    await emit(clean_db, lead, EventType.EMAIL_SENT, step=1, channel="EMAIL")
    await emit(clean_db, lead, EventType.LEAD_UPDATED, fields=["company"])  # nobody's
    bounced = await emit(clean_db, lead, EventType.BOUNCED, reason="550")

    by_sub: dict[str, list[str]] = {}
    for d in await deliveries(clean_db):
        by_sub.setdefault(str(d.subscription_id), []).append(d.event)
    assert by_sub == {
        everything["id"]: ["message.sent", "lead.bounced"],
        bounces["id"]: ["lead.bounced"],
    }
    assert paused["id"] not in by_sub
    [mine] = await deliveries(clean_db, subscription_id=uuid.UUID(bounces["id"]))
    assert (mine.event_id, mine.status, mine.attempts) == (bounced, "pending", 0)


async def test_the_payload_describes_the_event_and_the_lead(
    api: httpx.AsyncClient, clean_db: Database
) -> None:
    await subscribe(api, URL, ["reply.received", "lead.status_changed"])
    lead = await a_lead(clean_db, status="OUTREACHED")
    replied = await emit(
        clean_db, lead, EventType.INTENT_CLASSIFIED, intent="interested", confidence=0.9
    )
    # The status event is flushed with the lead's UPDATE; the payload has the new status.
    await emit(clean_db, lead, EventType.STATUS_CHANGED, old="OUTREACHED", new="REPLIED")

    reply, status = await deliveries(clean_db)
    payload: dict[str, Any] = reply.payload
    assert payload["delivery_id"] == str(reply.id)
    assert (payload["event"], payload["event_id"], payload["intent"]) == (
        "reply.received",
        replied,
        "interested",
    )
    assert payload["lead"] == {
        "id": str(lead.id),
        "email": lead.email,
        "name": "Ada Lovelace",
        "company": "Analytical Engines",
        "status": "OUTREACHED",
        "owner": "grace@example.com",
    }
    assert payload["data"] == {"intent": "interested", "confidence": 0.9}
    assert payload["occurred_at"].endswith("Z") and "T" in payload["occurred_at"]
    assert {"campaign_id", "step", "channel"} <= payload.keys()
    assert status.payload["lead"]["status"] == "REPLIED"
    assert status.payload["data"] == {"old": "OUTREACHED", "new": "REPLIED"}


async def test_a_rolled_back_event_fans_out_nothing(
    api: httpx.AsyncClient, clean_db: Database
) -> None:
    await subscribe(api, URL, ["*"])
    lead = await a_lead(clean_db)
    async with clean_db.session() as session:
        session.add(EventLog(lead_id=lead.id, event_type=EventType.BOUNCED, details={}))
        await session.flush()
        conn = await session.connection()
        inside = await conn.execute(text("SELECT count(*) FROM webhook_delivery"))
        assert inside.scalar() == 1  # fanned out, inside the event's transaction
        await session.rollback()
    assert await deliveries(clean_db) == []


async def test_a_bulk_insert_fans_out_each_row(api: httpx.AsyncClient, clean_db: Database) -> None:
    """The importer and other bulk writers INSERT many rows in one statement."""
    await subscribe(api, URL, ["lead.unsubscribed"])
    lead = await a_lead(clean_db)
    async with clean_db.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO event_log (lead_id, event_type, details) "
                "SELECT :lead, CASE WHEN i % 2 = 0 THEN 'UNSUBSCRIBED' ELSE 'LEAD_CREATED' END, "
                "jsonb_build_object('i', i) FROM generate_series(1, 100) AS i"
            ),
            {"lead": lead.id},
        )
    rows = await deliveries(clean_db)
    assert len(rows) == 50
    assert len({r.id for r in rows}) == 50
    assert {r.payload["data"]["i"] % 2 for r in rows} == {0}
