"""A reply from someone who is not a lead: stored and listed for ops, never dropped."""

from __future__ import annotations

from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import DeliveryStatus, Direction, EventType
from models.tables import Message, utcnow
from services.channels.queries import channel_row_for
from services.events import add_event


async def record_unmatched_reply(
    session: AsyncSession,
    *,
    channel: str,
    sender: str,
    content: str,
    subject: str | None,
    provider_message_id: str,
    details: dict[str, Any] | None = None,
) -> tuple[Message, bool]:
    """A reply from someone who is not a lead: stored and listed for ops, never dropped.
    Returns (message, duplicate)."""
    existing = (
        await session.exec(
            select(Message).where(
                Message.direction == Direction.INBOUND,
                Message.provider_message_id == provider_message_id,
            )
        )
    ).first()
    if existing is not None:
        return existing, True
    row = await channel_row_for(session, channel, "inbound")
    message = Message(
        lead_id=None,
        channel_id=row.id,
        direction=Direction.INBOUND,
        subject=subject,
        content=content,
        provider_message_id=provider_message_id,
        delivery_status=DeliveryStatus.RECEIVED,
        sent_at=utcnow(),
    )
    session.add(message)
    add_event(
        session,
        None,
        EventType.UNMATCHED_REPLY,
        channel=channel,
        sender=sender,
        message_id=str(message.id),
        provider_message_id=provider_message_id,
        **(details or {}),
    )
    await session.commit()
    return message, False
