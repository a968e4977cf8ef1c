"""Campaigns: snapshot the sequence spec, enroll leads (one workflow per lead), report."""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import FINAL_LEAD_STATUSES, EventType
from models.tables import Campaign, Enrollment, Lead
from sequences import REGISTRY, SequenceError, get_sequence
from services.campaigns import queries
from services.campaigns.schemas import (
    CampaignCreate,
    CampaignResult,
    CampaignSummary,
    Enrolled,
    EnrollmentReport,
    Skipped,
)
from services.channels.queries import suppression_for
from services.errors import InvalidInput, NotFound
from services.events import add_event
from services.gateway import LeadWorkflowGateway, SequenceStart
from workflows.contracts import LeadSequenceInput, workflow_id_for
from workflows.spec import SequenceSpec


def compile_sequence(name: str) -> SequenceSpec:
    seq = get_sequence(name)
    if seq is None:
        raise InvalidInput(
            f"unknown sequence {name!r}",
            [{"field": "sequence", "message": f"choose one of: {', '.join(sorted(REGISTRY))}"}],
        )
    try:
        return seq.compile()
    except SequenceError as exc:
        raise InvalidInput(
            f"sequence {name!r} is invalid", [{"field": "sequence", "message": str(exc)}]
        ) from exc


async def create_campaign(
    session: AsyncSession, workflows: LeadWorkflowGateway, body: CampaignCreate
) -> CampaignResult:
    spec = compile_sequence(body.sequence)
    return await launch_campaign(session, workflows, body.name, spec, body.lead_ids, body.timezone)


async def launch_campaign(
    session: AsyncSession,
    workflows: LeadWorkflowGateway,
    name: str,
    spec: SequenceSpec,
    lead_ids: list[uuid.UUID],
    timezone: str | None = None,
) -> CampaignResult:
    """Snapshot `spec` in a new campaign and enroll each lead (one workflow per lead)."""
    campaign = Campaign(
        name=name,
        sequence_name=spec.name,
        sequence_version=spec.version,
        spec=spec.model_dump(mode="json"),
        timezone=timezone,
    )
    session.add(campaign)
    await session.commit()
    result = CampaignResult(
        id=campaign.id,
        name=campaign.name,
        sequence=spec.name,
        sequence_version=spec.version,
        enrolled=[],
        skipped=[],
    )
    for lead_id in dict.fromkeys(lead_ids):  # drop repeats, keep order
        outcome = await _enroll(session, workflows, campaign, spec, lead_id)
        if isinstance(outcome, Enrolled):
            result.enrolled.append(outcome)
        else:
            result.skipped.append(outcome)
    return result


async def enroll_leads(
    session: AsyncSession,
    workflows: LeadWorkflowGateway,
    campaign_id: uuid.UUID,
    lead_ids: list[uuid.UUID],
) -> EnrollmentReport:
    """Enroll leads into an existing campaign with its snapshotted spec, one lead at a time;
    a lead already in a sequence, final or suppressed is reported as skipped."""
    campaign = await session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(f"campaign {campaign_id} not found")
    spec = SequenceSpec.model_validate(campaign.spec)
    report = EnrollmentReport(campaign_id=campaign_id, enrolled=[], skipped=[])
    for lead_id in dict.fromkeys(lead_ids):
        outcome = await _enroll(session, workflows, campaign, spec, lead_id)
        if isinstance(outcome, Enrolled):
            report.enrolled.append(outcome)
        else:
            report.skipped.append(outcome)
    return report


async def _enroll(
    session: AsyncSession,
    workflows: LeadWorkflowGateway,
    campaign: Campaign,
    spec: SequenceSpec,
    lead_id: uuid.UUID,
) -> Enrolled | Skipped:
    # Each lead's enrollment row and its workflow start commit together, one lead at a time,
    # so a failure part-way leaves every earlier lead enrolled and running.
    lead = await session.get(Lead, lead_id)
    if lead is None:
        return Skipped(lead_id=lead_id, reason="lead not found")
    if lead.status in FINAL_LEAD_STATUSES:
        return Skipped(lead_id=lead_id, reason=f"lead is {lead.status}")
    suppressed = await suppression_for(session, lead.email, lead.phone)
    if suppressed is not None:
        return Skipped(lead_id=lead_id, reason=f"suppressed: {suppressed.reason}")
    workflow_id = workflow_id_for(str(lead_id))
    enrollment = Enrollment(campaign_id=campaign.id, lead_id=lead_id, workflow_id=workflow_id)
    session.add(enrollment)
    try:
        await session.flush()  # the partial unique index: one open enrollment per lead
    except IntegrityError:
        await session.rollback()
        return Skipped(lead_id=lead_id, reason="already active")
    start = SequenceStart(
        input=LeadSequenceInput(
            lead_id=str(lead_id),
            enrollment_id=str(enrollment.id),
            campaign_id=str(campaign.id),
            lead_status=lead.status,
            spec=spec,
            campaign_timezone=campaign.timezone,
        ),
        lead_email=lead.email,
    )
    try:
        (started,) = await workflows.start_sequences([start])
    except BaseException:
        await session.rollback()
        raise
    if not started.started:
        await session.rollback()
        return Skipped(lead_id=lead_id, reason="already active")
    enrollment.run_id = started.run_id
    add_event(
        session,
        lead_id,
        EventType.ENROLLED,
        campaign_id=str(campaign.id),
        sequence=spec.name,
        version=spec.version,
        workflow_id=workflow_id,
    )
    await session.commit()
    return Enrolled(lead_id=lead_id, workflow_id=workflow_id, enrollment_id=enrollment.id)


async def campaign_summary(session: AsyncSession, campaign_id: uuid.UUID) -> CampaignSummary:
    campaign = await session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(f"campaign {campaign_id} not found")
    return CampaignSummary(
        id=campaign.id,
        name=campaign.name,
        sequence=campaign.sequence_name,
        sequence_version=campaign.sequence_version,
        state=campaign.state,
        created_at=campaign.created_at,
        enrollments=await queries.enrollments_by_state(session, campaign_id),
        sends_by_step=await queries.sends_by_step(session, campaign_id),
        replies=await queries.replies_since(session, campaign_id, campaign.created_at),
    )


async def list_campaigns(session: AsyncSession) -> list[CampaignSummary]:
    """The newest hundred, newest first."""
    ids = await queries.newest_campaign_ids(session)
    return [await campaign_summary(session, cid) for cid in ids]
