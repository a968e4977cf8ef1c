"""A positive reply reaches its lead's owner: an inbox item, an email through the real SMTP
channel (to a local aiosmtpd), and the OWNER_NOTIFIED event; failures stay visible."""

from __future__ import annotations

import email
import email.policy
import uuid
from collections.abc import Iterator

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlmodel import select
from temporalio.testing import ActivityEnvironment

from activities.replies import ReplyActivities
from adapters.channels.smtp import SmtpChannel
from adapters.llm.base import OfflineReplyClassifier
from models.db import Database
from models.tables import OwnerNotification
from salespad.local import free_port
from services.notifications.mailer import MailerPolicy, send_due
from services.replies.schemas import ReplyCreate
from services.replies.service import record_reply
from tests.helpers import count_events, enrolled_lead
from workflows.contracts import ProcessReplyInput

pytestmark = pytest.mark.service

OWNER = "Grace.Hopper@Team.example"
NOW = MailerPolicy(first_retry=0.0, max_attempts=3)


class Mailbox:
    """An SMTP server that refuses the next `refuse` messages with `code`, then accepts."""

    def __init__(self) -> None:
        self.refuse, self.code = 0, "451 4.3.0 try again later"
        self.received: list[Envelope] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.refuse:
            self.refuse -= 1
            return self.code
        self.received.append(envelope)
        return "250 OK"


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, SmtpChannel]]:
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield (
            box,
            SmtpChannel(
                "127.0.0.1", controller.port, from_email="salespad@team.example", start_tls=False
            ),
        )
    finally:
        controller.stop()


async def _reply(db: Database, text: str, owner: str | None = OWNER) -> tuple[uuid.UUID, str]:
    """A lead with `owner` replies `text`; the real process_reply activity handles it."""
    lead, enrollment = await enrolled_lead(db, owner=owner, name="Ada Lovelace", company="AE Ltd")
    async with db.session() as session:
        message, _ = await record_reply(session, lead.id, ReplyCreate(content=text))
    offline = OfflineReplyClassifier()
    result = await ActivityEnvironment().run(
        ReplyActivities(db, offline, offline).process_reply,
        ProcessReplyInput(
            lead_id=str(lead.id), enrollment_id=str(enrollment.id), db_message_id=str(message.id)
        ),
    )
    return lead.id, result.intent


async def _notification(db: Database) -> OwnerNotification:
    async with db.session() as session:
        rows = (await session.exec(select(OwnerNotification))).all()
    assert len(rows) == 1
    return rows[0]


async def test_an_interested_reply_reaches_the_owner(
    api: httpx.AsyncClient, clean_db: Database, mailbox: tuple[Mailbox, SmtpChannel]
) -> None:
    box, smtp = mailbox
    lead_id, intent = await _reply(clean_db, "Yes, interested! Can we talk on Tuesday?")
    assert intent == "interested"
    assert await count_events(clean_db, lead_id, "OWNER_NOTIFIED") == 1

    page = (await api.get("/api/inbox", params={"owner": OWNER})).json()
    assert page["unread"] == 1 and page["next_cursor"] is None
    [item] = page["items"]
    assert item["intent"] == "interested"
    assert item["summary"] == "Yes, interested! Can we talk on Tuesday?"
    assert item["lead"]["name"] == "Ada Lovelace" and item["lead"]["company"] == "AE Ltd"
    assert (item["email_to"], item["email_status"]) == ("Grace.Hopper@team.example", "pending")

    assert await send_due(clean_db, smtp, NOW) == 1
    [envelope] = box.received
    assert envelope.rcpt_tos == ["Grace.Hopper@team.example"]
    mail = email.message_from_bytes(envelope.original_content or b"", policy=email.policy.default)
    assert mail["Subject"] == "Ada Lovelace replied (interested)"
    assert "Can we talk on Tuesday?" in mail.get_body().get_content()  # type: ignore[union-attr]
    assert (await _notification(clean_db)).email_status == "sent"
    assert await send_due(clean_db, smtp, NOW) == 0  # sent once

    res = await api.post(f"/api/inbox/{item['id']}/read")
    assert res.status_code == 200 and res.json()["read_at"] is not None
    assert (await api.get("/api/inbox", params={"unread": "true"})).json()["items"] == []


async def test_a_refused_email_is_retried_then_given_up_with_the_reason(
    clean_db: Database, mailbox: tuple[Mailbox, SmtpChannel]
) -> None:
    box, smtp = mailbox
    await _reply(clean_db, "Interested, what does it cost?")
    box.refuse = 1
    assert await send_due(clean_db, smtp, NOW) == 1
    row = await _notification(clean_db)
    assert (row.email_status, row.email_attempts) == ("pending", 1)
    assert row.email_error and "451" in row.email_error
    assert await send_due(clean_db, smtp, NOW) == 1  # due again at once (first_retry 0)
    assert (await _notification(clean_db)).email_status == "sent"

    box.refuse, box.code = 5, "550 5.1.1 no such user"
    await _reply(clean_db, "I'm interested, please call me", owner="nobody@team.example")
    async with clean_db.session() as session:
        await send_due(clean_db, smtp, NOW)
        rows = (await session.exec(select(OwnerNotification))).all()
    failed = [r for r in rows if r.owner == "nobody@team.example"]
    assert [(r.email_status, r.email_attempts) for r in failed] == [("failed", 1)]
    assert failed[0].email_error and "550" in failed[0].email_error


async def test_an_owner_without_an_address_or_a_missing_channel_gets_the_inbox_item(
    api: httpx.AsyncClient, clean_db: Database
) -> None:
    await _reply(clean_db, "Interested, tell me more", owner="Grace")
    row = await _notification(clean_db)
    assert (row.email_to, row.email_status) == (None, "none")
    await _reply(clean_db, "Interested, tell me more", owner="ops@team.example")
    assert await send_due(clean_db, None, NOW) == 1
    page = (await api.get("/api/inbox")).json()
    by_owner = {i["owner"]: i for i in page["items"]}
    assert by_owner["ops@team.example"]["email_status"] == "none"
    assert by_owner["ops@team.example"]["email_error"] == "no email channel is configured"


async def test_not_interested_tells_nobody_and_bad_paging_is_a_422(
    api: httpx.AsyncClient, clean_db: Database
) -> None:
    await _reply(clean_db, "Not interested, thanks.")
    assert (await api.get("/api/inbox")).json() == {"items": [], "unread": 0, "next_cursor": None}
    for params in ({"limit": "0"}, {"limit": "201"}, {"cursor": "not-a-cursor"}):
        res = await api.get("/api/inbox", params=params)
        assert res.status_code == 422, params
        assert next(iter(params)) in res.text
    assert (await api.post(f"/api/inbox/{uuid.uuid4()}/read")).status_code == 404


async def test_the_inbox_pages_newest_first(api: httpx.AsyncClient, clean_db: Database) -> None:
    for i in range(3):
        await _reply(clean_db, f"Interested ({i}), call me")
    first = (await api.get("/api/inbox", params={"limit": 2})).json()
    assert [i["summary"] for i in first["items"]] == [
        "Interested (2), call me",
        "Interested (1), call me",
    ]
    rest = (await api.get("/api/inbox", params={"limit": 2, "cursor": first["next_cursor"]})).json()
    assert [i["summary"] for i in rest["items"]] == ["Interested (0), call me"]
    assert rest["next_cursor"] is None
