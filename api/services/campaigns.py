"""Campaigns: snapshot the sequence spec, enroll leads (one workflow per lead), report."""

from __future__ import annotations

import uuid

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError

from api.errors import InvalidInput, NotFound
from api.schemas import CampaignCreate, CampaignResult, CampaignSummary, Enrolled, Skipped
from models.enums import FINAL_LEAD_STATUSES, Direction, EventType
from models.queries import add_event, suppression_for
from models.tables import Campaign, Enrollment, Lead, Message
from sequences import REGISTRY, SequenceError, get_sequence
from workflows import search_attributes as sa
from workflows.contracts import LEAD_SEQUENCE_WORKFLOW, LeadSequenceInput, workflow_id_for
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
    session: AsyncSession, client: Client, task_queue: str, body: CampaignCreate
) -> CampaignResult:
    spec = compile_sequence(body.sequence)
    return await launch_campaign(
        session, client, task_queue, body.name, spec, body.lead_ids, body.timezone
    )


async def launch_campaign(
    session: AsyncSession,
    client: Client,
    task_queue: str,
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
        outcome = await _enroll(session, client, task_queue, campaign, spec, lead_id)
        if isinstance(outcome, Enrolled):
            result.enrolled.append(outcome)
        else:
            result.skipped.append(outcome)
    return result


async def _enroll(
    session: AsyncSession,
    client: Client,
    task_queue: str,
    campaign: Campaign,
    spec: SequenceSpec,
    lead_id: uuid.UUID,
) -> Enrolled | Skipped:
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
    try:
        handle = await client.start_workflow(
            LEAD_SEQUENCE_WORKFLOW,
            LeadSequenceInput(
                lead_id=str(lead_id),
                enrollment_id=str(enrollment.id),
                campaign_id=str(campaign.id),
                lead_status=lead.status,
                spec=spec,
                campaign_timezone=campaign.timezone,
            ),
            id=workflow_id,
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            search_attributes=TypedSearchAttributes(
                [
                    SearchAttributePair(sa.CAMPAIGN_ID, str(campaign.id)),
                    SearchAttributePair(sa.SEQUENCE_NAME, spec.name),
                    SearchAttributePair(sa.LEAD_ID, str(lead_id)),
                    SearchAttributePair(sa.LEAD_EMAIL, lead.email or ""),
                    SearchAttributePair(sa.LEAD_STATUS, lead.status),
                    SearchAttributePair(sa.NEEDS_ATTENTION, False),
                ]
            ),
        )
    except WorkflowAlreadyStartedError:
        await session.rollback()
        return Skipped(lead_id=lead_id, reason="already active")
    except BaseException:
        await session.rollback()
        raise
    enrollment.run_id = handle.first_execution_run_id or handle.result_run_id
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
    states = (
        await session.exec(
            select(Enrollment.state, func.count())
            .where(Enrollment.campaign_id == campaign_id)
            .group_by(Enrollment.state)
        )
    ).all()
    enrollment_ids = select(Enrollment.id).where(Enrollment.campaign_id == campaign_id)
    sends = (
        await session.exec(
            select(Message.step, func.count())
            .where(
                col(Message.enrollment_id).in_(enrollment_ids),
                Message.direction == Direction.OUTBOUND,
                Message.delivery_status != "sending",
            )
            .group_by(col(Message.step))
        )
    ).all()
    lead_ids = select(Enrollment.lead_id).where(Enrollment.campaign_id == campaign_id)
    replies = (
        await session.exec(
            select(func.count()).where(
                col(Message.lead_id).in_(lead_ids),
                Message.direction == Direction.INBOUND,
                col(Message.created_at) >= campaign.created_at,
            )
        )
    ).one()
    return CampaignSummary(
        id=campaign.id,
        name=campaign.name,
        sequence=campaign.sequence_name,
        sequence_version=campaign.sequence_version,
        state=campaign.state,
        created_at=campaign.created_at,
        enrollments={state: count for state, count in states},
        sends_by_step={step: count for step, count in sends if step is not None},
        replies=replies,
    )
