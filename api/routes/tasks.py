"""LinkedIn and manual steps: a human does them, then completes or skips them here."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Query
from pydantic import BaseModel

from api.deps import SessionDep, StateDep
from api.openapi import errors
from models.enums import TaskStatus
from services.tasks import service
from services.tasks.schemas import TaskPublic

router = APIRouter(prefix="/tasks", tags=["tasks"])


class TaskAnswer(BaseModel):
    note: str | None = None


@router.get("", response_model=list[TaskPublic], summary="Tasks, due first")
async def list_tasks(
    session: SessionDep,
    status: TaskStatus | None = TaskStatus.OPEN,
    owner: str | None = None,
    limit: int = Query(default=100, ge=1, le=500),
) -> list[TaskPublic]:
    return await service.list_tasks(session, status, owner, limit)


_ANSWER_ERRORS = errors(
    404, e409="Already answered otherwise, cancelled (its sequence ended), or a draft approval"
)


@router.post(
    "/{task_id}/complete",
    response_model=TaskPublic,
    summary="Mark a task done",
    responses=_ANSWER_ERRORS,
)
async def complete_task(
    task_id: uuid.UUID, session: SessionDep, state: StateDep, body: TaskAnswer | None = None
) -> TaskPublic:
    note = body.note if body else None
    return await service.answer_task_public(session, state.workflows, task_id, "done", note)


@router.post(
    "/{task_id}/skip", response_model=TaskPublic, summary="Skip a task", responses=_ANSWER_ERRORS
)
async def skip_task(
    task_id: uuid.UUID, session: SessionDep, state: StateDep, body: TaskAnswer | None = None
) -> TaskPublic:
    note = body.note if body else None
    return await service.answer_task_public(session, state.workflows, task_id, "skipped", note)
