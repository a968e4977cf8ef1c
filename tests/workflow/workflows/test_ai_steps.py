"""AI-drafted steps and the LLM reply path, through the workflow, with the real openai SDK talking
to a fake OpenAI-compatible server: drafts, human approval, fallbacks, and Temporal's retries."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from adapters.channels.base import OutboundContent, Recipient, SendResult
from adapters.channels.outbox import OutboxChannel
from adapters.llm.drafts import OpenAIDrafter
from adapters.llm.openai_client import OpenAIClassifier
from models.db import Database
from models.enums import EventType, TaskStatus
from models.tables import Task
from sequences import AIDraft, Email, Sequence, Wait
from services.gateway import LeadWorkflows
from services.replies.schemas import ReplyCreate
from services.replies.service import handle_reply
from services.tasks.drafts import answer_draft
from services.tasks.schemas import DraftAnswer
from tests.fakes.openai import FakeOpenAI
from tests.helpers import (
    add_lead,
    count_events,
    events,
    eventually,
    history_events,
    outbound,
    run_to_end,
    save_history,
    start_spec,
)
from tests.workers import router, running_worker
from workflows.contracts import STATUS_QUERY, SequenceStatus

MODEL = "gpt-test-mini"
BRIEF = (
    "You are Grace from SalesPad. SalesPad runs outbound sequences as durable workflows, so no "
    "follow-up is ever lost. Ask for a short call."
)
TEMPLATE_SUBJECT = "Hi {{ lead.first_name }}"
TEMPLATE_BODY = "Hi {{ lead.first_name }},\n\nSalesPad keeps follow-ups on time. Open to a call?"
RENDERED_SUBJECT = "Hi Ada"
RENDERED_BODY = "Hi Ada,\n\nSalesPad keeps follow-ups on time. Open to a call?"
CLEAN_DRAFT = {
    "subject": "Follow-ups at Acme Analytics",
    "body": (
        "Hi Ada,\n\nAs VP Sales at Acme Analytics you know how follow-ups slip. SalesPad runs "
        "outbound sequences as durable workflows, so none is ever lost.\n\n"
        "Open to a short call?\n\nGrace"
    ),
}
INVENTED_DRAFT = {
    "subject": "Follow-ups at Acme Analytics",
    "body": "Hi Ada,\n\nGlobex cut its costs by 42% with SalesPad. Open to a call?\n\nGrace",
}


def ai_sequence(*, approve: bool, timeout: timedelta = timedelta(days=1)) -> Any:
    return Sequence(
        f"ai-{'approve' if approve else 'auto'}",
        Email(
            "intro",
            subject=TEMPLATE_SUBJECT,
            body=TEMPLATE_BODY,
            ai=AIDraft(brief=BRIEF, max_chars=600, approve=approve, approval_timeout=timeout),
        ),
        Wait(days=2),
        Email("bump", body="Just bumping this up.", thread=True),
    ).compile()


class RecordingChannel(OutboxChannel):
    """The outbox, keeping exactly what reached the provider."""

    def __init__(self) -> None:
        super().__init__("EMAIL", io.StringIO())
        self.sent: list[OutboundContent] = []

    async def send(self, lead: Recipient, content: OutboundContent) -> SendResult:
        self.sent.append(content)
        return await super().send(lead, content)


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI()
    server.start()
    yield server
    server.stop()


def drafter(fake: FakeOpenAI) -> OpenAIDrafter:
    return OpenAIDrafter(fake.api_key, fake.base_url, MODEL, timeout=5)


async def _lead(db: Database) -> uuid.UUID:
    lead = await add_lead(db, company="Acme Analytics", title="VP Sales", owner="grace")
    return lead.id


async def _awaiting_task(handle: WorkflowHandle[Any, Any]) -> str:
    async def probe() -> str:
        status: SequenceStatus = await handle.query(STATUS_QUERY, result_type=SequenceStatus)
        return status.awaiting_approval or ""

    return await eventually(probe)


async def _answer(
    env: WorkflowEnvironment, db: Database, task_id: str, decision: Any, **edit: str
) -> DraftAnswer:
    async def client() -> Any:
        return env.client

    async with db.session() as session:
        workflows = LeadWorkflows(client, task_queue="(signals only)")
        return await answer_draft(session, workflows, uuid.UUID(task_id), decision, **edit)


async def _task(db: Database, task_id: str) -> Task:
    async with db.session() as session:
        task = (await session.exec(select(Task).where(Task.id == uuid.UUID(task_id)))).one()
    return task


# --- approval -----------------------------------------------------------------------------------


async def test_an_approval_step_waits_and_an_edit_is_sent_exactly(
    ts_env: WorkflowEnvironment, clean_db: Database, task_queue: str, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reply_json(CLEAN_DRAFT)
    email = RecordingChannel()
    channels = router(email=email)
    async with running_worker(
        ts_env.client, clean_db, task_queue, channels, drafter=drafter(fake_openai)
    ):
        lead_id = await _lead(clean_db)
        [handle] = await start_spec(
            ts_env.client, clean_db, task_queue, ai_sequence(approve=True), [lead_id]
        )
        task_id = await _awaiting_task(handle)
        await ts_env.sleep(timedelta(hours=6))

        # Waiting: nothing sent, the open task holds the draft for the human.
        assert email.sent == []
        assert await outbound(clean_db, lead_id) == []
        task = await _task(clean_db, task_id)
        assert (task.kind, task.status, task.owner) == ("approve_draft", TaskStatus.OPEN, "grace")
        assert CLEAN_DRAFT["body"] in task.instructions
        assert f"Subject: {CLEAN_DRAFT['subject']}" in task.instructions
        status = await handle.query(STATUS_QUERY, result_type=SequenceStatus)
        assert status.awaiting_approval == task_id and status.sends == 0

        edited_subject = "Ada - a thought on follow-ups"
        edited_body = "Hi Ada,\n\nEdited by Grace herself, sent as typed.  \n\n-- G"
        answer = await _answer(
            ts_env, clean_db, task_id, "edit", subject=edited_subject, body=edited_body
        )
        assert (answer.decision, answer.signalled) == ("edit", True)
        result = await run_to_end(ts_env, handle)
        await save_history(handle, "ai_draft_edit")

    assert result.outcome == "completed" and result.sends == 2
    first = (await outbound(clean_db, lead_id))[0]
    assert (first.subject, first.content) == (edited_subject, edited_body)
    assert first.details["content"] == "edited"
    assert (email.sent[0].subject, email.sent[0].body) == (edited_subject, edited_body)
    # The follow-up is a plain template step, threaded under the edited subject.
    assert email.sent[1].subject == f"Re: {edited_subject}"
    assert email.sent[1].body == "Just bumping this up."
    [approved] = await events(clean_db, lead_id, EventType.DRAFT_APPROVED)
    assert approved.details["decision"] == "edit"
    assert approved.details["body"] == edited_body
    assert (await _task(clean_db, task_id)).status == TaskStatus.DONE
    assert len(fake_openai.calls()) == 1  # drafted once, never again


async def test_a_rejected_draft_falls_back_to_the_template(
    ts_env: WorkflowEnvironment, clean_db: Database, task_queue: str, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reply_json(CLEAN_DRAFT)
    email = RecordingChannel()
    async with running_worker(
        ts_env.client, clean_db, task_queue, router(email=email), drafter=drafter(fake_openai)
    ):
        lead_id = await _lead(clean_db)
        [handle] = await start_spec(
            ts_env.client, clean_db, task_queue, ai_sequence(approve=True), [lead_id]
        )
        task_id = await _awaiting_task(handle)
        answer = await _answer(ts_env, clean_db, task_id, "reject")
        assert answer.status == TaskStatus.SKIPPED
        await run_to_end(ts_env, handle)

    first = (await outbound(clean_db, lead_id))[0]
    assert (first.subject, first.content) == (RENDERED_SUBJECT, RENDERED_BODY)
    assert "content" not in first.details  # rendered by the send step, as any template
    assert (email.sent[0].subject, email.sent[0].body) == (RENDERED_SUBJECT, RENDERED_BODY)
    [rejected] = await events(clean_db, lead_id, EventType.DRAFT_REJECTED)
    assert (rejected.details["decision"], rejected.details["by"]) == ("reject", "user")


async def test_an_unanswered_draft_times_out_to_the_template(
    ts_env: WorkflowEnvironment, clean_db: Database, task_queue: str, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reply_json(CLEAN_DRAFT)
    timeout = timedelta(hours=8)
    async with running_worker(
        ts_env.client, clean_db, task_queue, router(), drafter=drafter(fake_openai)
    ):
        lead_id = await _lead(clean_db)
        [handle] = await start_spec(
            ts_env.client,
            clean_db,
            task_queue,
            ai_sequence(approve=True, timeout=timeout),
            [lead_id],
        )
        task_id = await _awaiting_task(handle)
        asked_at = await ts_env.get_current_time()
        result = await run_to_end(ts_env, handle, step=timedelta(minutes=30))
        await save_history(handle, "ai_draft_timeout")

    assert result.sends == 2
    first = (await outbound(clean_db, lead_id))[0]
    assert (first.subject, first.content) == (RENDERED_SUBJECT, RENDERED_BODY)
    assert first.sent_at is not None
    assert asked_at + timeout - timedelta(minutes=5) <= first.sent_at
    assert first.sent_at < asked_at + timeout + timedelta(minutes=35)
    task = await _task(clean_db, task_id)
    assert task.status == TaskStatus.SKIPPED
    [rejected] = await events(clean_db, lead_id, EventType.DRAFT_REJECTED)
    assert rejected.details["by"] == "timeout"
    # Too late: the answer the database holds (the timeout) stands.
    with pytest.raises(Exception, match="already answered"):
        await _answer(ts_env, clean_db, task_id, "approve")


# --- drafting without approval ------------------------------------------------------------------


async def test_an_invented_fact_is_retried_then_the_template_goes_out_and_all_is_on_record(
    ts_env: WorkflowEnvironment, clean_db: Database, task_queue: str, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reply_json(INVENTED_DRAFT)
    fake_openai.reply_json(INVENTED_DRAFT)
    async with running_worker(
        ts_env.client, clean_db, task_queue, router(), drafter=drafter(fake_openai)
    ):
        lead_id = await _lead(clean_db)
        [handle] = await start_spec(
            ts_env.client, clean_db, task_queue, ai_sequence(approve=False), [lead_id]
        )
        await run_to_end(ts_env, handle)

    first = (await outbound(clean_db, lead_id))[0]
    assert (first.subject, first.content) == (RENDERED_SUBJECT, RENDERED_BODY)
    calls = fake_openai.calls()
    assert len(calls) == 2
    retry = json.loads(calls[1].content_of("user"))
    assert retry["problems"] == [
        "numbers not in the lead data or brief: 42%",
        "names not in the lead data or brief: Globex",
    ]
    [created] = await events(clean_db, lead_id, EventType.DRAFT_CREATED)
    audit = created.details
    assert audit["path"] == "template" and "after a retry" in audit["fallback_reason"]
    assert audit["draft"]["body"] == RENDERED_BODY
    assert [a["path"] for a in audit["attempts"]] == ["llm", "llm_retry"]
    for attempt, call in zip(audit["attempts"], calls, strict=True):
        assert attempt["prompt"][1]["content"] == call.content_of("user")
        assert attempt["raw_output"] == json.dumps(INVENTED_DRAFT)
        assert attempt["problems"] == retry["problems"]
    assert audit["step"] == 1 and audit["drafter"] == MODEL


async def test_a_clean_draft_goes_out_as_drafted_after_a_rate_limit_retry(
    ts_env: WorkflowEnvironment, clean_db: Database, task_queue: str, fake_openai: FakeOpenAI
) -> None:
    fake_openai.fail(429, "Rate limit reached", retry_after="1")
    fake_openai.reply_json(CLEAN_DRAFT)
    async with running_worker(
        ts_env.client, clean_db, task_queue, router(), drafter=drafter(fake_openai)
    ):
        lead_id = await _lead(clean_db)
        [handle] = await start_spec(
            ts_env.client, clean_db, task_queue, ai_sequence(approve=False), [lead_id]
        )
        await run_to_end(ts_env, handle)

    first = (await outbound(clean_db, lead_id))[0]
    assert (first.subject, first.content) == (CLEAN_DRAFT["subject"], CLEAN_DRAFT["body"])
    assert first.details["content"] == "llm"
    assert len(fake_openai.calls()) == 2
    [created] = await events(clean_db, lead_id, EventType.DRAFT_CREATED)
    assert (created.details["path"], created.details["activity_attempt"]) == ("llm", 2)
    assert await count_events(clean_db, lead_id, EventType.TASK_CREATED) == 0


# --- the LLM reply classifier through the workflow ----------------------------------------------


async def test_a_reply_is_classified_by_the_llm_after_temporal_retries_a_429(
    ts_env: WorkflowEnvironment, clean_db: Database, task_queue: str, fake_openai: FakeOpenAI
) -> None:
    plain = Sequence(
        "plain",
        Email("a", subject="Hi {{ lead.first_name }}", body="one"),
        Wait(days=2),
        Email("b", body="two", thread=True),
    ).compile()
    fake_openai.fail(429, "Rate limit reached", retry_after="1")
    fake_openai.reply_json(
        {
            "reason": "asks for a call on Tuesday",
            "intent": "interested",
            "confidence": 0.93,
            "return_date": None,
            "referral_name": None,
            "referral_email": None,
        }
    )
    classifier = OpenAIClassifier(fake_openai.api_key, fake_openai.base_url, MODEL, timeout=5)
    async with running_worker(ts_env.client, clean_db, task_queue, router(), classifier=classifier):
        lead_id = await _lead(clean_db)
        [handle] = await start_spec(ts_env.client, clean_db, task_queue, plain, [lead_id])

        async def first_sent() -> bool:
            return await count_events(clean_db, lead_id, EventType.EMAIL_SENT) == 1

        await eventually(first_sent)

        async def client() -> Any:
            return ts_env.client

        async with clean_db.session() as session:
            reply = await handle_reply(
                session,
                LeadWorkflows(client, task_queue),
                lead_id,
                ReplyCreate(content="Sounds good, call me Tuesday?"),
                update_timeout=30,
            )
        result = await run_to_end(ts_env, handle)
        history = await history_events(handle)

    assert reply.sequence is not None and reply.sequence.intent == "interested"
    assert result.outcome == "replied" and result.sends == 1
    [classified] = await events(clean_db, lead_id, EventType.INTENT_CLASSIFIED)
    assert classified.details["source"] == "llm"
    assert classified.details["intent"] == "interested"
    assert len(fake_openai.calls()) == 2
    assert "Sounds good, call me Tuesday?" in fake_openai.last_call().content_of("user")
    scheduled = {
        e.event_id
        for e in history
        if e.activity_task_scheduled_event_attributes.activity_type.name == "process_reply"
    }
    [started] = [
        e.activity_task_started_event_attributes
        for e in history
        if e.activity_task_started_event_attributes.scheduled_event_id in scheduled
    ]
    # One ActivityTaskStarted per activity, written for its last attempt: Temporal retried.
    assert started.attempt == 2
