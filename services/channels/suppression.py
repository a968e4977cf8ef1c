"""Suppression: shared by the REST API, the provider webhooks and the unsubscribe link."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from typing import Any, Literal

from sqlalchemy import func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import EventType, LeadStatus
from models.tables import Lead, Suppression, utcnow
from services.channels.queries import suppression_for
from services.events import add_event
from services.gateway import LeadWorkflowGateway
from workflows.contracts import StopRequest

log = logging.getLogger("salespad.suppression")

SuppressedStatus = Literal["UNSUBSCRIBED", "BOUNCED"]


async def suppress(
    session: AsyncSession,
    workflows: LeadWorkflowGateway | None,
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
        if lead.status != status and lead.status != LeadStatus.CONVERTED:
            add_event(session, lead.id, EventType.STATUS_CHANGED, old=lead.status, new=status)
            lead.status = status
            lead.updated_at = utcnow()
    await session.commit()
    if workflows is not None:
        for lead in leads:
            await _stop(workflows, lead.id, f"{status.lower()}: {reason}")
    return [lead.id for lead in leads]


async def _stop(workflows: LeadWorkflowGateway, lead_id: uuid.UUID, reason: str) -> None:
    # A sequence that has ended is reported by the gateway, not raised. Temporal being down
    # must not fail the webhook that brought the news: the committed suppression already
    # stops every send, so the failure is logged and the next send step ends the sequence.
    try:
        await workflows.stop(lead_id, StopRequest(reason=reason))
    except Exception as exc:
        log.warning("could not signal stop to lead %s (%s); its next send is refused", lead_id, exc)
