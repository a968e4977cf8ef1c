"""A reply from someone who is not a lead: stored and listed for ops, never dropped. Ops then
assign it to a lead (from then on it is that lead's reply, told to its sequence like any
other) or discard it (kept, with who-sent-what in its events, but off the list)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import ChannelType, DeliveryStatus, Direction, EventType
from models.tables import Channel, Message, utcnow
from services.channels.queries import channel_row_for
from services.errors import Conflict, NotFound
from services.events import add_event
from services.gateway import LeadWorkflowGateway
from services.leads.queries import lock_lead
from services.replies.schemas import ReplyDeliveryMode, ReplyResult
from services.replies.service import deliver_recorded, reply_received, reply_result


async def record_unmatched_reply(
    session: AsyncSession,
    *,
    channel: str,
    sender: str,
    content: str,
    subject: str | None,
    provider_message_id: str,
    details: dict[str, Any] | None = None,
    mailbox_id: uuid.UUID | None = None,
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
        mailbox_id=mailbox_id,
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


async def _lock_inbound(session: AsyncSession, message_id: uuid.UUID) -> Message:
    message = (
        await session.exec(
            select(Message)
            .where(Message.id == message_id, Message.direction == Direction.INBOUND)
            .with_for_update()
        )
    ).first()
    if message is None:
        raise NotFound(f"unmatched reply {message_id} not found")
    return message


async def assign_unmatched(
    session: AsyncSession,
    workflows: LeadWorkflowGateway,
    message_id: uuid.UUID,
    lead_id: uuid.UUID,
    update_timeout: float,
    *,
    wait: ReplyDeliveryMode = "received",
) -> ReplyResult:
    """The reply becomes the lead's: a REPLY_RECEIVED event, the channel it came on learned as
    preferred, and the lead's sequence told as for a reply matched on arrival (it stops, pauses
    or carries on by intent). Assigning it to the same lead again answers the same (a retry);
    to another lead, or once discarded, is a 409."""
    message = await _lock_inbound(session, message_id)
    if message.delivery_status == DeliveryStatus.DISCARDED:
        raise Conflict(f"unmatched reply {message_id} was discarded")
    if message.lead_id is not None and message.lead_id != lead_id:
        raise Conflict(f"reply {message_id} already belongs to lead {message.lead_id}")
    again = message.lead_id == lead_id
    lead = await lock_lead(session, lead_id)
    if lead is None:
        raise NotFound(f"lead {lead_id} not found")
    channel_type = (
        await session.exec(select(Channel.type).where(col(Channel.id) == message.channel_id))
    ).first()
    channel = ChannelType(channel_type) if channel_type else ChannelType.EMAIL
    if not again:
        message.lead_id = lead_id
        reply_received(session, lead, message, channel, assigned_by="ops")
    delivery = await deliver_recorded(
        session, workflows, lead_id, message, channel, update_timeout, wait=wait
    )
    return await reply_result(session, lead_id, message, delivery, duplicate=again)


async def discard_unmatched(session: AsyncSession, message_id: uuid.UUID) -> None:
    """Off the unmatched list, kept on record with an UNMATCHED_DISCARDED event. Discarding
    it again changes nothing; a reply already assigned to a lead is a 409."""
    message = await _lock_inbound(session, message_id)
    if message.lead_id is not None:
        raise Conflict(f"reply {message_id} belongs to lead {message.lead_id}")
    if message.delivery_status != DeliveryStatus.DISCARDED:
        message.delivery_status = DeliveryStatus.DISCARDED
        add_event(session, None, EventType.UNMATCHED_DISCARDED, message_id=str(message.id))
    await session.commit()
