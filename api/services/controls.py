"""Pause / resume / stop / convert for one lead or a whole campaign, and ops commands for
dead-lettered leads. Campaign-wide controls read the Enrollment table and signal in bounded
batches, so a client makes one request, not one per lead."""

from __future__ import annotations

import asyncio
import uuid
from typing import Literal

from pydantic import BaseModel
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from api.errors import Conflict, NotFound
from models.enums import OPEN_ENROLLMENT_STATES, EnrollmentState, EventType, LeadStatus
from models.queries import add_event, lock_lead
from models.tables import Campaign, Enrollment, Lead, utcnow
from workflows.contracts import (
    CONTROL_SIGNAL,
    OPS_SIGNAL,
    ControlRequest,
    OpsCommand,
    workflow_id_for,
)

ControlAction = Literal["pause", "resume", "stop"]
OpsAction = Literal["retry", "skip", "stop"]
BATCH = 50


class ControlResult(BaseModel):
    lead_id: uuid.UUID
    action: str
    signalled: bool
    detail: str = ""


class CampaignControlResult(BaseModel):
    campaign_id: uuid.UUID
    action: str
    signalled: int
    not_running: list[uuid.UUID]


async def _open_enrollment(session: AsyncSession, lead_id: uuid.UUID) -> Enrollment | None:
    return (
        await session.exec(
            select(Enrollment).where(
                Enrollment.lead_id == lead_id,
                col(Enrollment.state).in_(OPEN_ENROLLMENT_STATES),
            )
        )
    ).first()


async def _signal(client: Client, lead_id: uuid.UUID, name: str, arg: BaseModel) -> bool:
    try:
        await client.get_workflow_handle(workflow_id_for(str(lead_id))).signal(name, arg)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return False
        raise
    return True


async def control_lead(
    session: AsyncSession, client: Client, lead_id: uuid.UUID, action: ControlAction
) -> ControlResult:
    if await session.get(Lead, lead_id) is None:
        raise NotFound(f"lead {lead_id} not found")
    if await _open_enrollment(session, lead_id) is None:
        return ControlResult(
            lead_id=lead_id, action=action, signalled=False, detail="no running sequence"
        )
    ok = await _signal(
        client, lead_id, CONTROL_SIGNAL, ControlRequest(action=action, reason=f"{action} by user")
    )
    return ControlResult(lead_id=lead_id, action=action, signalled=ok)


async def convert_lead(session: AsyncSession, client: Client, lead_id: uuid.UUID) -> ControlResult:
    """CONVERTED is final: the database says so first, then the sequence is told to stop."""
    lead = await lock_lead(session, lead_id)
    if lead is None:
        raise NotFound(f"lead {lead_id} not found")
    if lead.status != LeadStatus.CONVERTED:
        add_event(session, lead_id, EventType.STATUS_CHANGED, old=lead.status, new="CONVERTED")
        lead.status = LeadStatus.CONVERTED
        lead.updated_at = utcnow()
    await session.commit()
    running = await _open_enrollment(session, lead_id) is not None
    ok = running and await _signal(
        client, lead_id, CONTROL_SIGNAL, ControlRequest(action="stop", reason="converted")
    )
    return ControlResult(lead_id=lead_id, action="convert", signalled=ok)


async def control_campaign(
    session: AsyncSession, client: Client, campaign_id: uuid.UUID, action: ControlAction
) -> CampaignControlResult:
    campaign = await session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(f"campaign {campaign_id} not found")
    campaign.state = {"pause": "paused", "resume": "active", "stop": "stopped"}[action]
    await session.commit()
    lead_ids = (
        await session.exec(
            select(Enrollment.lead_id).where(
                Enrollment.campaign_id == campaign_id,
                col(Enrollment.state).in_(OPEN_ENROLLMENT_STATES),
            )
        )
    ).all()
    request = ControlRequest(action=action, reason=f"campaign {action}")
    signalled, missing = 0, []
    for start in range(0, len(lead_ids), BATCH):
        batch = lead_ids[start : start + BATCH]
        results = await asyncio.gather(
            *(_signal(client, lead_id, CONTROL_SIGNAL, request) for lead_id in batch)
        )
        signalled += sum(results)
        missing += [lead_id for lead_id, ok in zip(batch, results, strict=True) if not ok]
    return CampaignControlResult(
        campaign_id=campaign_id, action=action, signalled=signalled, not_running=missing
    )


async def ops_command(
    session: AsyncSession, client: Client, lead_id: uuid.UUID, action: OpsAction, note: str
) -> ControlResult:
    enrollment = await _open_enrollment(session, lead_id)
    if enrollment is None or enrollment.state != EnrollmentState.ATTENTION:
        raise Conflict(
            f"lead {lead_id} is not waiting for ops",
            "only a dead-lettered lead (GET /api/ops/attention) takes retry / skip / stop",
        )
    ok = await _signal(client, lead_id, OPS_SIGNAL, OpsCommand(action=action, note=note))
    return ControlResult(lead_id=lead_id, action=action, signalled=ok)
