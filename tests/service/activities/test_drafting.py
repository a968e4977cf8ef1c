"""AI-drafted steps: draft_step (draft, fall back, audit once) and the approve_draft task."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.drafting import DraftActivities
from adapters.llm.base import PermanentLLMError, TransientLLMError
from adapters.llm.drafts import OFFLINE_REASON, Draft, DraftRequest, OpenAIDrafter, TemplateDrafter
from adapters.llm.openai_chat import Structured
from models.db import Database
from models.enums import EventType, LeadStatus, TaskStatus
from models.tables import EventLog, Suppression, Task
from services.tasks.draft_records import APPROVE_DRAFT_TASK, record_decision
from tests.helpers import enrolled_lead, events
from workflows.draft_contracts import (
    DraftContent,
    DraftDecision,
    DraftStepInput,
    OpenDraftTaskInput,
    SettleDraftTaskInput,
)
from workflows.errors import LLM_RATE_LIMITED, LLM_REFUSAL, TEMPLATE_ERROR
from workflows.policies import LLM_POLICY
from workflows.spec import AIDraftSpec, SendStep

BRIEF = "You are Grace from SalesPad. SalesPad runs outbound sequences as durable workflows."
STEP = SendStep(
    id="ai-intro",
    channel="EMAIL",
    subject="Hi {{ lead.first_name }}",
    body="Hello {{ lead.first_name }}, SalesPad runs outbound sequences. Open to a call?",
    ai=AIDraftSpec(brief=BRIEF, max_chars=400),
)
CLEAN = Draft(
    subject="Outbound sequences",
    body="Hi Ada, SalesPad runs outbound sequences as durable workflows. Open to a call? Grace",
)


class ScriptedDrafter(OpenAIDrafter):
    """The real prompt building; each completion is the next scripted draft or error."""

    def __init__(self, *script: Draft | Exception) -> None:
        super().__init__("sk-test", "http://127.0.0.1:9/v1", "scripted-model")
        self.script = list(script)
        self.calls = 0

    async def complete(
        self, request: DraftRequest, messages: list[dict[str, str]]
    ) -> Structured[Draft]:
        self.calls += 1
        result = self.script.pop(0)
        if isinstance(result, Exception):
            raise result
        return Structured(value=result, messages=messages, raw=result.model_dump_json())


async def _input(db: Database, **lead_fields: object) -> DraftStepInput:
    lead, enrollment = await enrolled_lead(db, **lead_fields)
    return DraftStepInput(
        lead_id=str(lead.id),
        enrollment_id=str(enrollment.id),
        campaign_id=str(enrollment.campaign_id),
        step_no=1,
        step=STEP,
    )


def _env(attempt: int = 1) -> ActivityEnvironment:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, attempt=attempt)
    return env


async def _drafted(db: Database, inp: DraftStepInput) -> list[EventLog]:
    return await events(db, uuid.UUID(inp.lead_id), EventType.DRAFT_CREATED)


async def test_the_template_drafter_drafts_the_rendered_template_once(clean_db: Database) -> None:
    inp = await _input(clean_db)
    acts = DraftActivities(clean_db, TemplateDrafter())
    first = await _env().run(acts.draft_step, inp)
    second = await _env(attempt=2).run(acts.draft_step, inp)

    assert first.path == "template"
    assert first.fallback_reason == OFFLINE_REASON
    assert first.draft.subject == "Hi Ada"
    assert first.draft.body == "Hello Ada, SalesPad runs outbound sequences. Open to a call?"
    assert first.draft.source == "template"
    assert not first.skipped
    assert second == first  # the retry returns what is on record
    [event] = await _drafted(clean_db, inp)
    assert (event.details["path"], event.details["drafter"]) == ("template", "template")
    assert event.details["step_id"] == "ai-intro"
    assert event.details["template"]["subject"] == "Hi Ada"


async def test_a_clean_llm_draft_goes_out_as_drafted_and_is_audited(clean_db: Database) -> None:
    inp = await _input(clean_db, company="Acme")
    drafter = ScriptedDrafter(CLEAN)
    res = await _env().run(DraftActivities(clean_db, drafter).draft_step, inp)

    assert (res.path, res.fallback_reason) == ("llm", None)
    assert res.draft == DraftContent(subject=CLEAN.subject, body=CLEAN.body, source="llm")
    [event] = await _drafted(clean_db, inp)
    assert event.details["drafter"] == "scripted-model"
    assert event.details["lead_data"]["company"] == "Acme"
    assert "email" not in event.details["lead_data"]  # the model never sees the address
    [attempt] = event.details["attempts"]
    assert attempt["path"] == "llm" and attempt["problems"] == []


async def test_a_transient_llm_error_is_retried_then_the_last_attempt_sends_the_template(
    clean_db: Database,
) -> None:
    inp = await _input(clean_db)
    busy = TransientLLMError("429", error_type=LLM_RATE_LIMITED, retry_after=timedelta(seconds=9))
    with pytest.raises(ApplicationError) as info:
        await _env().run(DraftActivities(clean_db, ScriptedDrafter(busy)).draft_step, inp)

    assert info.value.type == LLM_RATE_LIMITED
    assert not info.value.non_retryable
    assert info.value.next_retry_delay == timedelta(seconds=9)
    assert await _drafted(clean_db, inp) == []  # the retry drafts (and audits) afresh

    last = _env(attempt=LLM_POLICY.maximum_attempts)
    res = await last.run(DraftActivities(clean_db, ScriptedDrafter(busy)).draft_step, inp)
    assert res.path == "template"
    assert res.fallback_reason == "LLM error: LLMRateLimited: 429"
    assert res.draft.body == "Hello Ada, SalesPad runs outbound sequences. Open to a call?"
    [event] = await _drafted(clean_db, inp)
    assert event.details["activity_attempt"] == LLM_POLICY.maximum_attempts


async def test_a_permanent_llm_error_sends_the_template_without_a_retry(clean_db: Database) -> None:
    inp = await _input(clean_db)
    drafter = ScriptedDrafter(PermanentLLMError("no", error_type=LLM_REFUSAL))
    res = await _env().run(DraftActivities(clean_db, drafter).draft_step, inp)

    assert (res.path, res.fallback_reason) == ("template", "LLM error: LLMRefusal: no")
    assert res.draft.subject == "Hi Ada"
    assert drafter.calls == 1
    assert len(await _drafted(clean_db, inp)) == 1


@pytest.mark.parametrize("why", ["replied", "suppressed"])
async def test_no_draft_for_a_lead_that_must_not_be_contacted(clean_db: Database, why: str) -> None:
    replied = {"status": LeadStatus.REPLIED} if why == "replied" else {}
    inp = await _input(clean_db, email="gone@example.com", **replied)
    if why == "suppressed":
        async with clean_db.session() as session:
            session.add(Suppression(email="gone@example.com", reason="unsubscribed"))
            await session.commit()
    drafter = ScriptedDrafter(CLEAN)
    res = await _env().run(DraftActivities(clean_db, drafter).draft_step, inp)

    assert res.skipped and res.draft.body == ""
    assert res.fallback_reason == ("lead is REPLIED" if why == "replied" else "lead is suppressed")
    assert drafter.calls == 0
    assert await _drafted(clean_db, inp) == []


async def test_a_broken_template_fails_for_good_before_any_llm_call(clean_db: Database) -> None:
    inp = await _input(clean_db)
    bad = inp.model_copy(update={"step": STEP.model_copy(update={"body": "{{ lead.nickname }}"})})
    drafter = ScriptedDrafter(CLEAN)
    with pytest.raises(ApplicationError) as info:
        await _env().run(DraftActivities(clean_db, drafter).draft_step, bad)

    assert info.value.type == TEMPLATE_ERROR
    assert info.value.non_retryable
    assert "step 1 (ai-intro)" in str(info.value)
    assert drafter.calls == 0


async def _open(db: Database) -> tuple[OpenDraftTaskInput, DraftActivities]:
    inp = await _input(db, owner="grace")
    acts = DraftActivities(db, TemplateDrafter())
    drafted = await _env().run(acts.draft_step, inp)
    ids = inp.model_dump(include={"lead_id", "enrollment_id", "step_no"})
    due = datetime(2030, 1, 2, 9, tzinfo=UTC)
    return OpenDraftTaskInput(**ids, step=STEP, drafted=drafted, due_at=due), acts


async def _tasks(db: Database) -> list[Task]:
    async with db.session() as session:
        return list((await session.exec(select(Task))).all())


async def test_the_approval_task_is_opened_once(clean_db: Database) -> None:
    inp, acts = await _open(clean_db)
    first = await _env().run(acts.open_draft_task, inp)
    second = await _env().run(acts.open_draft_task, inp)

    assert (first.status, first.decision) == ("open", None)
    assert second == first
    [task] = await _tasks(clean_db)
    assert str(task.id) == first.task_id
    assert (task.kind, task.action, task.owner) == (APPROVE_DRAFT_TASK, "approve", "grace")
    assert task.due_at == inp.due_at
    assert "Subject: Hi Ada" in task.instructions
    assert "(No AI draft: offline: no OPENAI_API_KEY. This is the template.)" in task.instructions
    assert len(await events(clean_db, uuid.UUID(inp.lead_id), EventType.TASK_CREATED)) == 1


async def test_an_unanswered_approval_is_settled_as_rejected(clean_db: Database) -> None:
    inp, acts = await _open(clean_db)
    opened = await _env().run(acts.open_draft_task, inp)
    settle = SettleDraftTaskInput(task_id=opened.task_id)
    res = await _env().run(acts.settle_draft_task, settle)
    again = await _env().run(acts.settle_draft_task, settle)

    assert res.status == "skipped"
    assert res.decision is not None
    assert (res.decision.decision, res.decision.by) == ("reject", "timeout")
    assert again == res
    [task] = await _tasks(clean_db)
    assert task.status == TaskStatus.SKIPPED
    assert task.note == "approval timed out: the step's template goes out"
    assert task.completed_at is not None
    [rejected] = await events(clean_db, uuid.UUID(inp.lead_id), EventType.DRAFT_REJECTED)
    assert rejected.details["task_id"] == opened.task_id


async def test_a_human_answer_stands_when_the_approval_times_out(clean_db: Database) -> None:
    inp, acts = await _open(clean_db)
    opened = await _env().run(acts.open_draft_task, inp)
    edit = DraftDecision(task_id=opened.task_id, decision="edit", body="Hi Ada, edited by Grace.")
    async with clean_db.session() as session:
        task = await session.get(Task, uuid.UUID(opened.task_id), with_for_update=True)
        assert task is not None
        record_decision(session, task, edit, datetime.now(UTC))
        await session.commit()

    res = await _env().run(acts.settle_draft_task, SettleDraftTaskInput(task_id=opened.task_id))
    reopened = await _env().run(acts.open_draft_task, inp)

    assert res.status == "done"
    assert res.decision == edit
    assert reopened == res  # a retried open_draft_task reads the answer too
    [task] = await _tasks(clean_db)
    assert task.status == TaskStatus.DONE
    lead_id = uuid.UUID(inp.lead_id)
    assert await events(clean_db, lead_id, EventType.DRAFT_REJECTED) == []
    assert len(await events(clean_db, lead_id, EventType.DRAFT_APPROVED)) == 1
