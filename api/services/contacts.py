"""Suppression and replies nobody claims: shared by the REST API and the provider webhooks."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Literal

from sqlalchemy import func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from models.enums import DeliveryStatus, Direction, EventType
from models.queries import add_event, channel_row_for, suppression_for
from models.tables import Lead, Message, Suppression, utcnow
from workflows.contracts import STOP_SIGNAL, StopRequest, workflow_id_for

SuppressedStatus = Literal["UNSUBSCRIBED", "BOUNCED"]


async def suppress(
    session: AsyncSession,
    client: Callable[[], Awaitable[Client]] | None,
    *,
    email: str | None = None,
    phone: str | None = None,
    reason: str,
    status: SuppressedStatus,
    source: str,
    details: Mapping[str, Any] | None = None,
) -> list[uuid.UUID]:
    """Suppress an address or number (idempotent), move matching leads to `status` and stop
    their sequences. Returns the affected lead ids. The database change alone already stops
    every future send; the stop signal only ends waiting workflows sooner. `details` go into
    each lead's event (webhooks put their provider event id there to recognise replays)."""
    if not email and not phone:
        raise ValueError("suppress needs an email or a phone")
    if await suppression_for(session, email, phone) is None:
        session.add(Suppression(email=email.lower() if email else None, phone=phone, reason=reason))
    conditions = []
    if email:
        conditions.append(func.lower(Lead.email) == email.lower())
    if phone:
        conditions.append(col(Lead.phone) == phone)
    leads = (await session.exec(select(Lead).where(or_(*conditions)).with_for_update())).all()
    event = EventType.UNSUBSCRIBED if status == "UNSUBSCRIBED" else EventType.BOUNCED
    for lead in leads:
        add_event(
            session, lead.id, event, **{**(details or {}), "reason": reason, "source": source}
        )
        if lead.status != status and lead.status != "CONVERTED":
            add_event(session, lead.id, EventType.STATUS_CHANGED, old=lead.status, new=status)
            lead.status = status
            lead.updated_at = utcnow()
    await session.commit()
    if client is not None:
        for lead in leads:
            await _stop_quietly(client, lead.id, f"{status.lower()}: {reason}")
    return [lead.id for lead in leads]


async def _stop_quietly(
    client: Callable[[], Awaitable[Client]], lead_id: uuid.UUID, reason: str
) -> None:
    try:
        handle = (await client()).get_workflow_handle(workflow_id_for(str(lead_id)))
        await handle.signal(STOP_SIGNAL, StopRequest(reason=reason))
    except Exception:  # not running, or Temporal down: the DB already stops sends
        return


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
