"""LinkedIn and manual steps: a human does them, then completes or skips them here."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlmodel import col, select

from api.deps import SessionDep, StateDep
from api.services.tasks import answer_task
from models.enums import TaskStatus
from models.tables import Lead, Task, utcnow

router = APIRouter(prefix="/tasks", tags=["tasks"])


class TaskPublic(BaseModel):
    id: uuid.UUID
    lead_id: uuid.UUID
    lead_name: str | None = None
    kind: str
    action: str | None
    instructions: str
    owner: str | None
    due_at: datetime | None
    overdue: bool
    status: str
    note: str | None
    created_at: datetime
    completed_at: datetime | None


class TaskAnswer(BaseModel):
    note: str | None = None


def _public(task: Task, lead: Lead | None) -> TaskPublic:
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


@router.get("", response_model=list[TaskPublic], summary="Tasks, due first")
async def list_tasks(
    session: SessionDep,
    status: TaskStatus | None = TaskStatus.OPEN,
    owner: str | None = None,
    limit: int = Query(default=100, ge=1, le=500),
) -> list[TaskPublic]:
    stmt = select(Task, Lead).join(Lead, col(Lead.id) == col(Task.lead_id))
    if status is not None:
        stmt = stmt.where(Task.status == status)
    if owner:
        stmt = stmt.where(Task.owner == owner)
    rows = (
        await session.exec(stmt.order_by(col(Task.due_at).asc().nulls_last()).limit(limit))
    ).all()
    return [_public(task, lead) for task, lead in rows]


async def _answer(
    task_id: uuid.UUID,
    outcome: Literal["done", "skipped"],
    body: TaskAnswer | None,
    session: SessionDep,
    state: StateDep,
) -> TaskPublic:
    task = await answer_task(
        session, state.temporal_client, task_id, outcome, body.note if body else None
    )
    return _public(task, await session.get(Lead, task.lead_id))


@router.post("/{task_id}/complete", response_model=TaskPublic, summary="Mark a task done")
async def complete_task(
    task_id: uuid.UUID, session: SessionDep, state: StateDep, body: TaskAnswer | None = None
) -> TaskPublic:
    return await _answer(task_id, "done", body, session, state)


@router.post("/{task_id}/skip", response_model=TaskPublic, summary="Skip a task")
async def skip_task(
    task_id: uuid.UUID, session: SessionDep, state: StateDep, body: TaskAnswer | None = None
) -> TaskPublic:
    return await _answer(task_id, "skipped", body, session, state)
