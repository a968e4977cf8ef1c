from __future__ import annotations

import uuid

from fastapi import APIRouter

from api.deps import SessionDep, WorkflowsDep
from services.campaigns import service
from services.campaigns.schemas import CampaignCreate, CampaignResult, CampaignSummary

router = APIRouter(prefix="/campaigns", tags=["campaigns"])


@router.post(
    "",
    response_model=CampaignResult,
    status_code=201,
    summary="Enroll leads in a sequence: one workflow per lead; repeats are skipped with a reason",
)
async def create_campaign(
    body: CampaignCreate, session: SessionDep, workflows: WorkflowsDep
) -> CampaignResult:
    return await service.create_campaign(session, workflows, body)


@router.get("", response_model=list[CampaignSummary], summary="Campaigns, newest first")
async def list_campaigns(session: SessionDep) -> list[CampaignSummary]:
    return await service.list_campaigns(session)


@router.get("/{campaign_id}", response_model=CampaignSummary, summary="Funnel of one campaign")
async def get_campaign(campaign_id: uuid.UUID, session: SessionDep) -> CampaignSummary:
    return await service.campaign_summary(session, campaign_id)
