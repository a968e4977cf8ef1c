"""Replies: recorded in PostgreSQL first (idempotent on the provider's message id), then told
to the lead's workflow.

Interactive callers get an Update, so they learn what the sequence did. If no worker answers
within `reply_update_timeout_seconds`, the reply goes as a signal instead: signals are durable
without a worker, and the workflow dedupes on the message id, so a late Update and the signal
never count twice.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from api.errors import NotFound, SalesPadError
from api.schemas import ReplyCreate, ReplyResult, SequenceDelivery
from models.enums import (
    OPEN_ENROLLMENT_STATES,
    DeliveryStatus,
    Direction,
    EventType,
    LeadStatus,
)
from models.queries import add_event, channel_row_for, lock_lead
from models.tables import Enrollment, Message, utcnow
from workflows.contracts import (
    REPLY_SIGNAL,
    REPLY_UPDATE,
    ReplyNotice,
    ReplyOutcome,
    workflow_id_for,
)

# A reply moves the lead to REPLIED unless it already left the funnel for good.
_KEEP_STATUS = frozenset({LeadStatus.CONVERTED, LeadStatus.UNSUBSCRIBED, LeadStatus.BOUNCED})


async def record_reply(
    session: AsyncSession, lead_id: uuid.UUID, body: ReplyCreate
) -> tuple[Message, bool, str]:
    """Store the reply and move the lead's status; returns (message, duplicate, lead status)."""
    provider_id = body.message_id or f"api-{uuid.uuid4()}"
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
        return existing, True, lead.status
    channel = await channel_row_for(session, body.channel, "api")
    message = Message(
        lead_id=lead_id,
        channel_id=channel.id,
        direction=Direction.INBOUND,
        subject=body.subject,
        content=body.content,
        provider_message_id=provider_id,
        delivery_status=DeliveryStatus.RECEIVED,
        sent_at=body.received_at or utcnow(),
    )
    session.add(message)
    add_event(
        session,
        lead_id,
        EventType.REPLY_RECEIVED,
        channel=body.channel,
        provider_message_id=provider_id,
        message_id=str(message.id),
    )
    if lead.status not in _KEEP_STATUS and lead.status != LeadStatus.REPLIED:
        add_event(session, lead_id, EventType.STATUS_CHANGED, old=lead.status, new="REPLIED")
        lead.status = LeadStatus.REPLIED
        lead.updated_at = utcnow()
    try:
        await session.commit()
    except IntegrityError:
        # The same provider message id raced in through another request.
        await session.rollback()
        return await record_reply(session, lead_id, body)
    return message, False, lead.status


async def deliver_reply(
    session: AsyncSession,
    client: Client,
    lead_id: uuid.UUID,
    notice: ReplyNotice,
    update_timeout: float,
) -> SequenceDelivery:
    open_enrollment = (
        await session.exec(
            select(Enrollment).where(
                Enrollment.lead_id == lead_id,
                Enrollment.state.in_(OPEN_ENROLLMENT_STATES),  # type: ignore[attr-defined]
            )
        )
    ).first()
    if open_enrollment is None:
        return SequenceDelivery(delivered="not_running")
    handle = client.get_workflow_handle(workflow_id_for(str(lead_id)))
    try:
        outcome = await asyncio.wait_for(
            handle.execute_update(
                REPLY_UPDATE, notice, id=f"reply-{notice.message_id}", result_type=ReplyOutcome
            ),
            timeout=update_timeout,
        )
    except TimeoutError:
        await handle.signal(REPLY_SIGNAL, notice)
        return SequenceDelivery(delivered="signal")
    except WorkflowUpdateFailedError:
        return SequenceDelivery(delivered="not_running")
    except RPCError as exc:
        if exc.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.FAILED_PRECONDITION):
            return SequenceDelivery(delivered="not_running")
        raise
    return SequenceDelivery(
        delivered="update",
        action=outcome.action,
        sends=outcome.sends,
        current_step=outcome.current_step,
    )


async def handle_reply(
    session: AsyncSession,
    client: Callable[[], Awaitable[Client]],
    lead_id: uuid.UUID,
    body: ReplyCreate,
    update_timeout: float,
) -> ReplyResult:
    """Record first, then deliver: a Temporal outage never loses a reply."""
    message, duplicate, status = await record_reply(session, lead_id, body)
    assert message.provider_message_id is not None
    notice = ReplyNotice(
        message_id=message.provider_message_id,
        channel=body.channel,
        received_at=message.sent_at or utcnow(),
    )
    try:
        delivery = await deliver_reply(session, await client(), lead_id, notice, update_timeout)
    except (SalesPadError, RPCError) as exc:
        delivery = SequenceDelivery(delivered="deferred", error=str(exc))
    return ReplyResult(
        message_id=message.id,
        provider_message_id=message.provider_message_id,
        duplicate=duplicate,
        lead_status=status,
        sequence=delivery,
    )
