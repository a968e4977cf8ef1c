from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.deps import SessionDep
from api.openapi import errors
from services.analytics import service
from services.analytics.schemas import CampaignFunnel, Overview

router = APIRouter(tags=["analytics"])


@router.get(
    "/campaigns/{campaign_id}/funnel",
    response_model=CampaignFunnel,
    summary="Leads at each stage, per step, channel and A/B arm (with significance)",
    responses=errors(404),
)
async def campaign_funnel(campaign_id: uuid.UUID, session: SessionDep) -> CampaignFunnel:
    return await service.campaign_funnel(session, campaign_id)


@router.get(
    "/campaigns/{campaign_id}/funnel.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}, **errors(404)},
    summary="The funnel as CSV: a row for the campaign, each step, channel and arm",
)
async def campaign_funnel_csv(campaign_id: uuid.UUID, session: SessionDep) -> Response:
    funnel = await service.campaign_funnel(session, campaign_id)
    return Response(
        service.funnel_csv(funnel),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="funnel-{campaign_id}.csv"'},
    )


@router.get(
    "/analytics/overview",
    response_model=Overview,
    summary="Every campaign's figures over the last days (7 by default, at most 365)",
)
async def analytics_overview(
    session: SessionDep, days: Annotated[int, Query(ge=1, le=365)] = 7
) -> Overview:
    return await service.overview(session, days)
