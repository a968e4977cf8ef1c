"""Replies drive the sequence: stop, pause until the return date, suppress, never a send after."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select
from temporalio.testing import WorkflowEnvironment

from models.db import Database
from models.enums import EventType, LeadStatus
from models.tables import Suppression
from sequences import Email, Sequence, Wait
from services.gateway import LeadWorkflows
from services.replies.schemas import ReplyCreate
from services.replies.service import handle_reply
from tests.helpers import (
    add_lead,
    count_events,
    events,
    eventually,
    lead_row,
    outbound,
    run_to_end,
    save_history,
    start_spec,
)
from tests.workers import ScriptedChannel, router, running_worker

THREE_EMAILS = Sequence(
    "three-emails",
    Email("a", subject="Hi {{ lead.first_name }}", body="one"),
    Wait(days=2),
    Email("b", body="two", thread=True),
    Wait(days=2),
    Email("c", body="three", thread=True),
).compile()


async def _reply(env: WorkflowEnvironment, db: Database, task_queue: str, lead_id, text: str):  # type: ignore[no-untyped-def]
    async def client():  # type: ignore[no-untyped-def]
        return env.client

    now = await env.get_current_time()
    async with db.session() as session:
        return await handle_reply(
            session,
            LeadWorkflows(client, task_queue),
            lead_id,
            ReplyCreate(content=text, received_at=now),
            update_timeout=30,
        )


async def _first_email(db: Database, lead_id) -> None:  # type: ignore[no-untyped-def]
    async def sent() -> bool:
        return await count_events(db, lead_id, EventType.EMAIL_SENT) >= 1

    await eventually(sent)


async def test_out_of_office_pauses_until_the_return_morning_in_the_leads_timezone(
    ts_env: WorkflowEnvironment, clean_db: Database, task_queue: str
) -> None:
    tz = ZoneInfo("America/New_York")
    async with running_worker(ts_env.client, clean_db, task_queue, router()):
        lead = await add_lead(clean_db, timezone="America/New_York")
        [handle] = await start_spec(ts_env.client, clean_db, task_queue, THREE_EMAILS, [lead.id])
        await _first_email(clean_db, lead.id)

        now = await ts_env.get_current_time()
        back = (now.astimezone(tz) + timedelta(days=10)).date()
        text = f"I am out of the office with no access to email. I'm back on {back.day} {back:%B}."
        reply = await _reply(ts_env, clean_db, task_queue, lead.id, text)

        # "Back on the 12th": the 12th is the first day back, from 09:00 in the lead's zone.
        expected = datetime.combine(back, time(9, 0), tzinfo=tz)
        assert reply.sequence.intent == "out_of_office"
        assert reply.sequence.action == "paused"
        assert reply.sequence.resume_at == expected.astimezone(UTC)
        assert reply.lead_status == LeadStatus.OUTREACHED  # an OOO is not a reply

        result = await run_to_end(ts_env, handle)
        await save_history(handle, "ooo_pause_resume")

    assert result.outcome == "completed"
    assert result.sends == 3
    sent = await outbound(clean_db, lead.id)
    second = sent[1]
    assert second.sent_at is not None
    # Resumed where it was: the second email goes out when the pause ends, not before.
    assert expected <= second.sent_at < expected + timedelta(minutes=5)
    assert (await lead_row(clean_db, lead.id)).status == LeadStatus.OUTREACHED
    assert await count_events(clean_db, lead.id, EventType.SEQUENCE_PAUSED) == 1
    assert await count_events(clean_db, lead.id, EventType.SEQUENCE_RESUMED) == 1


async def test_unsubscribe_reply_suppresses_and_stops(
    ts_env: WorkflowEnvironment, clean_db: Database, task_queue: str
) -> None:
    async with running_worker(ts_env.client, clean_db, task_queue, router()):
        lead = await add_lead(clean_db, email="gone@example.com")
        [handle] = await start_spec(ts_env.client, clean_db, task_queue, THREE_EMAILS, [lead.id])
        await _first_email(clean_db, lead.id)
        reply = await _reply(
            ts_env, clean_db, task_queue, lead.id, "Please remove me from your mailing list."
        )
        assert reply.sequence.intent == "unsubscribe"
        result = await run_to_end(ts_env, handle)
        await save_history(handle, "unsubscribe")

    assert result.outcome == "stopped"
    assert len(await outbound(clean_db, lead.id)) == 1
    assert (await lead_row(clean_db, lead.id)).status == LeadStatus.UNSUBSCRIBED
    async with clean_db.session() as session:
        rows = (await session.exec(select(Suppression))).all()
    assert [(r.email, r.reason) for r in rows] == [("gone@example.com", "reply: unsubscribe")]


async def test_a_reply_while_a_send_is_in_flight_still_stops_the_sequence(
    ts_env: WorkflowEnvironment, clean_db: Database, task_queue: str
) -> None:
    email = ScriptedChannel()
    email.gate = asyncio.Event()
    async with running_worker(ts_env.client, clean_db, task_queue, router(email=email)):
        lead = await add_lead(clean_db)
        [handle] = await start_spec(ts_env.client, clean_db, task_queue, THREE_EMAILS, [lead.id])
        await asyncio.wait_for(email.entered.wait(), 20)  # the provider call is under way

        reply_task = asyncio.create_task(
            _reply(ts_env, clean_db, task_queue, lead.id, "Yes, interested. Call me Tuesday.")
        )
        await asyncio.sleep(1)
        # The Update answers only once the sequence has handled the reply: not while the send
        # it arrived during is still in flight.
        assert not reply_task.done()
        email.gate.set()
        reply = await reply_task
        result = await run_to_end(ts_env, handle)
        await save_history(handle, "reply_during_send")

    assert reply.sequence.action == "stopped"
    assert reply.sequence.sends == 1
    assert result.outcome == "replied"
    assert email.calls == [1]
    assert len(await outbound(clean_db, lead.id)) == 1
    assert (await lead_row(clean_db, lead.id)).status == LeadStatus.REPLIED


async def test_auto_reply_is_ignored_and_low_confidence_asks_a_human(
    ts_env: WorkflowEnvironment, clean_db: Database, task_queue: str
) -> None:
    async with running_worker(ts_env.client, clean_db, task_queue, router()):
        lead = await add_lead(clean_db)
        [handle] = await start_spec(ts_env.client, clean_db, task_queue, THREE_EMAILS, [lead.id])
        await _first_email(clean_db, lead.id)
        unclear = await _reply(ts_env, clean_db, task_queue, lead.id, "Hmm.")
        assert unclear.sequence.intent == "other"
        assert unclear.sequence.action == "stopped"
        result = await run_to_end(ts_env, handle)

    assert result.outcome == "replied"
    notified = await events(clean_db, lead.id, EventType.OWNER_NOTIFIED)
    assert [e.details["intent"] for e in notified] == ["other"]
