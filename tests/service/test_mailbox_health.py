"""The mailbox health service on its own: recipients refused at send time count as hard
bounces, and ops' pause and resume (what POST /api/mailboxes/{id}/pause|resume call)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from config.settings import MailboxHealthSettings
from models.db import Database
from models.enums import DeliveryStatus, Direction
from models.mailboxes import Mailbox
from models.tables import Message
from services.errors import Conflict
from services.mailboxes.health import (
    guard_mailboxes,
    mailbox_health,
    pause_mailbox,
    resume_mailbox,
)
from workflows.errors import SMTP_RECIPIENT_REJECTED

HEALTH = MailboxHealthSettings(_env_file=None)  # type: ignore[call-arg]


async def _mailbox_with(db: Database, sent: int, refused: int, other_failures: int) -> uuid.UUID:
    now = datetime.now(UTC)
    mailbox = Mailbox(name="smtp-1", channel_type="EMAIL", provider="smtp", address="a@b.test")
    async with db.session() as session:
        session.add(mailbox)
        await session.flush()
        for n in range(sent + refused + other_failures):
            went_out = n < sent
            error = SMTP_RECIPIENT_REJECTED if n < sent + refused else "SmtpAuthError"
            session.add(
                Message(
                    mailbox_id=mailbox.id,
                    direction=Direction.OUTBOUND,
                    content="Hi",
                    delivery_status=DeliveryStatus.SENT if went_out else DeliveryStatus.FAILED,
                    details={} if went_out else {"error_type": error},
                    created_at=now - timedelta(minutes=5),
                    sent_at=now - timedelta(minutes=5) if went_out else None,
                )
            )
        await session.commit()
        return mailbox.id


async def test_recipients_refused_at_send_time_are_hard_bounces(clean_db: Database) -> None:
    mailbox_id = await _mailbox_with(clean_db, sent=18, refused=2, other_failures=5)
    async with clean_db.session() as session:
        health = await mailbox_health(session, mailbox_id, datetime.now(UTC), HEALTH)
        # Our own failures (bad credentials) are not sends; the refused recipients are both.
        assert (health.sends, health.bounces, health.complaints) == (20, 2, 0)
        assert health.bounce_rate == pytest.approx(0.1)
        assert health.model_dump(mode="json")["complaint_rate"] == 0.0
        [paused] = await guard_mailboxes(session, [mailbox_id], HEALTH)
        assert paused.paused_reason == (
            "hard bounces 10.0 % (2 of 20 sends in 7 days) over the 5 % threshold"
        )


async def test_ops_pause_and_resume(clean_db: Database) -> None:
    mailbox_id = await _mailbox_with(clean_db, sent=1, refused=0, other_failures=0)
    async with clean_db.session() as session:
        paused = await pause_mailbox(session, mailbox_id, "warming up again", source="api")
        assert (paused.state, paused.paused_reason) == ("paused", "warming up again")
        again = await pause_mailbox(session, mailbox_id, "another reason", source="api")
        assert again.paused_reason == "warming up again"  # the first reason stays
        resumed = await resume_mailbox(session, mailbox_id, source="api")
        assert (resumed.state, resumed.paused_reason, resumed.paused_at) == ("active", None, None)
        health = await mailbox_health(session, mailbox_id, datetime.now(UTC), HEALTH)
        assert health.since_resume and health.sends == 0  # counted afresh from the resume
        resumed.state = "disabled"
        await session.commit()
        with pytest.raises(Conflict):
            await pause_mailbox(session, mailbox_id, "x", source="api")
