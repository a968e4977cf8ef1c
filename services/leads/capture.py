"""Lead capture: a form or tool posts a lead (its signature is checked by the webhook), the lead
is upserted exactly as `POST /api/leads` does, and optionally enrolled into a campaign.

Everything that can refuse the post is checked before anything is stored: a 422 or a 503
leaves no lead behind, so the sender can fix it and post again.
"""

from __future__ import annotations

import uuid

from pydantic import BaseModel
from sqlmodel.ext.asyncio.session import AsyncSession

from services.campaigns.queries import resolve_campaign
from services.campaigns.service import enroll_leads
from services.gateway import LeadWorkflowGateway
from services.leads.schemas import LeadCreate
from services.leads.service import upsert_lead


class CaptureResult(BaseModel):
    lead_id: uuid.UUID
    created: bool
    campaign_id: uuid.UUID | None = None
    enrolled: bool | None = None
    skipped_reason: str | None = None


async def capture_lead(
    session: AsyncSession,
    workflows: LeadWorkflowGateway,
    data: LeadCreate,
    campaign_ref: str | None = None,
) -> CaptureResult:
    """Upsert the lead (by email, else phone) and enroll it into `campaign_ref` if given. A
    repeated post changes nothing and starts nothing a second time."""
    campaign = await resolve_campaign(session, campaign_ref) if campaign_ref else None
    # Read now: a rollback inside the upsert (a concurrent insert) expires loaded rows.
    target = (campaign.id, campaign.state) if campaign is not None else None
    if target is not None:
        await workflows.ensure_connected()  # 503 before anything is stored
    lead, created = await upsert_lead(session, data, source="lead_capture")
    result = CaptureResult(lead_id=lead.id, created=created)
    if target is None:
        return result
    campaign_id, state = target
    result.campaign_id = campaign_id
    if state != "active":
        result.enrolled = False
        result.skipped_reason = f"campaign is {state}"
        return result
    report = await enroll_leads(session, workflows, campaign_id, [lead.id])
    result.enrolled = bool(report.enrolled)
    result.skipped_reason = report.skipped[0].reason if report.skipped else None
    return result
