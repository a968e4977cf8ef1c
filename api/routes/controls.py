"""Per-lead and per-campaign controls, and ops commands for dead-lettered leads."""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import SessionDep, TemporalClientDep
from api.services import controls as service
from api.services.controls import CampaignControlResult, ControlResult

router = APIRouter(tags=["controls"])

LeadAction = Literal["pause", "resume", "stop", "convert"]


@router.post(
    "/leads/{lead_id}/{action}",
    response_model=ControlResult,
    summary="Pause, resume or stop the lead's sequence; convert marks it CONVERTED and stops it",
)
async def lead_control(
    lead_id: uuid.UUID, action: LeadAction, session: SessionDep, client: TemporalClientDep
) -> ControlResult:
    if action == "convert":
        return await service.convert_lead(session, client, lead_id)
    return await service.control_lead(session, client, lead_id, action)


@router.post(
    "/campaigns/{campaign_id}/{action}",
    response_model=CampaignControlResult,
    summary="Pause, resume or stop every running sequence of a campaign (in batches)",
)
async def campaign_control(
    campaign_id: uuid.UUID,
    action: service.ControlAction,
    session: SessionDep,
    client: TemporalClientDep,
) -> CampaignControlResult:
    return await service.control_campaign(session, client, campaign_id, action)


class OpsNote(BaseModel):
    note: str = ""


@router.post(
    "/ops/leads/{lead_id}/{action}",
    response_model=ControlResult,
    summary="Answer a dead letter: retry the step, skip it, or stop the sequence",
)
async def ops_lead(
    lead_id: uuid.UUID,
    action: service.OpsAction,
    session: SessionDep,
    client: TemporalClientDep,
    body: OpsNote | None = None,
) -> ControlResult:
    return await service.ops_command(session, client, lead_id, action, body.note if body else "")
