"""SendGrid Event Webhook: ECDSA-signed batches applied once each, against the real database."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from sqlmodel import select

from config.settings import Settings
from models.db import Database
from models.enums import DeliveryStatus, Direction, EventType
from models.tables import Message, Suppression
from tests.fakes.webhooks import PUBLIC_KEY, signed_events, snapshot, webhook_settings
from tests.helpers import add_lead, events, lead_row

KEY = "lead-1:enrollment-1:step-1"
SG_MESSAGE_ID = "W2G1_6iZQUyhe3cq9ZG8kw.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0"


@pytest.fixture
def settings(database_url: str, task_queue: str) -> Settings:
    return webhook_settings(database_url, task_queue)


async def _sent(db: Database, **lead_fields: Any) -> tuple[uuid.UUID, Message]:
    lead = await add_lead(db, status="OUTREACHED", **lead_fields)
    message = Message(
        lead_id=lead.id,
        direction=Direction.OUTBOUND,
        subject="Quick question",
        content="Hi",
        provider_message_id="W2G1_6iZQUyhe3cq9ZG8kw",
        idempotency_key=KEY,
        delivery_status=DeliveryStatus.SENT,
    )
    async with db.session() as session:
        session.add(message)
        await session.commit()
    return lead.id, message


def _event(lead_id: uuid.UUID, email: str, event: str, n: int = 1, **extra: Any) -> dict[str, Any]:
    """Shaped like SendGrid's: custom args as top-level keys, sg_message_id with a suffix."""
    return {
        "email": email,
        "timestamp": int(time.time()),
        "smtp-id": "<14c5d75ce93.dfd.64b469@ismtpd-555>",
        "event": event,
        "category": ["salespad"],
        "sg_event_id": f"ZGVsaXZlcmVk-{event}-{n}",
        "sg_message_id": SG_MESSAGE_ID,
        "lead_id": str(lead_id),
        "idempotency_key": KEY,
        "step": "1",
        **extra,
    }


async def _post(api: httpx.AsyncClient, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return await api.post(
        "/webhooks/sendgrid/events", content=body, headers={**headers, "Authorization": ""}
    )


async def _message(db: Database, message_id: uuid.UUID) -> Message:
    async with db.session() as session:
        found = await session.get(Message, message_id)
        assert found is not None
        return found


async def test_delivered_marks_the_message_and_a_replay_changes_nothing(
    api: httpx.AsyncClient, clean_db: Database
) -> None:
    lead_id, message = await _sent(clean_db, email="ada@example.com")
    batch = [
        _event(lead_id, "ada@example.com", "processed"),
        _event(lead_id, "ada@example.com", "delivered", response="250 OK"),
        _event(lead_id, "ada@example.com", "open", sg_machine_open=False, useragent="Mozilla"),
    ]
    body, headers = signed_events(batch)
    res = await _post(api, body, headers)
    assert res.status_code == 200, res.text
    assert res.json() == {
        "received": 3,
        "untracked": 1,
        "applied": 2,
        "duplicates": 0,
        "unmatched": 0,
    }
    assert (await _message(clean_db, message.id)).delivery_status == DeliveryStatus.DELIVERED
    [delivered] = await events(clean_db, lead_id, EventType.DELIVERED)
    assert delivered.details["message_id"] == str(message.id)
    assert delivered.details["sg_event_id"] == "ZGVsaXZlcmVk-delivered-1"
    assert len(await events(clean_db, lead_id, EventType.OPENED)) == 1

    before = await snapshot(clean_db)
    again = await _post(api, *signed_events(batch))  # SendGrid retries, newly signed
    assert again.json()["duplicates"] == 2
    assert await snapshot(clean_db) == before


async def test_bounce_marks_the_lead_bounced_and_suppresses_the_address(
    api: httpx.AsyncClient, clean_db: Database
) -> None:
    lead_id, message = await _sent(clean_db, email="gone@example.com")
    bounce = _event(
        lead_id,
        "gone@example.com",
        "bounce",
        type="bounce",
        status="5.1.1",
        reason="550 5.1.1 The email account that you tried to reach does not exist",
        bounce_classification="Invalid Address",
    )
    res = await _post(api, *signed_events([bounce]))
    assert res.status_code == 200, res.text
    assert (await lead_row(clean_db, lead_id)).status == "BOUNCED"
    assert (await _message(clean_db, message.id)).delivery_status == DeliveryStatus.BOUNCED
    async with clean_db.session() as session:
        suppressed = (await session.exec(select(Suppression))).all()
    assert [s.email for s in suppressed] == ["gone@example.com"]

    before = await snapshot(clean_db)
    assert (await _post(api, *signed_events([bounce]))).json()["duplicates"] == 1
    assert await snapshot(clean_db) == before
    assert len(await events(clean_db, lead_id, EventType.BOUNCED)) == 1


async def test_spam_report_unsubscribes_and_a_late_delivered_does_not_undo_a_bounce(
    api: httpx.AsyncClient, clean_db: Database
) -> None:
    lead_id, message = await _sent(clean_db, email="ada@example.com")
    blocked = _event(lead_id, "ada@example.com", "bounce", 1, type="blocked", reason="IP listed")
    res = await _post(api, *signed_events([blocked]))
    assert res.json()["applied"] == 1
    # Blocked is about us (reputation), not the address: the lead stays reachable.
    assert (await lead_row(clean_db, lead_id)).status == "OUTREACHED"
    assert len(await events(clean_db, lead_id, EventType.DELIVERY_FAILED)) == 1

    late = _event(lead_id, "ada@example.com", "delivered", 2)
    spam = _event(lead_id, "ada@example.com", "spamreport", 3)
    await _post(api, *signed_events([late, spam]))
    assert (await _message(clean_db, message.id)).delivery_status == DeliveryStatus.FAILED
    assert (await lead_row(clean_db, lead_id)).status == "UNSUBSCRIBED"


async def test_message_is_found_by_sg_message_id_without_custom_args(
    api: httpx.AsyncClient, clean_db: Database
) -> None:
    lead_id, message = await _sent(clean_db, email="ada@example.com")
    event = _event(lead_id, "ada@example.com", "delivered")
    del event["lead_id"], event["idempotency_key"]
    assert (await _post(api, *signed_events([event]))).json()["applied"] == 1
    assert (await _message(clean_db, message.id)).delivery_status == DeliveryStatus.DELIVERED


@pytest.mark.parametrize(
    "tamper",
    ["other key", "stale timestamp", "future timestamp", "changed body", "no signature"],
)
async def test_unsigned_or_stale_batches_are_refused_and_change_nothing(
    api: httpx.AsyncClient, clean_db: Database, tamper: str
) -> None:
    lead_id, _ = await _sent(clean_db, email="gone@example.com")
    batch = [_event(lead_id, "gone@example.com", "bounce", type="bounce")]
    if tamper == "other key":
        body, headers = signed_events(batch, key=ec.generate_private_key(ec.SECP256R1()))
    elif tamper in ("stale timestamp", "future timestamp"):
        # Well past the 300 s tolerance, so a slow test run cannot drift back inside it.
        offset = -400 if tamper == "stale timestamp" else 400
        body, headers = signed_events(batch, timestamp=int(time.time()) + offset)
    else:
        body, headers = signed_events(batch)
        if tamper == "changed body":
            body = body.replace(b"gone@example.com", b"ceo@example.com")
        else:
            del headers["X-Twilio-Email-Event-Webhook-Signature"]
    before = await snapshot(clean_db)
    res = await _post(api, body, headers)
    assert res.status_code == 403, res.text
    assert await snapshot(clean_db) == before


async def test_signed_garbage_is_acknowledged_not_retried(
    api: httpx.AsyncClient, clean_db: Database
) -> None:
    res = await _post(api, *signed_events([{"event": "delivered"}, "not an event", 42]))
    assert res.status_code == 200
    assert res.json()["received"] == 3


async def test_the_key_may_be_pasted_as_pem_and_none_means_503(
    api: httpx.AsyncClient, clean_db: Database, settings: Settings
) -> None:
    lines = [PUBLIC_KEY[i : i + 64] for i in range(0, len(PUBLIC_KEY), 64)]
    pem = "-----BEGIN PUBLIC KEY-----\n" + "\n".join(lines) + "\n-----END PUBLIC KEY-----\n"
    settings.sendgrid.webhook_public_key = pem
    assert (await _post(api, *signed_events([]))).status_code == 200
    settings.sendgrid.webhook_public_key = None
    assert (await _post(api, *signed_events([]))).status_code == 503  # SendGrid retries
