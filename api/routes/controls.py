"""Per-lead and per-campaign controls, and ops commands for dead-lettered leads."""

from __future__ import annotations

import uuid
from typing import Literal, get_args

from fastapi import APIRouter
from pydantic import BaseModel
from starlette.convertors import Convertor, register_url_convertor

from api.auth import OPS
from api.deps import SessionDep, WorkflowsDep
from api.openapi import errors
from services.campaigns.controls import control_campaign
from services.campaigns.schemas import CampaignControlResult
from services.leads.controls import ControlAction, control_lead, convert_lead
from services.leads.schemas import ControlResult
from services.ops.service import OpsAction, ops_command

router = APIRouter(tags=["controls"])

LeadAction = Literal["pause", "resume", "stop", "convert"]


def _one_of(*words: str) -> Convertor[str]:
    """A path segment that matches only the given words. `/campaigns/{id}/{action}` would
    otherwise claim every `/campaigns/{id}/<anything>`: a POST to the funnel would be a 422 for
    the action instead of the 405 that GET-only route deserves."""

    class OneOf(_Word):
        regex = "|".join(words)

    return OneOf()


class _Word(Convertor[str]):
    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("lead_action", _one_of(*get_args(LeadAction)))
register_url_convertor("control_action", _one_of(*get_args(ControlAction)))
register_url_convertor("ops_action", _one_of(*get_args(OpsAction)))


@router.post(
    "/leads/{lead_id}/{action:lead_action}",
    response_model=ControlResult,
    summary="Pause, resume or stop the lead's sequence; convert marks it CONVERTED and stops it",
    responses=errors(404, 503),
)
async def lead_control(
    lead_id: uuid.UUID, action: LeadAction, session: SessionDep, workflows: WorkflowsDep
) -> ControlResult:
    if action == "convert":
        return await convert_lead(session, workflows, lead_id)
    return await control_lead(session, workflows, lead_id, action)


@router.post(
    "/campaigns/{campaign_id}/{action:control_action}",
    response_model=CampaignControlResult,
    summary="Pause, resume or stop every running sequence of a campaign (in batches)",
    responses=errors(404, 503),
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
    "/ops/leads/{lead_id}/{action:ops_action}",
    dependencies=[OPS],
    response_model=ControlResult,
    summary="Answer a dead letter: retry the step, skip it, or stop the sequence",
    responses=errors(404, 503, e409="The lead is not waiting for ops"),
)
async def ops_lead(
    lead_id: uuid.UUID,
    action: OpsAction,
    session: SessionDep,
    workflows: WorkflowsDep,
    body: OpsNote | None = None,
) -> ControlResult:
    return await ops_command(session, workflows, lead_id, action, body.note if body else "")
