"""Pause / resume / stop every running sequence of a campaign: one request from the client,
signals to the leads in bounded batches through the gateway."""

from __future__ import annotations

import uuid

from sqlmodel.ext.asyncio.session import AsyncSession

from models.tables import Campaign
from services.campaigns.queries import running_lead_ids
from services.campaigns.schemas import CampaignControlResult
from services.errors import NotFound
from services.gateway import LeadWorkflowGateway
from services.leads.controls import ControlAction
from workflows.contracts import ControlRequest


async def control_campaign(
    session: AsyncSession,
    workflows: LeadWorkflowGateway,
    campaign_id: uuid.UUID,
    action: ControlAction,
) -> CampaignControlResult:
    campaign = await session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(f"campaign {campaign_id} not found")
    campaign.state = {"pause": "paused", "resume": "active", "stop": "stopped"}[action]
    lead_ids = await running_lead_ids(session, campaign_id)
    await session.commit()  # no transaction is open across the engine call
    request = ControlRequest(action=action, reason=f"campaign {action}")
    results = await workflows.control_many(lead_ids, request)
    return CampaignControlResult(
        campaign_id=campaign_id,
        action=action,
        signalled=sum(results),
        not_running=[lead_id for lead_id, ok in zip(lead_ids, results, strict=True) if not ok],
    )
