"""Small shared database operations used by both the API and the activities."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import EventType
from models.tables import Channel, EventLog, Lead, Suppression, Task
from models.timeutil import activity_now


def add_event(
    session: AsyncSession,
    lead_id: uuid.UUID | None,
    event_type: EventType,
    *,
    at: datetime | None = None,
    **details: Any,
) -> EventLog:
    """Append to the event log inside the caller's transaction (stamped with activity time)."""
    event = EventLog(
        lead_id=lead_id, event_type=event_type, details=details, timestamp=at or activity_now()
    )
    session.add(event)
    return event


async def lock_lead(session: AsyncSession, lead_id: uuid.UUID) -> Lead | None:
    """Row-lock the lead: sends and replies for one lead serialise on this lock."""
    result = await session.exec(select(Lead).where(Lead.id == lead_id).with_for_update())
    return result.first()


async def suppression_for(
    session: AsyncSession, email: str | None, phone: str | None
) -> Suppression | None:
    conditions: list[ColumnElement[bool]] = []
    if email:
        conditions.append(func.lower(Suppression.email) == email.lower())
    if phone:
        conditions.append(col(Suppression.phone) == phone)
    if not conditions:
        return None
    result = await session.exec(select(Suppression).where(or_(*conditions)).limit(1))
    return result.first()


async def channel_row_for(session: AsyncSession, channel_type: str, provider: str) -> Channel:
    """The Channel row messages of this type and provider go through (created on first use)."""
    found = (
        await session.exec(
            select(Channel).where(Channel.type == channel_type, Channel.provider == provider)
        )
    ).first()
    if found is not None:
        return found
    # Pacing belongs to the channel type: a new provider row inherits its sibling's cap/window.
    sibling = (
        await session.exec(select(Channel).where(Channel.type == channel_type).limit(1))
    ).first()
    row = Channel(
        type=channel_type,
        provider=provider,
        name=f"{provider} {channel_type.lower()}",
        daily_cap=sibling.daily_cap if sibling else None,
        send_window=dict(sibling.send_window) if sibling else {},
    )
    session.add(row)
    await session.flush()
    return row


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
