"""Outgoing webhooks on the real database: a receiver on loopback, subscriptions made over the
real API, events written the way every writer writes them (services.events.add_event), and
dispatchers with fast timings and a clock the test can move."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlmodel import col, select

from config.settings import Settings, WebhookSettings
from models.db import Database
from models.enums import EventType
from models.tables import Lead, WebhookAttempt, WebhookDelivery
from services.events import add_event
from services.webhooks_out.dispatcher import WebhookDispatcher
from tests.fakes.http_server import FakeHTTPServer, RecordedRequest, ScriptedResponse
from tests.helpers import add_lead

# Fast real-time timings for tests that run the loop; clocked tests move time themselves.
FAST = WebhookSettings(
    _env_file=None,  # type: ignore[call-arg]
    timeout_seconds=2,
    lease_seconds=5,
    concurrency=8,
    batch_size=20,
    backoff_base_seconds=0.05,
    backoff_max_seconds=0.2,
    jitter=0,
    poll_seconds=0.05,
)


def ok(_request: RecordedRequest) -> ScriptedResponse:
    return ScriptedResponse(status=204)


@pytest.fixture
def receiver() -> Iterator[FakeHTTPServer]:
    with FakeHTTPServer(ok) as server:
        yield server


class Clock:
    """A clock the test moves by hand (starts at the real now, so rows the database stamps with
    now() are already due)."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def dispatcher(
    db: Database,
    settings: Settings,
    policy: WebhookSettings = FAST,
    clock: Clock | None = None,
) -> WebhookDispatcher:
    return WebhookDispatcher(
        db,
        settings.secret_key.get_secret_value(),
        policy,
        clock=clock or (lambda: datetime.now(UTC)),
        rng=random.Random(7),
    )


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


async def attempts(db: Database, delivery_id: uuid.UUID) -> list[WebhookAttempt]:
    async with db.session() as session:
        stmt = select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery_id)
        return list((await session.exec(stmt.order_by(col(WebhookAttempt.id)))).all())


def received_ids(server: FakeHTTPServer) -> Counter[str]:
    """How often the receiver got each delivery id."""
    return Counter(str(r.headers["X-SalesPad-Delivery"]) for r in server.requests)
