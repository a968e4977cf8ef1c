"""Per-lead and per-campaign controls, and ops commands for dead-lettered leads."""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import SessionDep, WorkflowsDep
from services.campaigns.controls import control_campaign
from services.campaigns.schemas import CampaignControlResult
from services.leads.controls import ControlAction, control_lead, convert_lead
from services.leads.schemas import ControlResult
from services.ops.service import OpsAction, ops_command

router = APIRouter(tags=["controls"])

LeadAction = Literal["pause", "resume", "stop", "convert"]


@router.post(
    "/leads/{lead_id}/{action}",
    response_model=ControlResult,
    summary="Pause, resume or stop the lead's sequence; convert marks it CONVERTED and stops it",
)
async def lead_control(
    lead_id: uuid.UUID, action: LeadAction, session: SessionDep, workflows: WorkflowsDep
) -> ControlResult:
    if action == "convert":
        return await convert_lead(session, workflows, lead_id)
    return await control_lead(session, workflows, lead_id, action)


@router.post(
    "/campaigns/{campaign_id}/{action}",
    response_model=CampaignControlResult,
    summary="Pause, resume or stop every running sequence of a campaign (in batches)",
)
async def campaign_control(
    campaign_id: uuid.UUID,
    action: ControlAction,
    session: SessionDep,
    workflows: WorkflowsDep,
) -> CampaignControlResult:
    return await control_campaign(session, workflows, campaign_id, action)


class OpsNote(BaseModel):
    note: str = ""


@router.post(
    "/ops/leads/{lead_id}/{action}",
    response_model=ControlResult,
    summary="Answer a dead letter: retry the step, skip it, or stop the sequence",
)
async def ops_lead(
    lead_id: uuid.UUID,
    action: OpsAction,
    session: SessionDep,
    workflows: WorkflowsDep,
    body: OpsNote | None = None,
) -> ControlResult:
    return await ops_command(session, workflows, lead_id, action, body.note if body else "")
