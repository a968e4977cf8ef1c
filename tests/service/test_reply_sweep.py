"""Replies recorded but never handled are told to their sequences again by the sweep."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import update

from models.db import Database
from models.tables import Message, utcnow
from services.replies.schemas import ReplyCreate
from services.replies.service import record_reply
from services.replies.sweep import SweepPolicy, sweep_once
from tests.fakes.gateway import RecordingGateway
from tests.helpers import add_lead

pytestmark = pytest.mark.service

POLICY = SweepPolicy(older_than=timedelta(minutes=2), max_redeliveries=2)


async def _reply(db: Database, lead_id: uuid.UUID, text: str, age: timedelta) -> Message:
    async with db.session() as session:
        message, _ = await record_reply(session, lead_id, ReplyCreate(content=text))
        await session.exec(
            update(Message).where(Message.id == message.id).values(created_at=utcnow() - age)  # type: ignore[arg-type]
        )
        await session.commit()
        return message


async def test_only_old_unhandled_replies_are_told_again_and_not_forever(
    clean_db: Database,
) -> None:
    gateway = RecordingGateway()
    lead = await add_lead(clean_db)
    stuck = await _reply(clean_db, lead.id, "Interested!", timedelta(minutes=10))
    await _reply(clean_db, lead.id, "Still on its way", timedelta(seconds=5))
    handled = await _reply(clean_db, lead.id, "Handled already", timedelta(hours=1))
    async with clean_db.session() as session:
        await session.exec(
            update(Message).where(Message.id == handled.id).values(processed_at=utcnow())  # type: ignore[arg-type]
        )
        await session.commit()

    assert await sweep_once(clean_db, gateway, POLICY) == 1
    [(lead_id, notice, running)] = gateway.replies
    assert (lead_id, notice.db_message_id, running) == (str(lead.id), str(stuck.id), False)
    assert notice.channel == "EMAIL"
    assert await sweep_once(clean_db, gateway, POLICY) == 1  # still unhandled: told again
    assert await sweep_once(clean_db, gateway, POLICY) == 0  # twice is this policy's limit
    async with clean_db.session() as session:
        row = await session.get(Message, stuck.id)
        assert row is not None and row.details["redeliveries"] == 2
