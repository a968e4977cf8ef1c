"""What ops screens read: stuck enrollments, their latest reason, paused mailboxes and
unmatched replies (the
event log as a stream is services/live/queries.py)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import ChannelType, DeliveryStatus, Direction, EnrollmentState, EventType
from models.mailboxes import Mailbox
from models.tables import Channel, Enrollment, EventLog, Lead, Message

ATTENTION_EVENTS = (EventType.DEAD_LETTERED, EventType.TASK_OVERDUE)


async def waiting_for_ops(session: AsyncSession) -> Sequence[tuple[Enrollment, Lead]]:
    """Enrollments in ATTENTION with their lead, longest waiting first."""
    return (
        await session.exec(
            select(Enrollment, Lead)
            .join(Lead, col(Lead.id) == col(Enrollment.lead_id))
            .where(Enrollment.state == EnrollmentState.ATTENTION)
            .order_by(col(Enrollment.updated_at))
        )
    ).all()


async def paused_mailboxes(session: AsyncSession) -> Sequence[Mailbox]:
    """Paused mailboxes, longest paused first."""
    return (
        await session.exec(
            select(Mailbox)
            .where(Mailbox.state == "paused")
            .order_by(col(Mailbox.paused_at).asc().nulls_first(), col(Mailbox.name))
        )
    ).all()


async def latest_attention_event(session: AsyncSession, lead_id: uuid.UUID) -> EventLog | None:
    return (
        await session.exec(
            select(EventLog)
            .where(EventLog.lead_id == lead_id, col(EventLog.event_type).in_(ATTENTION_EVENTS))
            .order_by(col(EventLog.id).desc())
            .limit(1)
        )
    ).first()


async def unmatched_page(
    session: AsyncSession, channel: ChannelType | None, limit: int, offset: int
) -> tuple[Sequence[tuple[Message, str | None]], int]:
    """(inbound messages without a lead and not discarded, with their channel type, newest
    first; total)."""
    stmt = (
        select(Message, Channel.type)
        .join(Channel, col(Channel.id) == Message.channel_id, isouter=True)
        .where(
            col(Message.lead_id).is_(None),
            Message.direction == Direction.INBOUND,
            Message.delivery_status != DeliveryStatus.DISCARDED,
        )
    )
    if channel is not None:
        stmt = stmt.where(Channel.type == channel)
    total = (await session.exec(select(func.count()).select_from(stmt.subquery()))).one()
    newest_first = stmt.order_by(col(Message.created_at).desc(), col(Message.id))
    rows = (await session.exec(newest_first.offset(offset).limit(limit))).all()
    return rows, total


async def unmatched_details(
    session: AsyncSession, db_message_ids: list[str]
) -> dict[str, dict[str, Any]]:
    """Each unmatched message's UNMATCHED_REPLY event details, by our message id."""
    marker = col(EventLog.details)["message_id"].astext
    events = (
        await session.exec(
            select(EventLog).where(
                EventLog.event_type == EventType.UNMATCHED_REPLY, marker.in_(db_message_ids)
            )
        )
    ).all()
    return {str(e.details.get("message_id")): e.details for e in events}
