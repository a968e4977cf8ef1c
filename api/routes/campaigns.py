from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Response

from api.deps import SessionDep, WorkflowsDep
from api.openapi import errors
from services.campaigns import service
from services.campaigns.schemas import (
    CampaignCreate,
    CampaignProgress,
    CampaignSummary,
    LeadSelection,
)

router = APIRouter(prefix="/campaigns", tags=["campaigns"])


def _accepted(response: Response, progress: CampaignProgress) -> CampaignProgress:
    response.headers["Location"] = f"/api/campaigns/{progress.id}"
    return progress


@router.post(
    "",
    response_model=CampaignProgress,
    status_code=202,
    summary="Start a campaign: its leads are enrolled in the background (poll GET for progress)",
    responses=errors(
        e409="The Idempotency-Key was already used with another body",
        e503="Temporal is unreachable; nothing was created",
    ),
)
async def create_campaign(
    body: CampaignCreate,
    response: Response,
    session: SessionDep,
    workflows: WorkflowsDep,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            max_length=200,
            description="The same key and body return the same campaign; another body is a 409",
        ),
    ] = None,
) -> CampaignProgress:
    return _accepted(
        response, await service.create_campaign(session, workflows, body, idempotency_key)
    )


@router.get("", response_model=list[CampaignSummary], summary="Campaigns, newest first")
async def list_campaigns(session: SessionDep) -> list[CampaignSummary]:
    return await service.list_campaigns(session)


@router.get(
    "/{campaign_id}",
    response_model=CampaignSummary,
    summary="Progress (enrolled, skipped with reasons) and funnel of one campaign",
    responses=errors(404),
)
async def get_campaign(campaign_id: uuid.UUID, session: SessionDep) -> CampaignSummary:
    return await service.campaign_summary(session, campaign_id)


@router.post(
    "/{campaign_id}/leads",
    response_model=CampaignProgress,
    status_code=202,
    summary="Add leads to a campaign: enrolled in the background, as for a new campaign",
    responses=errors(404, 503, e409="The campaign is stopped"),
)
async def add_leads(
    campaign_id: uuid.UUID,
    body: LeadSelection,
    response: Response,
    session: SessionDep,
    workflows: WorkflowsDep,
) -> CampaignProgress:
    return _accepted(response, await service.add_leads(session, workflows, campaign_id, body))
