"""Bookkeeping for an enrollment's life: lead facts for branches, state changes with the event
that says why (and the ops alert for dead letters), tasks for humans, and its end."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio import activity

from models.db import Database
from models.enums import DeliveryStatus, EnrollmentState, EventType, TaskStatus
from models.tables import Enrollment, Lead, Message, Task, utcnow
from sequences.templating import TemplateError, render
from services.events import add_event
from services.leads.context import template_context
from services.tasks.queries import open_task, task_for_step
from workflows.contracts import (
    CREATE_TASK_ACTIVITY,
    FINISH_ENROLLMENT_ACTIVITY,
    LOAD_LEAD_FACTS_ACTIVITY,
    RECORD_STATE_ACTIVITY,
    RELEASE_CLAIM_ACTIVITY,
    CreateTaskInput,
    CreateTaskResult,
    EnrollmentStateInput,
    FinishEnrollmentInput,
    LeadFacts,
    LoadFactsInput,
    ReleaseClaimInput,
)

MAX_FACT_CHARS = 1_000

log = logging.getLogger(__name__)

_STATE_BY_OUTCOME = {
    "completed": EnrollmentState.COMPLETED,
    "replied": EnrollmentState.REPLIED,
    "stopped": EnrollmentState.STOPPED,
    "skipped": EnrollmentState.STOPPED,
}


class EnrollmentActivities:
    def __init__(self, db: Database, ops_webhook_url: str | None = None) -> None:
        self._db = db
        self._ops_webhook_url = ops_webhook_url

    @activity.defn(name=LOAD_LEAD_FACTS_ACTIVITY)
    async def load_lead_facts(self, inp: LoadFactsInput | str) -> LeadFacts:
        # A bare lead id is what workflows scheduled before LoadFactsInput: those tasks may
        # still be queued or retrying, so both shapes are accepted.
        lead_id = inp if isinstance(inp, str) else inp.lead_id
        async with self._db.session() as session:
            lead = await session.get(Lead, uuid.UUID(lead_id))
        if lead is None:
            return LeadFacts(status="NEW", has_email=False, has_phone=False, timezone=None)
        candidates = {
            "company": lead.company,
            "title": lead.title,
            "owner": lead.owner,
            **{f"metadata.{k}": v for k, v in lead.meta.items()},
        }
        # Branches compare short values; a long one never travels into the workflow's history
        # (and a lead stored before metadata was bounded cannot exceed Temporal's payload limit).
        fields = {
            k: text
            for k, v in candidates.items()
            if v not in (None, "") and len(text := str(v)) <= MAX_FACT_CHARS
        }
        return LeadFacts(
            status=lead.status,
            has_email=bool(lead.email),
            has_phone=bool(lead.phone),
            timezone=lead.timezone,
            fields=fields,
        )

    @activity.defn(name=RECORD_STATE_ACTIVITY)
    async def record_enrollment_state(self, inp: EnrollmentStateInput) -> None:
        async with self._db.session() as session:
            await session.exec(
                update(Enrollment)
                .where(col(Enrollment.id) == uuid.UUID(inp.enrollment_id))
                .values(state=inp.state, current_step=inp.current_step, updated_at=utcnow())
            )
            if inp.event:
                details: dict[str, Any] = {
                    "enrollment_id": inp.enrollment_id,
                    "step": inp.current_step,
                    **inp.details,
                }
                add_event(session, uuid.UUID(inp.lead_id), EventType(inp.event), **details)
            await session.commit()
        if inp.event == EventType.DEAD_LETTERED and self._ops_webhook_url:
            await self._alert(inp)

    async def _alert(self, inp: EnrollmentStateInput) -> None:
        """Best effort: the EventLog row and NeedsAttention are the record; this is a nudge."""
        assert self._ops_webhook_url
        payload = {
            "event": "DEAD_LETTERED",
            "lead_id": inp.lead_id,
            "enrollment_id": inp.enrollment_id,
            "step": inp.current_step,
            **inp.details,
        }
        try:
            async with httpx.AsyncClient(timeout=5) as client:
                await client.post(self._ops_webhook_url, json=payload)
        except httpx.HTTPError as exc:
            log.warning("ops webhook failed: %s", exc)

    @activity.defn(name=CREATE_TASK_ACTIVITY)
    async def create_task(self, inp: CreateTaskInput) -> CreateTaskResult:
        enrollment_id = uuid.UUID(inp.enrollment_id)
        async with self._db.session() as session:
            existing = await task_for_step(session, enrollment_id, inp.step_no)
            if existing is not None:
                return CreateTaskResult(task_id=str(existing.id), status=existing.status)
            lead = await session.get(Lead, uuid.UUID(inp.lead_id))
            assert lead is not None
            try:
                instructions = render(inp.step.instructions, template_context(lead))
            except TemplateError as exc:
                instructions = f"{inp.step.instructions}\n\n(template error: {exc})"
            task = await open_task(
                session,
                lead,
                enrollment_id,
                inp.step_no,
                kind=inp.step.task_type,
                action=inp.step.action,
                instructions=instructions,
                due_at=inp.due_at,
            )
            await session.commit()
            return CreateTaskResult(task_id=str(task.id), status="open")

    @activity.defn(name=RELEASE_CLAIM_ACTIVITY)
    async def release_send_claim(self, inp: ReleaseClaimInput) -> None:
        """Ops confirmed an unconfirmed send never went out: free its key for a new attempt."""
        async with self._db.session() as session:
            message = (
                await session.exec(
                    select(Message).where(Message.idempotency_key == inp.idempotency_key)
                )
            ).first()
            if message is None or message.delivery_status != DeliveryStatus.SENDING:
                return
            message.delivery_status = DeliveryStatus.FAILED
            message.idempotency_key = f"{inp.idempotency_key}:released-{message.id}"
            add_event(
                session,
                uuid.UUID(inp.lead_id),
                EventType.CLAIM_RELEASED,
                idempotency_key=inp.idempotency_key,
                note=inp.note,
            )
            await session.commit()

    @activity.defn(name=FINISH_ENROLLMENT_ACTIVITY)
    async def finish_enrollment(self, inp: FinishEnrollmentInput) -> None:
        async with self._db.session() as session:
            await record_enrollment_end(session, inp)
            await session.commit()


async def record_enrollment_end(session: AsyncSession, inp: FinishEnrollmentInput) -> None:
    """The enrollment's end: state, SEQUENCE_COMPLETED / STOPPED, open tasks cancelled. Once:
    a second call changes nothing, except that an end the last send recorded as completed
    takes the outcome of a reply handled after it (the lead replied to the last message)."""
    enrollment = await session.get(Enrollment, uuid.UUID(inp.enrollment_id))
    if enrollment is None:
        return
    if enrollment.ended_at is not None:
        if enrollment.state == EnrollmentState.COMPLETED and inp.outcome != "completed":
            enrollment.state = _STATE_BY_OUTCOME[inp.outcome]
            enrollment.updated_at = utcnow()
        return
    now = utcnow()
    enrollment.state = _STATE_BY_OUTCOME[inp.outcome]
    enrollment.ended_at = now
    enrollment.updated_at = now
    if inp.last_step is not None:
        enrollment.current_step = inp.last_step
    event = (
        EventType.SEQUENCE_COMPLETED if inp.outcome == "completed" else EventType.SEQUENCE_STOPPED
    )
    add_event(
        session,
        uuid.UUID(inp.lead_id),
        event,
        enrollment_id=inp.enrollment_id,
        campaign_id=str(enrollment.campaign_id),
        outcome=inp.outcome,
        sends=inp.sends,
        last_step=inp.last_step,
        reason=inp.reason,
    )
    await _cancel_open_tasks(session, enrollment, inp.outcome, now)


async def _cancel_open_tasks(
    session: AsyncSession, enrollment: Enrollment, outcome: str, now: datetime
) -> None:
    """The sequence's own open steps (LinkedIn, manual, draft approvals) end with it: nobody
    should do them now. A reply a human must read is no step of the sequence and stays open."""
    rows = await session.exec(
        select(Task).where(Task.enrollment_id == enrollment.id, Task.status == TaskStatus.OPEN)
    )
    for task in rows.all():
        task.status = TaskStatus.CANCELLED
        task.completed_at = now
        task.note = f"the sequence ended ({outcome}) before this was done"
        add_event(
            session,
            task.lead_id,
            EventType.TASK_CANCELLED,
            task_id=str(task.id),
            enrollment_id=str(enrollment.id),
            reason=outcome,
        )
