"""Answering a task (LinkedIn or manual step): the row first, then the waiting sequence."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Literal

from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from api.errors import Conflict, NotFound
from models.enums import EventType, TaskStatus
from models.queries import add_event
from models.tables import Task, utcnow
from workflows.contracts import TASK_SIGNAL, TaskDone, workflow_id_for


async def answer_task(
    session: AsyncSession,
    client: Callable[[], Awaitable[Client]],
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
        # click signals again (the sequence ignores repeats), and a sequence that never got
        # the signal re-reads the row when the task falls due.
        handle = (await client()).get_workflow_handle(workflow_id_for(str(task.lead_id)))
        await handle.signal(TASK_SIGNAL, TaskDone(task_id=str(task.id), outcome=outcome))
    return task
