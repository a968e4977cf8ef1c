"""Replies: recorded in PostgreSQL first (idempotent on the provider's message id), then told
to the lead's workflow, which classifies the reply and decides (stop, pause, carry on).

Interactive callers get an Update, so they learn what the sequence did. If no worker answers
within the timeout, the reply goes as a signal instead: signals are durable without a worker,
and the workflow dedupes on the message, so a late Update and the signal never count twice.
If Temporal cannot be reached at all, the recorded reply still wins: the send step refuses to
send while a lead has a reply the sequence has not handled, and hands it to the sequence.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.service import RPCError

from models.enums import PREFERABLE_CHANNELS, ChannelType, DeliveryStatus, Direction, EventType
from models.tables import Lead, Message, utcnow
from services.channels.queries import channel_row_for
from services.errors import NotFound, SalesPadError
from services.events import add_event
from services.gateway import LeadWorkflowGateway, ReplyDelivery
from services.leads.queries import lock_lead, open_enrollment
from services.replies.schemas import ReplyCreate, ReplyDeliveryMode, ReplyResult, SequenceDelivery
from workflows.contracts import ReplyNotice


async def record_reply(
    session: AsyncSession,
    lead_id: uuid.UUID,
    body: ReplyCreate,
    *,
    mailbox_id: uuid.UUID | None = None,
) -> tuple[Message, bool]:
    """Store the reply; returns (message, duplicate). Status changes wait for classification.
    `mailbox_id`: the mailbox it was read from (IMAP)."""
    provider_id = body.provider_message_id or f"api-{uuid.uuid4()}"
    lead = await lock_lead(session, lead_id)
    if lead is None:
        raise NotFound(f"lead {lead_id} not found")
    existing = (
        await session.exec(
            select(Message).where(
                Message.direction == Direction.INBOUND,
                Message.provider_message_id == provider_id,
            )
        )
    ).first()
    if existing is not None:
        # End the transaction: the lead's row lock must not be held while the caller waits
        # for the sequence, whose reply step takes that same lock.
        await session.commit()
        return existing, True
    channel = await channel_row_for(session, body.channel, "inbound")
    message = Message(
        lead_id=lead_id,
        channel_id=channel.id,
        direction=Direction.INBOUND,
        subject=body.subject,
        content=body.content,
        provider_message_id=provider_id,
        delivery_status=DeliveryStatus.RECEIVED,
        sent_at=body.received_at or utcnow(),
        details={"headers": body.headers} if body.headers else {},
        mailbox_id=mailbox_id,
    )
    session.add(message)
    reply_received(session, lead, message, body.channel)
    try:
        await session.commit()
    except IntegrityError:
        # The same provider message id raced in through another request.
        await session.rollback()
        return await record_reply(session, lead_id, body, mailbox_id=mailbox_id)
    return message, False


PREVIEW_CHARS = 200


def reply_preview(text: str | None) -> str:
    """The start of a reply for the live feed: whitespace collapsed, at most 200 characters."""
    return " ".join((text or "").split())[:PREVIEW_CHARS]


def reply_received(
    session: AsyncSession, lead: Lead, message: Message, channel: ChannelType, **details: Any
) -> None:
    """What makes an inbound message the lead's reply on record: its REPLY_RECEIVED event (with
    a `preview` of the text) and the channel it came on learned as preferred."""
    add_event(
        session,
        lead.id,
        EventType.REPLY_RECEIVED,
        channel=channel,
        provider_message_id=message.provider_message_id,
        message_id=str(message.id),
        preview=reply_preview(message.content),
        **details,
    )
    _learn_preferred_channel(session, lead, channel, message)


def _learn_preferred_channel(
    session: AsyncSession, lead: Lead, channel: ChannelType, message: Message
) -> None:
    """The channel a lead replies on becomes its preferred one. An explicit setting over the
    API holds until the lead replies on another channel: the later of the two wins."""
    if channel not in PREFERABLE_CHANNELS or lead.preferred_channel == channel:
        return
    add_event(
        session,
        lead.id,
        EventType.PREFERRED_CHANNEL_LEARNED,
        channel=channel.value,
        previous=lead.preferred_channel,
        message_id=str(message.id),
    )
    lead.preferred_channel = channel.value  # type: ignore[assignment]
    lead.updated_at = utcnow()


def _delivery(delivered: ReplyDelivery) -> SequenceDelivery:
    if delivered.via == "update" and delivered.outcome is not None:
        outcome = delivered.outcome
        return SequenceDelivery(
            delivered="update",
            action=outcome.action,
            intent=outcome.intent,
            sends=outcome.sends,
            current_step=outcome.current_step,
            resume_at=outcome.resume_at,
        )
    if delivered.via == "processed" and delivered.processed is not None:
        return SequenceDelivery(
            delivered="processed", action="no sequence running", intent=delivered.processed.intent
        )
    if delivered.via == "queued":
        return SequenceDelivery(delivered="queued", action="classifying")
    return SequenceDelivery(delivered="signal")


async def handle_reply(
    session: AsyncSession,
    workflows: LeadWorkflowGateway,
    lead_id: uuid.UUID,
    body: ReplyCreate,
    update_timeout: float,
    *,
    wait: ReplyDeliveryMode = "classified",
    mailbox_id: uuid.UUID | None = None,
) -> ReplyResult:
    """Record first, then deliver: a Temporal outage never loses a reply. `wait`: answer once
    the running sequence holds the reply (no step runs before it is handled), or once it was
    classified and acted on; "signal" (webhooks) only signals the sequence."""
    message, duplicate = await record_reply(session, lead_id, body, mailbox_id=mailbox_id)
    delivery = await deliver_recorded(
        session, workflows, lead_id, message, body.channel, update_timeout, wait=wait
    )
    return await reply_result(session, lead_id, message, delivery, duplicate=duplicate)


async def deliver_recorded(
    session: AsyncSession,
    workflows: LeadWorkflowGateway,
    lead_id: uuid.UUID,
    message: Message,
    channel: ChannelType,
    update_timeout: float,
    *,
    wait: ReplyDeliveryMode,
) -> SequenceDelivery:
    """Tell the lead's sequence (or, with none running, a ProcessReply workflow) about a reply
    already recorded for the lead, unless it was handled already (a repeated delivery).
    Commits first: no transaction stays open meanwhile."""
    assert message.provider_message_id is not None
    if message.processed_at is not None:
        await session.commit()
        return SequenceDelivery(
            delivered="processed", action="already handled", intent=message.intent
        )
    notice = ReplyNotice(
        message_id=message.provider_message_id,
        db_message_id=str(message.id),
        channel=channel,
        received_at=message.sent_at or utcnow(),
        answer="handled" if wait == "classified" else "received",
    )
    running = await open_enrollment(session, lead_id) is not None
    await session.commit()  # no transaction stays open while the sequence answers
    try:
        delivered = await workflows.deliver_reply(
            lead_id,
            notice,
            sequence_running=running,
            update_timeout=update_timeout,
            signal_only=wait == "signal",
        )
        return _delivery(delivered)
    except (SalesPadError, RPCError) as exc:
        # Recorded all the same: the sweep and the next send step hand it to the sequence.
        return SequenceDelivery(delivered="deferred", error=str(exc))


async def reply_result(
    session: AsyncSession,
    lead_id: uuid.UUID,
    message: Message,
    delivery: SequenceDelivery,
    *,
    duplicate: bool,
) -> ReplyResult:
    assert message.provider_message_id is not None
    lead = await session.get(Lead, lead_id, populate_existing=True)
    if lead is None:  # erased meanwhile: the reply went with it
        raise NotFound(f"lead {lead_id} not found")
    return ReplyResult(
        db_message_id=message.id,
        provider_message_id=message.provider_message_id,
        duplicate=duplicate,
        lead_status=lead.status,
        sequence=delivery,
    )
