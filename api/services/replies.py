"""Replies: recorded in PostgreSQL first (idempotent on the provider's message id), then told
to the lead's workflow, which classifies the reply and decides (stop, pause, carry on).

Interactive callers get an Update, so they learn what the sequence did. If no worker answers
within the timeout, the reply goes as a signal instead: signals are durable without a worker,
and the workflow dedupes on the message, so a late Update and the signal never count twice.
If Temporal cannot be reached at all, the recorded reply still wins: the send step refuses to
send while a lead has a reply the sequence has not handled, and hands it to the sequence.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError, RPCStatusCode

from api.errors import NotFound, SalesPadError
from api.schemas import ReplyCreate, ReplyResult, SequenceDelivery
from models.enums import OPEN_ENROLLMENT_STATES, DeliveryStatus, Direction, EventType
from models.queries import add_event, channel_row_for, lock_lead
from models.tables import Enrollment, Lead, Message, utcnow
from workflows.contracts import (
    PROCESS_REPLY_WORKFLOW,
    REPLY_SIGNAL,
    REPLY_UPDATE,
    ProcessReplyInput,
    ProcessReplyResult,
    ReplyNotice,
    ReplyOutcome,
    reply_workflow_id,
    workflow_id_for,
)

ClientFactory = Callable[[], Awaitable[Client]]


async def record_reply(
    session: AsyncSession, lead_id: uuid.UUID, body: ReplyCreate
) -> tuple[Message, bool]:
    """Store the reply; returns (message, duplicate). Status changes wait for classification."""
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
    try:
        await session.commit()
    except IntegrityError:
        # The same provider message id raced in through another request.
        await session.rollback()
        return await record_reply(session, lead_id, body)
    return message, False


def _from_outcome(outcome: ReplyOutcome) -> SequenceDelivery:
    return SequenceDelivery(
        delivered="update",
        action=outcome.action,
        intent=outcome.intent,
        sends=outcome.sends,
        current_step=outcome.current_step,
        resume_at=outcome.resume_at,
    )


def _from_processed(result: ProcessReplyResult) -> SequenceDelivery:
    return SequenceDelivery(
        delivered="processed", action="no sequence running", intent=result.intent
    )


async def deliver_reply(
    session: AsyncSession,
    client: Client,
    lead_id: uuid.UUID,
    notice: ReplyNotice,
    update_timeout: float,
    task_queue: str,
) -> SequenceDelivery:
    open_enrollment = (
        await session.exec(
            select(Enrollment).where(
                Enrollment.lead_id == lead_id,
                col(Enrollment.state).in_(OPEN_ENROLLMENT_STATES),
            )
        )
    ).first()
    if open_enrollment is not None:
        handle = client.get_workflow_handle(workflow_id_for(str(lead_id)))
        try:
            outcome = await asyncio.wait_for(
                handle.execute_update(
                    REPLY_UPDATE,
                    notice,
                    id=f"reply-{notice.db_message_id}",
                    result_type=ReplyOutcome,
                ),
                timeout=update_timeout,
            )
            return _from_outcome(outcome)
        except TimeoutError:
            await handle.signal(REPLY_SIGNAL, notice)
            return SequenceDelivery(delivered="signal")
        except WorkflowUpdateFailedError:
            pass  # it finished meanwhile: classify on its own below
        except RPCError as exc:
            if exc.status not in (RPCStatusCode.NOT_FOUND, RPCStatusCode.FAILED_PRECONDITION):
                raise
    handle = await client.start_workflow(
        PROCESS_REPLY_WORKFLOW,
        ProcessReplyInput(
            lead_id=str(lead_id), enrollment_id=None, db_message_id=notice.db_message_id
        ),
        id=reply_workflow_id(notice.db_message_id),
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        result_type=ProcessReplyResult,
    )
    try:
        result = await asyncio.wait_for(handle.result(), timeout=update_timeout)
    except TimeoutError:
        return SequenceDelivery(delivered="queued", action="classifying")
    return _from_processed(result)


async def handle_reply(
    session: AsyncSession,
    client: ClientFactory,
    lead_id: uuid.UUID,
    body: ReplyCreate,
    update_timeout: float,
    *,
    task_queue: str,
) -> ReplyResult:
    """Record first, then deliver: a Temporal outage never loses a reply."""
    message, duplicate = await record_reply(session, lead_id, body)
    assert message.provider_message_id is not None
    if duplicate and message.processed_at is not None:
        delivery = SequenceDelivery(
            delivered="processed", action="already handled", intent=message.intent
        )
    else:
        notice = ReplyNotice(
            message_id=message.provider_message_id,
            db_message_id=str(message.id),
            channel=body.channel,
            received_at=message.sent_at or utcnow(),
        )
        try:
            delivery = await deliver_reply(
                session, await client(), lead_id, notice, update_timeout, task_queue
            )
        except (SalesPadError, RPCError) as exc:
            delivery = SequenceDelivery(delivered="deferred", error=str(exc))
    lead = await session.get(Lead, lead_id, populate_existing=True)
    assert lead is not None
    return ReplyResult(
        message_id=message.id,
        provider_message_id=message.provider_message_id,
        duplicate=duplicate,
        lead_status=lead.status,
        sequence=delivery,
    )
