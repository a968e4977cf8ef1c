"""AI-drafted steps: draft the message, and the approve_draft task a human answers.

`draft_step` renders the step's template (the fallback), lets `draft_with_guardrails` draft and
check, and records DRAFT_CREATED with every prompt, raw output and problem and the path that
won: what was sent and why stays answerable. Its result is the text; the workflow keeps it, so a
replay or a continue-as-new never drafts again, and a retried activity whose draft is already on
record returns that one instead of paying for (and auditing) a second.

A transient LLM failure (429, 5xx, timeout) is raised for Temporal to retry under LLM_POLICY with
the provider's Retry-After; on the policy's last attempt the template goes out instead, so a
long outage delays the step but never stalls it.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio import activity
from temporalio.exceptions import ApplicationError

from adapters.llm.base import TransientLLMError
from adapters.llm.drafts import Draft, Drafter, DraftRequest, draft_with_guardrails
from models.db import Database
from models.enums import FINAL_LEAD_STATUSES, EventType, TaskStatus
from models.tables import EventLog, Lead, Task
from sequences.templating import TemplateError, render
from services.channels.queries import suppression_for
from services.clock import activity_now
from services.events import add_event
from services.leads.context import template_context
from services.tasks.draft_records import APPROVE_DRAFT_TASK, record_decision, recorded_decision
from services.tasks.queries import open_task, task_for_step
from workflows.draft_contracts import (
    DRAFT_STEP_ACTIVITY,
    OPEN_DRAFT_TASK_ACTIVITY,
    SETTLE_DRAFT_TASK_ACTIVITY,
    DraftContent,
    DraftDecision,
    DraftStepInput,
    DraftStepResult,
    DraftTaskResult,
    OpenDraftTaskInput,
    SettleDraftTaskInput,
)
from workflows.errors import TEMPLATE_ERROR
from workflows.policies import LLM_POLICY


class DraftActivities:
    def __init__(self, db: Database, drafter: Drafter) -> None:
        self._db = db
        self._drafter = drafter

    @activity.defn(name=DRAFT_STEP_ACTIVITY)
    async def draft_step(self, inp: DraftStepInput) -> DraftStepResult:
        assert inp.step.ai is not None
        async with self._db.session() as session:
            lead = await session.get(Lead, uuid.UUID(inp.lead_id))
            if lead is None:
                return _skipped("lead deleted")
            if lead.status in FINAL_LEAD_STATUSES:
                return _skipped(f"lead is {lead.status}")
            if await suppression_for(session, lead.email, lead.phone) is not None:
                return _skipped("lead is suppressed")
            earlier = await _recorded_draft(session, inp)
            if earlier is not None:
                return earlier
        request = DraftRequest(
            lead=_lead_data(lead),
            brief=inp.step.ai.brief,
            channel=inp.step.channel.lower(),
            max_chars=inp.step.ai.max_chars,
            fallback=_fallback(inp, lead),
            language=str(lead.meta.get("language") or "en"),
        )
        attempt = activity.info().attempt
        last_try = LLM_POLICY.maximum_attempts > 0 and attempt >= LLM_POLICY.maximum_attempts
        try:
            outcome = await draft_with_guardrails(
                self._drafter, request, fallback_on_transient=last_try
            )
        except TransientLLMError as exc:
            raise ApplicationError(
                str(exc), type=exc.error_type, next_retry_delay=exc.retry_after
            ) from exc
        result = DraftStepResult(
            draft=DraftContent(
                subject=outcome.draft.subject, body=outcome.draft.body, source=outcome.path
            ),
            path=outcome.path,
            fallback_reason=outcome.fallback_reason,
        )
        async with self._db.session() as session:
            add_event(
                session,
                lead.id,
                EventType.DRAFT_CREATED,
                enrollment_id=inp.enrollment_id,
                campaign_id=inp.campaign_id,
                step=inp.step_no,
                step_id=inp.step.id,
                channel=inp.step.channel,
                drafter=getattr(self._drafter, "model", self._drafter.source),
                activity_attempt=attempt,
                brief=request.brief,
                lead_data=request.lead,
                template=request.fallback.model_dump(),
                attempts=[a.model_dump(mode="json") for a in outcome.attempts],
                **result.model_dump(mode="json"),
            )
            await session.commit()
        return result

    @activity.defn(name=OPEN_DRAFT_TASK_ACTIVITY)
    async def open_draft_task(self, inp: OpenDraftTaskInput) -> DraftTaskResult:
        """Idempotent: a second call for the step returns the task and any answer it has."""
        enrollment_id = uuid.UUID(inp.enrollment_id)
        async with self._db.session() as session:
            existing = await task_for_step(session, enrollment_id, inp.step_no)
            if existing is not None:
                return await _task_result(session, existing)
            lead = await session.get(Lead, uuid.UUID(inp.lead_id))
            assert lead is not None
            task = await open_task(
                session,
                lead,
                enrollment_id,
                inp.step_no,
                kind=APPROVE_DRAFT_TASK,
                action="approve",
                instructions=_instructions(inp, lead),
                due_at=inp.due_at,
                step=inp.step_no,
                draft=inp.drafted.draft.model_dump(),
                path=inp.drafted.path,
            )
            await session.commit()
            return DraftTaskResult(task_id=str(task.id), status="open")

    @activity.defn(name=SETTLE_DRAFT_TASK_ACTIVITY)
    async def settle_draft_task(self, inp: SettleDraftTaskInput) -> DraftTaskResult:
        """The approval timed out: close the task as rejected, unless a human answered first
        (the signal may have been lost or be on its way): then that answer stands."""
        async with self._db.session() as session:
            task = await session.get(Task, uuid.UUID(inp.task_id), with_for_update=True)
            assert task is not None
            if task.status == TaskStatus.OPEN:
                decision = DraftDecision(task_id=inp.task_id, decision="reject", by="timeout")
                reason = "approval timed out: the step's template goes out"
                record_decision(session, task, decision, activity_now(), reason)
                await session.commit()
            return await _task_result(session, task)


async def _task_result(session: AsyncSession, task: Task) -> DraftTaskResult:
    status = "open" if task.status == TaskStatus.OPEN else task.status
    assert status in ("open", "done", "skipped")
    return DraftTaskResult(
        task_id=str(task.id), status=status, decision=await recorded_decision(session, task)
    )


async def _recorded_draft(session: AsyncSession, inp: DraftStepInput) -> DraftStepResult | None:
    event = (
        await session.exec(
            select(EventLog)
            .where(
                EventLog.lead_id == uuid.UUID(inp.lead_id),
                EventLog.event_type == EventType.DRAFT_CREATED,
                col(EventLog.details)["enrollment_id"].astext == inp.enrollment_id,
                col(EventLog.details)["step"].astext == str(inp.step_no),
            )
            .limit(1)
        )
    ).first()
    return None if event is None else DraftStepResult.model_validate(event.details)


def _skipped(reason: str) -> DraftStepResult:
    # Nothing drafted, nobody asked: the send step refuses the lead and records why.
    return DraftStepResult(
        draft=DraftContent(body=""), path="template", fallback_reason=reason, skipped=True
    )


def _lead_data(lead: Lead) -> dict[str, str | int | float | None]:
    """What the model may write about. No email address or phone: it needs neither."""
    first, _, last = lead.name.strip().partition(" ")
    data: dict[str, str | int | float | None] = {
        "name": lead.name,
        "first_name": first or lead.name,
        "last_name": last or None,
        "company": lead.company,
        "title": lead.title,
    }
    for key, value in lead.meta.items():
        if isinstance(value, str | int | float) and key != "language":
            data[f"metadata.{key}"] = value
    return {k: v for k, v in data.items() if v not in (None, "")}


def _fallback(inp: DraftStepInput, lead: Lead) -> Draft:
    context: dict[str, Any] = template_context(lead)
    subject = inp.step.subject
    body = inp.step.body
    if inp.variant is not None:
        subject, body = inp.variant.subject or subject, inp.variant.body
    try:
        return Draft(
            subject=render(subject, context) if subject else None, body=render(body, context)
        )
    except TemplateError as exc:
        # The send step would fail the same way: ops fix the template (dead letter).
        raise ApplicationError(
            f"step {inp.step_no} ({inp.step.id}): {exc}", type=TEMPLATE_ERROR, non_retryable=True
        ) from exc


def _instructions(inp: OpenDraftTaskInput, lead: Lead) -> str:
    draft = inp.drafted.draft
    lines = [
        f"Approve, edit or reject the AI draft of step {inp.step_no} ({inp.step.id}, "
        f"{inp.step.channel.lower()}) to {lead.name}.",
        "Rejected or unanswered by the due time: the step's template goes out instead.",
        "",
    ]
    if draft.subject:
        lines += [f"Subject: {draft.subject}", ""]
    lines.append(draft.body)
    if inp.drafted.path == "template":
        lines += ["", f"(No AI draft: {inp.drafted.fallback_reason}. This is the template.)"]
    return "\n".join(lines)
