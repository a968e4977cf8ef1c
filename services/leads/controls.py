"""Pause / resume / stop / convert one lead: the database first where it holds the fact
(CONVERTED), then the lead's workflow through the gateway."""

from __future__ import annotations

import uuid
from typing import Literal

from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import EventType, LeadStatus
from models.tables import Lead, utcnow
from services.errors import NotFound
from services.events import add_event
from services.gateway import LeadWorkflowGateway
from services.leads.queries import lock_lead, open_enrollment
from services.leads.schemas import ControlResult
from workflows.contracts import ControlRequest

ControlAction = Literal["pause", "resume", "stop"]


async def control_lead(
    session: AsyncSession,
    workflows: LeadWorkflowGateway,
    lead_id: uuid.UUID,
    action: ControlAction,
) -> ControlResult:
    if await session.get(Lead, lead_id) is None:
        raise NotFound(f"lead {lead_id} not found")
    running = await open_enrollment(session, lead_id) is not None
    await session.commit()  # the reads end here: no transaction is open across the engine
    if not running:
        return ControlResult(
            lead_id=lead_id, action=action, signalled=False, detail="no running sequence"
        )
    ok = await workflows.control(lead_id, ControlRequest(action=action, reason=f"{action} by user"))
    return ControlResult(lead_id=lead_id, action=action, signalled=ok)


async def convert_lead(
    session: AsyncSession, workflows: LeadWorkflowGateway, lead_id: uuid.UUID
) -> ControlResult:
    """CONVERTED is final: the database says so first, then the sequence is told to stop."""
    lead = await lock_lead(session, lead_id)
    if lead is None:
        raise NotFound(f"lead {lead_id} not found")
    if lead.status != LeadStatus.CONVERTED:
        add_event(session, lead_id, EventType.STATUS_CHANGED, old=lead.status, new="CONVERTED")
        lead.status = LeadStatus.CONVERTED
        lead.updated_at = utcnow()
    running = await open_enrollment(session, lead_id) is not None
    await session.commit()  # no transaction is open across the engine call
    ok = running and await workflows.control(
        lead_id, ControlRequest(action="stop", reason="converted")
    )
    return ControlResult(lead_id=lead_id, action="convert", signalled=ok)
