"""The demo sequence on the time-skipping server, with the real worker, activities and DB."""

from __future__ import annotations

import uuid

from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from models.db import Database
from models.enums import DeliveryStatus, EnrollmentState, EventType, LeadStatus
from services.campaigns.service import compile_sequence, launch_campaign
from services.gateway import LeadWorkflows
from services.replies.schemas import ReplyCreate
from services.replies.service import handle_reply
from tests.helpers import (
    add_lead,
    enrollments,
    events,
    eventually,
    lead_row,
    outbound,
    run_to_end,
    save_history,
)
from workflows.contracts import LeadSequenceResult


async def _enroll(
    env: WorkflowEnvironment, db: Database, task_queue: str, lead_id: uuid.UUID
) -> WorkflowHandle[object, LeadSequenceResult]:
    async with db.session() as session:
        result = await launch_campaign(
            session,
            LeadWorkflows(env.client, task_queue),
            "test",
            compile_sequence("demo"),
            [lead_id],
        )
    assert [e.lead_id for e in result.enrolled] == [lead_id], result
    return env.client.get_workflow_handle(
        result.enrolled[0].workflow_id, result_type=LeadSequenceResult
    )


async def test_demo_sequence_runs_to_the_end(
    ts_env: WorkflowEnvironment, ts_worker: Worker, clean_db: Database, task_queue: str
) -> None:
    lead = await add_lead(clean_db, name="Ada Lovelace", company="Analytical Engines")
    handle = await _enroll(ts_env, clean_db, task_queue, lead.id)

    result = await run_to_end(ts_env, handle)
    await save_history(handle, "demo_completed")

    assert result.outcome == "completed"
    assert result.sends == 3
    sent = await outbound(clean_db, lead.id)
    assert [m.step for m in sent] == [1, 3, 5]
    assert all(m.delivery_status == DeliveryStatus.SENT for m in sent)
    assert sent[0].subject == "Quick question, Ada"
    assert "Analytical Engines" in sent[0].content
    assert len(await events(clean_db, lead.id, EventType.EMAIL_SENT)) == 3
    assert len(await events(clean_db, lead.id, EventType.SEQUENCE_COMPLETED)) == 1
    assert (await lead_row(clean_db, lead.id)).status == LeadStatus.OUTREACHED
    [enrollment] = await enrollments(clean_db, lead.id)
    assert enrollment.state == EnrollmentState.COMPLETED
    assert enrollment.current_step == 5


async def test_follow_ups_are_ten_seconds_apart(
    ts_env: WorkflowEnvironment, ts_worker: Worker, clean_db: Database, task_queue: str
) -> None:
    lead = await add_lead(clean_db)
    handle = await _enroll(ts_env, clean_db, task_queue, lead.id)
    await run_to_end(ts_env, handle)

    sent = await outbound(clean_db, lead.id)
    # sent_at is wall-clock, so read the workflow's own timeline: the timers fired 10 s apart.
    history = await handle.fetch_history()
    timers = [e for e in history.events if e.HasField("timer_started_event_attributes")]
    assert [t.timer_started_event_attributes.start_to_fire_timeout.seconds for t in timers] == [
        10,
        10,
    ]
    assert len(sent) == 3


async def test_reply_after_first_email_stops_the_sequence(
    ts_env: WorkflowEnvironment, ts_worker: Worker, clean_db: Database, task_queue: str
) -> None:
    lead = await add_lead(clean_db)
    handle = await _enroll(ts_env, clean_db, task_queue, lead.id)

    async def first_sent() -> bool:
        return len(await events(clean_db, lead.id, EventType.EMAIL_SENT)) == 1

    await eventually(first_sent)
    async with clean_db.session() as session:
        reply = await handle_reply(
            session,
            LeadWorkflows(lambda: _client(ts_env), task_queue),
            lead.id,
            ReplyCreate(content="Sounds good, let's set up a call.", message_id="msg-1"),
            update_timeout=10,
        )

    assert reply.sequence.delivered == "update"
    assert reply.sequence.action == "stopped"
    assert reply.sequence.intent == "interested"
    assert reply.sequence.sends == 1
    assert reply.lead_status == LeadStatus.REPLIED
    result = await run_to_end(ts_env, handle)
    await save_history(handle, "demo_replied")
    assert result.outcome == "replied"
    assert result.sends == 1
    assert len(await outbound(clean_db, lead.id)) == 1
    assert (await lead_row(clean_db, lead.id)).status == LeadStatus.REPLIED
    [enrollment] = await enrollments(clean_db, lead.id)
    assert enrollment.state == EnrollmentState.REPLIED


async def test_a_reply_recorded_while_no_update_arrives_still_stops_sends(
    ts_env: WorkflowEnvironment, ts_worker: Worker, clean_db: Database, task_queue: str
) -> None:
    """The database is the source of truth: a recorded reply is handled before any further
    send, even if the workflow was never told (Temporal unreachable when the reply came in)."""
    lead = await add_lead(clean_db)
    handle = await _enroll(ts_env, clean_db, task_queue, lead.id)

    async def first_sent() -> bool:
        return len(await events(clean_db, lead.id, EventType.EMAIL_SENT)) == 1

    await eventually(first_sent)

    async def unreachable() -> object:
        from services.errors import ServiceUnavailable

        raise ServiceUnavailable("Temporal is not reachable")

    async with clean_db.session() as session:
        reply = await handle_reply(
            session,
            LeadWorkflows(unreachable, task_queue),  # type: ignore[arg-type]
            lead.id,
            ReplyCreate(content="Yes, I'm interested. Let's talk next week."),
            update_timeout=1,
        )
    assert reply.sequence.delivered == "deferred"
    assert reply.lead_status == LeadStatus.OUTREACHED  # not classified yet

    # The next send finds the unhandled reply and hands it to the sequence instead of sending.
    result = await run_to_end(ts_env, handle)
    assert result.outcome == "replied"
    assert len(await outbound(clean_db, lead.id)) == 1
    assert (await lead_row(clean_db, lead.id)).status == LeadStatus.REPLIED
    [classified] = await events(clean_db, lead.id, EventType.INTENT_CLASSIFIED)
    assert classified.details["intent"] == "interested"


async def _client(env: WorkflowEnvironment):  # type: ignore[no-untyped-def]
    return env.client
