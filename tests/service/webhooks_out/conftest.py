"""Outgoing webhooks on the real database: subscriptions made over the real API, and events
written the way every writer writes them (services.events.add_event)."""

from __future__ import annotations

from typing import Any

import httpx
from sqlmodel import col, select

from models.db import Database
from models.enums import EventType
from models.tables import Lead, WebhookDelivery
from services.events import add_event
from tests.helpers import add_lead


async def subscribe(
    api: httpx.AsyncClient, url: str, events: list[str] | None = None, **extra: Any
) -> dict[str, Any]:
    res = await api.post(
        "/api/webhook-subscriptions", json={"url": url, "events": events or ["*"], **extra}
    )
    assert res.status_code == 201, res.text
    body: dict[str, Any] = res.json()
    return body


async def emit(db: Database, lead: Lead | None, event_type: EventType, **details: Any) -> int:
    """One event, committed as services commit theirs; its id."""
    async with db.session() as session:
        event = add_event(session, lead.id if lead else None, event_type, **details)
        await session.commit()
        assert event.id is not None
        return event.id


async def a_lead(db: Database, **fields: Any) -> Lead:
    return await add_lead(db, company="Analytical Engines", owner="grace@example.com", **fields)


async def deliveries(db: Database, **where: Any) -> list[WebhookDelivery]:
    async with db.session() as session:
        stmt = select(WebhookDelivery).filter_by(**where).order_by(col(WebhookDelivery.event_id))
        return list((await session.exec(stmt)).all())
