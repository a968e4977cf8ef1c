"""Campaigns: snapshot the sequence spec, select leads, enroll them (one workflow per lead) in
the background, report progress and the funnel."""

from __future__ import annotations

import hashlib
import json
import uuid

from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import CampaignStatus
from models.tables import Campaign
from sequences import REGISTRY, SequenceError, get_sequence
from services.campaigns import queries
from services.campaigns.enrollment import enroll_batch, finish_batch
from services.campaigns.recovery import start_or_leave_to_recovery
from services.campaigns.schemas import (
    CampaignCreate,
    CampaignProgress,
    CampaignResult,
    CampaignSummary,
    EnrollmentReport,
    LeadSelection,
)
from services.campaigns.selection import count_selected
from services.errors import Conflict, InvalidInput, NotFound
from services.gateway import LeadWorkflowGateway
from services.mailboxes.service import resolve_pool
from workflows.campaign_contracts import ENROLL_BATCH_SIZE, EnrollCampaignInput, LeadSelector
from workflows.spec import SequenceSpec

IDEMPOTENCY_HEADER = "Idempotency-Key"


def compile_sequence(name: str) -> SequenceSpec:
    seq = get_sequence(name)
    if seq is None:
        known = ", ".join(sorted(REGISTRY))
        raise InvalidInput(
            f"unknown sequence {name!r}; known: {known}",
            # The API and the workers load sequences/ when they start.
            [
                {
                    "field": "sequence",
                    "message": f"choose one of: {known} (a sequence added since the API "
                    "started needs the API and the workers restarted)",
                }
            ],
        )
    try:
        return seq.compile()
    except SequenceError as exc:
        raise InvalidInput(
            f"sequence {name!r} is invalid", [{"field": "sequence", "message": str(exc)}]
        ) from exc


def _request_hash(body: CampaignCreate) -> str:
    # Fields left at their defaults stay out: a request made before a field existed hashes
    # the same (its Idempotency-Key replays, not a 409).
    canonical = json.dumps(
        body.model_dump(mode="json", exclude_defaults=True), sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def progress(campaign: Campaign) -> CampaignProgress:
    return CampaignProgress(
        id=campaign.id,
        name=campaign.name,
        sequence=campaign.sequence_name,
        sequence_version=campaign.sequence_version,
        status=campaign.status,
        selected=campaign.selected,
        enrolled=campaign.enrolled,
        skipped=campaign.skipped,
        warnings=campaign.warnings,
    )


async def _by_key(session: AsyncSession, key: str) -> Campaign | None:
    return (await session.exec(select(Campaign).where(Campaign.idempotency_key == key))).first()


async def _replay(
    workflows: LeadWorkflowGateway, campaign: Campaign, request_hash: str
) -> CampaignProgress:
    """The same Idempotency-Key again: the same body gets the same campaign back."""
    if campaign.request_hash != request_hash:
        raise Conflict(
            f"{IDEMPOTENCY_HEADER} was already used with a different body",
            [
                {
                    "field": IDEMPOTENCY_HEADER,
                    "message": f"already used for campaign {campaign.id} with another body",
                }
            ],
        )
    if campaign.status == CampaignStatus.ENROLLING:
        # The first request may have died before its start reached Temporal: start it now
        # (a no-op when it did, the workflow id refuses a second run).
        await workflows.start_enrollment(
            EnrollCampaignInput(
                campaign_id=str(campaign.id),
                batch=0,
                selector=LeadSelector.model_validate(campaign.selector),
            )
        )
    return progress(campaign)


async def create_campaign(
    session: AsyncSession,
    workflows: LeadWorkflowGateway,
    body: CampaignCreate,
    idempotency_key: str | None = None,
) -> CampaignProgress:
    """Record the campaign and start enrolling its leads in the background (EnrollCampaign);
    returns at once with the campaign's progress so far."""
    spec = compile_sequence(body.sequence)
    selector = body.selector()
    request_hash = _request_hash(body)
    if idempotency_key and (existing := await _by_key(session, idempotency_key)):
        await session.commit()  # the read ends here: no transaction is open across the engine
        return await _replay(workflows, existing, request_hash)
    pool = await resolve_pool(session, body.mailboxes)
    await workflows.ensure_connected()
    campaign = Campaign(
        name=body.name,
        sequence_name=spec.name,
        sequence_version=spec.version,
        spec=spec.model_dump(mode="json"),
        timezone=body.timezone,
        status=CampaignStatus.ENROLLING,
        selector=selector.model_dump(mode="json", exclude_none=True),
        batch_selectors=[selector.model_dump(mode="json", exclude_none=True)],
        idempotency_key=idempotency_key,
        request_hash=request_hash,
        selected=await count_selected(session, selector),
        mailboxes=pool,
        mailbox_owner=body.mailbox_owner,
    )
    session.add(campaign)
    try:
        await session.commit()
    except IntegrityError:  # the same key, in a request that committed first
        await session.rollback()
        existing = await _by_key(session, idempotency_key or "")
        if existing is None:
            raise
        return await _replay(workflows, existing, request_hash)
    await start_or_leave_to_recovery(
        workflows, EnrollCampaignInput(campaign_id=str(campaign.id), batch=0, selector=selector)
    )
    return progress(campaign)


async def add_leads(
    session: AsyncSession,
    workflows: LeadWorkflowGateway,
    campaign_id: uuid.UUID,
    body: LeadSelection,
) -> CampaignProgress:
    """Enroll more leads in a campaign, in the background as a batch of its own."""
    selector = body.selector()
    await workflows.ensure_connected()
    selected = await count_selected(session, selector)
    campaign = await session.get(Campaign, campaign_id, with_for_update=True)
    if campaign is None:
        raise NotFound(f"campaign {campaign_id} not found")
    if campaign.state == "stopped":
        raise Conflict(f"campaign {campaign_id} is stopped")
    batch = campaign.batches
    campaign.batches += 1
    campaign.batch_selectors = [
        *campaign.batch_selectors,
        selector.model_dump(mode="json", exclude_none=True),
    ]
    campaign.selected += selected
    campaign.status = CampaignStatus.ENROLLING
    campaign.enrolling_finished_at = None
    await session.commit()
    await start_or_leave_to_recovery(
        workflows, EnrollCampaignInput(campaign_id=str(campaign.id), batch=batch, selector=selector)
    )
    return progress(campaign)


async def launch_campaign(
    session: AsyncSession,
    workflows: LeadWorkflowGateway,
    name: str,
    spec: SequenceSpec,
    lead_ids: list[uuid.UUID],
    timezone: str | None = None,
    *,
    mailboxes: list[str] | None = None,
    mailbox_owner: bool = False,
) -> CampaignResult:
    """Snapshot `spec` in a new campaign and enroll the leads now, in the caller (simulate and
    tests); the same batches the background workflow runs."""
    unique = list(dict.fromkeys(lead_ids))
    pool = await resolve_pool(session, mailboxes or [])
    campaign = Campaign(
        name=name,
        sequence_name=spec.name,
        sequence_version=spec.version,
        spec=spec.model_dump(mode="json"),
        timezone=timezone,
        status=CampaignStatus.ENROLLING,
        selector={"lead_ids": [str(i) for i in unique]},
        selected=len(unique),
        mailboxes=pool,
        mailbox_owner=mailbox_owner,
    )
    session.add(campaign)
    await session.commit()
    campaign_id = campaign.id
    result = CampaignResult(
        id=campaign_id,
        name=name,
        sequence=spec.name,
        sequence_version=spec.version,
        enrolled=[],
        skipped=[],
    )
    for first in range(0, len(unique), ENROLL_BATCH_SIZE):
        outcome = await enroll_batch(
            session, workflows, campaign_id, 0, unique[first : first + ENROLL_BATCH_SIZE]
        )
        result.enrolled += outcome.enrolled
        result.skipped += outcome.skipped
    await finish_batch(session, campaign_id, 0)
    return result


async def enroll_leads(
    session: AsyncSession,
    workflows: LeadWorkflowGateway,
    campaign_id: uuid.UUID,
    lead_ids: list[uuid.UUID],
) -> EnrollmentReport:
    """Enroll a few leads into an existing campaign now, in the caller (lead capture), as a
    batch of its own through the same checks and starts as the background enrollment."""
    campaign = await session.get(Campaign, campaign_id, with_for_update=True)
    if campaign is None:
        raise NotFound(f"campaign {campaign_id} not found")
    batch = campaign.batches
    campaign.batches += 1
    campaign.selected += len(set(lead_ids))
    await session.commit()
    outcome = await enroll_batch(session, workflows, campaign_id, batch, lead_ids)
    await finish_batch(session, campaign_id, batch)
    return EnrollmentReport(
        campaign_id=campaign_id, enrolled=outcome.enrolled, skipped=outcome.skipped
    )


async def campaign_summary(session: AsyncSession, campaign_id: uuid.UUID) -> CampaignSummary:
    campaign = await session.get(Campaign, campaign_id, populate_existing=True)
    if campaign is None:
        raise NotFound(f"campaign {campaign_id} not found")
    return CampaignSummary(
        **progress(campaign).model_dump(),
        state=campaign.state,
        created_at=campaign.created_at,
        enrolling_finished_at=campaign.enrolling_finished_at,
        skipped_by_reason=dict(campaign.skip_reasons),
        skipped_leads=await queries.skipped_leads(session, campaign_id, "skipped"),
        warning_leads=await queries.skipped_leads(session, campaign_id, "warning"),
        selector=_shown(campaign.selector),
        enrollments=await queries.enrollments_by_state(session, campaign_id),
        sends_by_step=await queries.sends_by_step(session, campaign_id),
        replies=await queries.replies_since(session, campaign_id, campaign.created_at),
        mailboxes=campaign.mailboxes,
        mailbox_owner=campaign.mailbox_owner,
    )


def _shown(selector: dict[str, object]) -> dict[str, object]:
    """A selector as shown: a long id list is summarised by its length."""
    ids = selector.get("lead_ids")
    if isinstance(ids, list) and len(ids) > 20:
        return {**selector, "lead_ids": f"{len(ids)} ids"}
    return selector


async def list_campaigns(session: AsyncSession) -> list[CampaignSummary]:
    """The newest hundred, newest first."""
    ids = await queries.newest_campaign_ids(session)
    return [await campaign_summary(session, cid) for cid in ids]
