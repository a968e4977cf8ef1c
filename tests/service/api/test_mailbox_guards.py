"""Deliverability guards through the real HTTP paths: bounces and spam reports of a mailbox's
messages arrive on the signed SendGrid Event Webhook, the mailbox pauses over its threshold,
GET /api/ops/attention lists it, and resuming clears it."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlmodel import col, select

from config.settings import MailboxHealthSettings, Settings
from models.db import Database
from models.enums import DeliveryStatus, Direction, EventType
from models.mailboxes import Mailbox
from models.tables import EventLog, Lead, Message
from tests.fakes.webhooks import signed_events, webhook_settings
from tests.helpers import lead_row

# The defaults: 5 % bounces, 0.1 % complaints, over 7 days, from 20 sends on.
HEALTH = MailboxHealthSettings(_env_file=None)  # type: ignore[call-arg]


@pytest.fixture
def settings(database_url: str, task_queue: str) -> Settings:
    return webhook_settings(database_url, task_queue).model_copy(update={"mailbox_health": HEALTH})


async def _mailbox(db: Database, name: str = "ada-outbound", **fields: Any) -> Mailbox:
    mailbox = Mailbox(
        name=name, channel_type="EMAIL", provider="sendgrid", address=f"{name}@ex.com", **fields
    )
    async with db.session() as session:
        session.add(mailbox)
        await session.commit()
        await session.refresh(mailbox)
    return mailbox


async def _sent(
    db: Database, mailbox_id: uuid.UUID | None, count: int, *, age: timedelta = timedelta(hours=1)
) -> list[Message]:
    """`count` leads, each with one email that went out from the mailbox `age` ago."""
    at = datetime.now(UTC) - age
    messages = []
    async with db.session() as session:
        for _ in range(count):
            tag = uuid.uuid4().hex[:10]
            lead = Lead(name="Lead", email=f"lead-{tag}@example.com", status="OUTREACHED")
            session.add(lead)
            message = Message(
                lead_id=lead.id,
                mailbox_id=mailbox_id,
                direction=Direction.OUTBOUND,
                subject="Quick question",
                content="Hi",
                provider_message_id=f"sg-{tag}",
                idempotency_key=f"lead-{lead.id}:step-1",
                delivery_status=DeliveryStatus.SENT,
                details={"channel": "EMAIL"},
                created_at=at,
                sent_at=at + timedelta(seconds=1),
            )
            session.add(message)
            messages.append(message)
        await session.commit()
        for message in messages:
            await session.refresh(message)
    return messages


async def _email(db: Database, message: Message) -> str:
    assert message.lead_id is not None
    email = (await lead_row(db, message.lead_id)).email
    assert email is not None
    return email


async def _report(db: Database, message: Message, event: str, **extra: Any) -> dict[str, Any]:
    """A SendGrid event about `message`, shaped like theirs (custom args at the top level)."""
    return {
        "email": await _email(db, message),
        "timestamp": int(time.time()),
        "event": event,
        "sg_event_id": f"{event}-{message.id}",
        "sg_message_id": f"{message.provider_message_id}.filterdrecv-p3mdw1-1-2-3.0",
        "lead_id": str(message.lead_id),
        "idempotency_key": message.idempotency_key,
        **extra,
    }


async def _bounce(db: Database, message: Message) -> dict[str, Any]:
    return await _report(
        db,
        message,
        "bounce",
        type="bounce",
        status="5.1.1",
        reason="550 5.1.1 The email account that you tried to reach does not exist",
    )


async def _post(api: httpx.AsyncClient, batch: list[dict[str, Any]]) -> None:
    body, headers = signed_events(batch)
    res = await api.post(
        "/webhooks/sendgrid/events", content=body, headers={**headers, "Authorization": ""}
    )
    assert res.status_code == 200, res.text
    assert res.json()["applied"] == len(batch), res.json()


async def _attention(api: httpx.AsyncClient) -> list[dict[str, Any]]:
    res = await api.get("/api/ops/attention")
    assert res.status_code == 200, res.text
    items: list[dict[str, Any]] = res.json()
    return items


async def _row(db: Database, mailbox_id: uuid.UUID) -> Mailbox:
    async with db.session() as session:
        return (await session.exec(select(Mailbox).where(Mailbox.id == mailbox_id))).one()


async def _mailbox_events(db: Database, event_type: EventType) -> list[EventLog]:
    async with db.session() as session:
        rows = await session.exec(
            select(EventLog).where(EventLog.event_type == event_type).order_by(col(EventLog.id))
        )
        return list(rows.all())


async def test_bounces_over_the_threshold_pause_the_mailbox_until_ops_resume_it(
    api: httpx.AsyncClient, clean_db: Database
) -> None:
    mailbox = await _mailbox(clean_db)
    sent = await _sent(clean_db, mailbox.id, 40)
    # 2 of 40 is 5.0 %: at the threshold, not over it.
    await _post(api, [await _bounce(clean_db, m) for m in sent[:2]])
    assert (await _row(clean_db, mailbox.id)).state == "active"
    assert await _attention(api) == []

    await _post(api, [await _bounce(clean_db, sent[2])])  # 3 of 40: 7.5 %
    paused = await _row(clean_db, mailbox.id)
    assert paused.state == "paused"
    reason = "hard bounces 7.5 % (3 of 40 sends in 7 days) over the 5 % threshold"
    assert paused.paused_reason == reason
    assert paused.paused_at is not None
    [item] = await _attention(api)
    assert item["kind"] == "mailbox"
    assert item["mailbox_id"] == str(mailbox.id)
    assert item["mailbox_name"] == "ada-outbound"
    assert item["reason"] == reason
    assert item["actions"] == ["resume"]
    assert item["lead_id"] is None
    [event] = await _mailbox_events(clean_db, EventType.MAILBOX_PAUSED)
    assert event.lead_id is None
    assert event.details["mailbox_id"] == str(mailbox.id)
    assert (event.details["sends"], event.details["bounces"]) == (40, 3)
    assert event.details["source"] == "health"
    # The bounced leads are still bounced and suppressed as before.
    assert sent[2].lead_id is not None
    assert (await lead_row(clean_db, sent[2].lead_id)).status == "BOUNCED"

    # Another bounce while paused: still one pause, one event.
    await _post(api, [await _bounce(clean_db, sent[3])])
    assert len(await _mailbox_events(clean_db, EventType.MAILBOX_PAUSED)) == 1

    res = await api.post(f"/api/mailboxes/{mailbox.id}/resume")
    assert res.status_code == 200, res.text
    assert res.json()["state"] == "active"
    assert res.json()["paused_reason"] is None
    assert await _attention(api) == []
    [resumed] = await _mailbox_events(clean_db, EventType.MAILBOX_RESUMED)
    assert resumed.details["paused_reason"] == reason

    # Late bounces of messages sent before the resume do not pause it again.
    await _post(api, [await _bounce(clean_db, m) for m in sent[4:8]])
    assert (await _row(clean_db, mailbox.id)).state == "active"
    assert await _attention(api) == []


async def test_old_sends_other_mailboxes_and_too_few_sends_do_not_pause(
    api: httpx.AsyncClient, clean_db: Database
) -> None:
    mailbox = await _mailbox(clean_db)
    small = await _mailbox(clean_db, "small")
    recent = await _sent(clean_db, mailbox.id, 30)
    old = await _sent(clean_db, mailbox.id, 10, age=timedelta(days=8))
    elsewhere = await _sent(clean_db, None, 5)
    few = await _sent(clean_db, small.id, 19)
    batch = [await _bounce(clean_db, m) for m in [recent[0], *old, *elsewhere, *few[:5]]]
    await _post(api, batch)
    # The mailbox: 1 of 30 in the window (the 10 old bounces are outside it); the small one:
    # 5 of 19, 26 %, but under the 20 sends a rate needs.
    assert (await _row(clean_db, mailbox.id)).state == "active"
    assert (await _row(clean_db, small.id)).state == "active"
    assert await _attention(api) == []

    more = await _sent(clean_db, small.id, 1)  # the 20th send makes the rate count
    await _post(api, [await _bounce(clean_db, more[0])])
    [item] = await _attention(api)
    assert item["mailbox_name"] == "small"
    assert item["reason"].startswith("hard bounces 30.0 % (6 of 20 sends")


async def test_a_mailbox_of_its_own_threshold_is_judged_by_it(
    api: httpx.AsyncClient, clean_db: Database
) -> None:
    lenient = await _mailbox(clean_db, "lenient", bounce_threshold=0.2)
    sent = await _sent(clean_db, lenient.id, 20)
    await _post(api, [await _bounce(clean_db, m) for m in sent[:4]])  # 20 %: not over 20 %
    assert (await _row(clean_db, lenient.id)).state == "active"
    await _post(api, [await _bounce(clean_db, sent[4])])
    assert (await _row(clean_db, lenient.id)).paused_reason == (
        "hard bounces 25.0 % (5 of 20 sends in 7 days) over the 20 % threshold"
    )


async def test_a_spam_complaint_unsubscribes_the_lead_and_pauses_the_mailbox(
    api: httpx.AsyncClient, clean_db: Database
) -> None:
    mailbox = await _mailbox(clean_db)
    sent = await _sent(clean_db, mailbox.id, 25)
    await _post(api, [await _report(clean_db, sent[0], "unsubscribe")])
    assert (await _row(clean_db, mailbox.id)).state == "active"  # an unsubscribe is no complaint

    await _post(api, [await _report(clean_db, sent[1], "spamreport")])
    assert sent[1].lead_id is not None
    assert (await lead_row(clean_db, sent[1].lead_id)).status == "UNSUBSCRIBED"
    async with clean_db.session() as session:
        [unsubscribed] = (
            await session.exec(
                select(EventLog).where(
                    EventLog.lead_id == sent[1].lead_id,
                    EventLog.event_type == EventType.UNSUBSCRIBED,
                )
            )
        ).all()
    assert unsubscribed.details["complaint"] is True
    [item] = await _attention(api)
    assert item["mailbox_id"] == str(mailbox.id)
    assert item["reason"] == (
        "spam complaints 4.0 % (1 of 25 sends in 7 days) over the 0.1 % threshold"
    )
    # SendGrid redelivers: the replay is a duplicate and counts nothing twice.
    body, headers = signed_events([await _report(clean_db, sent[1], "spamreport")])
    res = await api.post(
        "/webhooks/sendgrid/events", content=body, headers={**headers, "Authorization": ""}
    )
    assert res.json()["duplicates"] == 1
    assert len(await _mailbox_events(clean_db, EventType.MAILBOX_PAUSED)) == 1


async def test_resume_of_an_unknown_or_active_mailbox(
    api: httpx.AsyncClient, clean_db: Database
) -> None:
    res = await api.post(f"/api/mailboxes/{uuid.uuid4()}/resume")
    assert res.status_code == 404, res.text
    mailbox = await _mailbox(clean_db)
    res = await api.post(f"/api/mailboxes/{mailbox.id}/resume")
    assert res.status_code == 200, res.text
    assert res.json()["state"] == "active"
    assert await _mailbox_events(clean_db, EventType.MAILBOX_RESUMED) == []
