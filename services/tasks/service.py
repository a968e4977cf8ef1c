"""Tasks (LinkedIn and manual steps): listed for the people who do them, and answered — the
row first, then the waiting sequence."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Literal

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.service import RPCError

from models.enums import EventType, TaskStatus
from models.tables import Lead, Task, utcnow
from services.errors import Conflict, NotFound, ServiceUnavailable
from services.events import add_event
from services.gateway import LeadWorkflowGateway
from services.tasks.draft_records import APPROVE_DRAFT_TASK
from services.tasks.schemas import TaskPublic
from workflows.contracts import TaskDone

log = logging.getLogger("salespad.tasks")


def to_public(task: Task, lead: Lead | None) -> TaskPublic:
    now = utcnow()
    return TaskPublic(
        id=task.id,
        lead_id=task.lead_id,
        lead_name=lead.name if lead else None,
        kind=task.kind,
        action=task.action,
        instructions=task.instructions,
        owner=task.owner,
        due_at=task.due_at,
        overdue=task.status == TaskStatus.OPEN and task.due_at is not None and task.due_at < now,
        status=task.status,
        note=task.note,
        created_at=task.created_at,
        completed_at=task.completed_at,
    )


async def list_tasks(
    session: AsyncSession, status: str | None, owner: str | None, limit: int
) -> list[TaskPublic]:
    """Due first; tasks without a due date last."""
    stmt = select(Task, Lead).join(Lead, col(Lead.id) == col(Task.lead_id))
    if status is not None:
        stmt = stmt.where(Task.status == status)
    if owner:
        stmt = stmt.where(Task.owner == owner)
    rows = (
        await session.exec(stmt.order_by(col(Task.due_at).asc().nulls_last()).limit(limit))
    ).all()
    return [to_public(task, lead) for task, lead in rows]


async def answer_task(
    session: AsyncSession,
    workflows: LeadWorkflowGateway,
    task_id: uuid.UUID,
    outcome: Literal["done", "skipped"],
    note: str | None = None,
    at: datetime | None = None,
) -> Task:
    task = await session.get(Task, task_id, with_for_update=True)
    if task is None:
        raise NotFound(f"task {task_id} not found")
    wanted = TaskStatus.DONE if outcome == "done" else TaskStatus.SKIPPED
    if task.status not in (TaskStatus.OPEN, wanted):
        raise Conflict(f"task {task_id} is already {task.status}")
    if task.status == TaskStatus.OPEN:
        task.status = wanted
        task.completed_at = at or utcnow()
        task.note = note
        add_event(
            session,
            task.lead_id,
            EventType.TASK_DONE if outcome == "done" else EventType.TASK_SKIPPED,
            at=at,
            task_id=str(task.id),
            note=note,
        )
    await session.commit()
    if task.enrollment_id is not None:
        # The row is the record; the signal lets the waiting sequence move on now. A repeated
        # click signals again (the sequence ignores repeats), a sequence that never got the
        # signal re-reads the row when the task falls due, and one that has ended needs none.
        try:
            await workflows.task_done(task.lead_id, TaskDone(task_id=str(task.id), outcome=outcome))
        except (RPCError, ServiceUnavailable) as exc:  # the committed row is the answer
            log.warning("task %s answered; its sequence will read it when due (%s)", task.id, exc)
    return task


async def answer_task_public(
    session: AsyncSession,
    workflows: LeadWorkflowGateway,
    task_id: uuid.UUID,
    outcome: Literal["done", "skipped"],
    note: str | None = None,
) -> TaskPublic:
    kind = (await session.exec(select(Task.kind).where(Task.id == task_id))).first()
    if kind == APPROVE_DRAFT_TASK:
        # Its answer is a decision the sequence acts on (send, edit, template): a bare "done"
        # would close it with none, and the draft's own routes could no longer answer it.
        raise Conflict(
            f"task {task_id} is a draft approval: answer it with /approve or /reject",
            [{"field": "task_id", "message": "a draft approval"}],
        )
    task = await answer_task(session, workflows, task_id, outcome, note)
    return to_public(task, await session.get(Lead, task.lead_id))
