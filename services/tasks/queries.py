"""A step's task: found again on a retried activity, or opened for the lead's owner."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import EventType
from models.tables import Lead, Task
from services.events import add_event


async def task_for_step(
    session: AsyncSession, enrollment_id: uuid.UUID, step_no: int
) -> Task | None:
    """The task an enrollment's step created, if any: task activities stay idempotent."""
    result = await session.exec(
        select(Task).where(Task.enrollment_id == enrollment_id, Task.step == step_no)
    )
    return result.first()


async def open_task(
    session: AsyncSession,
    lead: Lead,
    enrollment_id: uuid.UUID,
    step_no: int,
    *,
    kind: str,
    action: str,
    instructions: str,
    due_at: datetime,
    **event_details: Any,
) -> Task:
    """Create a step's task for the lead's owner and log TASK_CREATED (caller commits)."""
    task = Task(
        lead_id=lead.id,
        enrollment_id=enrollment_id,
        step=step_no,
        kind=kind,
        action=action,
        instructions=instructions,
        owner=lead.owner,
        due_at=due_at,
    )
    session.add(task)
    await session.flush()
    add_event(
        session,
        lead.id,
        EventType.TASK_CREATED,
        task_id=str(task.id),
        kind=kind,
        action=action,
        due_at=due_at.isoformat(),
        **event_details,
    )
    return task
