from __future__ import annotations

import uuid

from fastapi import APIRouter
from sqlmodel import col, select

from api.deps import SessionDep, SettingsDep, TemporalClientDep
from api.schemas import CampaignCreate, CampaignResult, CampaignSummary
from api.services import campaigns as service
from models.tables import Campaign

router = APIRouter(prefix="/campaigns", tags=["campaigns"])


@router.post(
    "",
    response_model=CampaignResult,
    status_code=201,
    summary="Enroll leads in a sequence: one workflow per lead; repeats are skipped with a reason",
)
async def create_campaign(
    body: CampaignCreate, session: SessionDep, client: TemporalClientDep, settings: SettingsDep
) -> CampaignResult:
    return await service.create_campaign(session, client, settings.task_queue, body)


@router.get("", response_model=list[CampaignSummary], summary="Campaigns, newest first")
async def list_campaigns(session: SessionDep) -> list[CampaignSummary]:
    ids = (
        await session.exec(select(Campaign.id).order_by(col(Campaign.created_at).desc()).limit(100))
    ).all()
    return [await service.campaign_summary(session, cid) for cid in ids]


@router.get("/{campaign_id}", response_model=CampaignSummary, summary="Funnel of one campaign")
async def get_campaign(campaign_id: uuid.UUID, session: SessionDep) -> CampaignSummary:
    return await service.campaign_summary(session, campaign_id)
