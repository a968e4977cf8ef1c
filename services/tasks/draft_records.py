"""The approve_draft task's answer, in the database: written once, read back by anyone.

The API (a human answers) and the sequence (the approval timed out) both settle a task here,
under the task's row lock, so exactly one answer wins. The answer lives in the task's row
(status) and in its DRAFT_APPROVED / DRAFT_REJECTED event (the edited text): a sequence that
missed the signal reads the same decision back from here.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import EventType, TaskStatus
from models.tables import EventLog, Task
from services.events import add_event
from workflows.draft_contracts import DraftDecision

APPROVE_DRAFT_TASK = "approve_draft"
_DECISION_EVENTS = (EventType.DRAFT_APPROVED, EventType.DRAFT_REJECTED)


async def recorded_decision(session: AsyncSession, task: Task) -> DraftDecision | None:
    """None while the task is open."""
    if task.status == TaskStatus.OPEN:
        return None
    event = (
        await session.exec(
            select(EventLog)
            .where(
                EventLog.lead_id == task.lead_id,
                col(EventLog.event_type).in_(_DECISION_EVENTS),
                col(EventLog.details)["task_id"].astext == str(task.id),
            )
            .order_by(col(EventLog.id).desc())
            .limit(1)
        )
    ).first()
    if event is not None:
        return DraftDecision.model_validate({**event.details, "task_id": str(task.id)})
    # Answered through /tasks/{id}/complete or /skip: done sends the draft as it is.
    decision = "approve" if task.status == TaskStatus.DONE else "reject"
    return DraftDecision(task_id=str(task.id), decision=decision)


def record_decision(
    session: AsyncSession, task: Task, decision: DraftDecision, at: datetime, reason: str = ""
) -> None:
    """Close an open task with `decision` in the caller's transaction."""
    assert task.status == TaskStatus.OPEN
    rejected = decision.decision == "reject"
    task.status = TaskStatus.SKIPPED if rejected else TaskStatus.DONE
    task.completed_at = at
    task.note = reason or decision.decision
    add_event(
        session,
        task.lead_id,
        EventType.DRAFT_REJECTED if rejected else EventType.DRAFT_APPROVED,
        at=at,
        enrollment_id=str(task.enrollment_id) if task.enrollment_id else None,
        step=task.step,
        reason=reason or None,
        **decision.model_dump(mode="json"),
    )
