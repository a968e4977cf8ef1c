"""Enrolling one batch of a campaign's leads: set-based checks, one insert, bounded starts.

Used by the EnrollCampaign workflow's activity (in the background) and by `launch_campaign`
(in the caller, for simulate and tests). Safe to repeat: a retried batch finds the enrollment
rows its earlier attempt committed and starts only the ones with no recorded run (a second
start of `lead-{id}` is refused by Temporal anyway); skip rows are unique per campaign, batch,
lead and kind; counters move only by rows actually inserted. The partial unique index on open
enrollments keeps a lead in one running sequence whatever races.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, text
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.db import Database
from models.enums import (
    FINAL_LEAD_STATUSES,
    OPEN_ENROLLMENT_STATES,
    CampaignStatus,
    EnrollmentState,
    EventType,
)
from models.tables import Campaign, CampaignSkip, Enrollment, EventLog, Lead
from services.campaigns.prelaunch import check_lead
from services.campaigns.schemas import Enrolled, Skipped
from services.clock import activity_now
from services.errors import NotFound
from services.gateway import LeadWorkflowGateway, SequenceStart
from workflows.contracts import LeadFacts, LeadSequenceInput, workflow_id_for
from workflows.spec import SendStep, SequenceSpec

_OPEN = sorted(OPEN_ENROLLMENT_STATES)
# Leads recorded per step of a pipelined batch: small enough that the first starts begin at
# once, big enough that a step's database work is one round of set-based statements.
PIPELINE_CHUNK = 100

# One statement for the whole batch: per lead id, whether it exists, whether it is suppressed,
# its open enrollment elsewhere, and this campaign's own enrollment of it.
_FACTS = text(
    """
    SELECT ids.id AS lead_id,
           (SELECT s.reason FROM suppression s
             WHERE (l.email IS NOT NULL AND lower(s.email) = lower(l.email))
                OR (l.phone IS NOT NULL AND s.phone = l.phone)
                OR (l.email IS NOT NULL AND s.email_sha256 = salespad_pii_hash(l.email))
                OR (l.phone IS NOT NULL AND s.phone_sha256 = salespad_pii_hash(l.phone))
             LIMIT 1) AS suppressed,
           (SELECT e.campaign_id FROM enrollment e
             WHERE e.lead_id = ids.id AND e.state = ANY(CAST(:open AS text[]))
               AND e.campaign_id <> :campaign
             LIMIT 1) AS active_in,
           own.id AS own_id, own.campaign_batch AS own_batch, own.run_id AS own_run,
           own.state = ANY(CAST(:open AS text[])) AS own_open
      FROM unnest(CAST(:ids AS uuid[])) AS ids(id)
      LEFT JOIN lead l ON l.id = ids.id
      LEFT JOIN LATERAL (
           SELECT e.id, e.campaign_batch, e.run_id, e.state FROM enrollment e
            WHERE e.lead_id = ids.id AND e.campaign_id = :campaign
            ORDER BY e.created_at DESC LIMIT 1) AS own ON true
    """
)


@dataclass
class BatchOutcome:
    enrolled: list[Enrolled] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    warnings: int = 0


@dataclass
class _Plan:
    fresh: list[Lead] = field(default_factory=list)
    # Enrolled by an earlier attempt of this batch, start not recorded: start again.
    again: list[tuple[Lead, uuid.UUID]] = field(default_factory=list)
    skips: list[Skipped] = field(default_factory=list)
    warnings: list[Skipped] = field(default_factory=list)


def _reachable(spec: SequenceSpec, lead: Lead) -> str | None:
    """None when the lead has an address for some channel the sequence sends on."""
    channels = {s.channel for s in spec.steps if isinstance(s, SendStep)}
    if not channels:
        return None
    if "EMAIL" in channels and lead.email:
        return None
    if channels & {"WHATSAPP", "SMS"} and lead.phone:
        return None
    return f"no address for {', '.join(sorted(channels))}"


async def _plan(
    session: AsyncSession, campaign: Campaign, spec: SequenceSpec, batch: int, ids: list[uuid.UUID]
) -> _Plan:
    facts = {
        row.lead_id: row
        for row in (
            await session.exec(  # type: ignore[call-overload]
                _FACTS, params={"ids": ids, "campaign": campaign.id, "open": _OPEN}
            )
        ).all()
    }
    leads = {
        lead.id: lead for lead in (await session.exec(select(Lead).where(col(Lead.id).in_(ids))))
    }
    plan = _Plan()

    def skip(lead_id: uuid.UUID, reason: str, detail: str = "") -> None:
        plan.skips.append(Skipped(lead_id=lead_id, reason=reason, detail=detail))

    for lead_id in ids:
        f, lead = facts[lead_id], leads.get(lead_id)
        if lead is None:
            skip(lead_id, "not found", "lead not found")
        elif f.own_id is not None and f.own_batch == batch:
            if f.own_open and f.own_run is None:
                plan.again.append((lead, f.own_id))
        elif f.own_id is not None:
            skip(lead_id, "already in campaign", f"enrolled by batch {f.own_batch}")
        elif f.active_in is not None:
            skip(lead_id, "already active", f"running in campaign {f.active_in}")
        elif lead.status in FINAL_LEAD_STATUSES:
            skip(lead_id, lead.status.lower(), f"lead is {lead.status}")
        elif f.suppressed is not None:
            skip(lead_id, "suppressed", str(f.suppressed))
        elif (unreachable := _reachable(spec, lead)) is not None:
            skip(lead_id, "invalid", unreachable)
        else:
            check = check_lead(spec, lead)
            if check.missing:
                skip(lead_id, "missing field", check.missing)
                continue
            plan.fresh.append(lead)
            if check.fallbacks:
                detail = "default used for " + "; ".join(check.fallbacks)
                plan.warnings.append(Skipped(lead_id=lead_id, reason="default used", detail=detail))
    return plan


async def _record_skips(
    session: AsyncSession,
    campaign: Campaign,
    batch: int,
    skips: list[Skipped],
    kind: str = "skipped",
) -> list[Skipped]:
    """Insert skip (or warning) rows; the ones this attempt added, for the counters."""
    if not skips:
        return []
    rows = [
        {
            "campaign_id": campaign.id,
            "batch": batch,
            "lead_id": s.lead_id,
            "kind": kind,
            "reason": s.reason,
            "detail": s.detail[:2000],
        }
        for s in skips
    ]
    inserted = await session.exec(
        insert(CampaignSkip)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["campaign_id", "batch", "lead_id", "kind"])
        .returning(col(CampaignSkip.lead_id))
    )
    new = {row[0] for row in inserted.all()}
    return [s for s in skips if s.lead_id in new]


def _count(campaign: Campaign, enrolled: int, skipped: list[Skipped], warnings: int) -> None:
    campaign.enrolled += enrolled
    campaign.skipped += len(skipped)
    campaign.warnings += warnings
    reasons: Counter[str] = Counter(campaign.skip_reasons)
    reasons.update(s.reason for s in skipped)
    campaign.skip_reasons = dict(reasons)


async def enroll_batch(
    session: AsyncSession,
    workflows: LeadWorkflowGateway,
    campaign_id: uuid.UUID,
    batch: int,
    lead_ids: Sequence[uuid.UUID],
) -> BatchOutcome:
    """Check, record and start one batch of leads (in the order given, repeats dropped)."""
    recorded = await record_batch(session, campaign_id, batch, lead_ids)
    await start_recorded(session, workflows, recorded)
    return recorded.outcome


async def enroll_pipelined(
    db: Database,
    workflows: LeadWorkflowGateway,
    campaign_id: uuid.UUID,
    batch: int,
    lead_ids: Sequence[uuid.UUID],
    chunk: int = PIPELINE_CHUNK,
) -> BatchOutcome:
    """`enroll_batch` a chunk at a time, recording the next chunk while the previous one's
    workflows start: the database work hides behind the starts (whose concurrency stays the
    gateway's). Each chunk is a batch of its own in every respect a retry relies on."""
    ids = list(dict.fromkeys(lead_ids))
    done: list[RecordedBatch] = []
    starting: asyncio.Task[None] | None = None
    try:
        for first in range(0, len(ids), chunk):
            async with db.session() as session:
                recorded = await record_batch(
                    session, campaign_id, batch, ids[first : first + chunk]
                )
            if starting is not None:
                await starting
            starting = asyncio.create_task(_start_in_own_session(db, workflows, recorded))
            done.append(recorded)
        if starting is not None:
            await starting
    finally:
        if starting is not None and not starting.done():
            starting.cancel()
    return BatchOutcome(
        enrolled=[e for r in done for e in r.outcome.enrolled],
        skipped=[s for r in done for s in r.outcome.skipped],
        warnings=sum(r.outcome.warnings for r in done),
    )


async def _start_in_own_session(
    db: Database, workflows: LeadWorkflowGateway, recorded: RecordedBatch
) -> None:
    async with db.session() as session:
        await start_recorded(session, workflows, recorded)


@dataclass
class RecordedBatch:
    """A batch checked and written, its workflows not started yet."""

    campaign: Campaign
    spec: SequenceSpec
    batch: int
    to_start: list[tuple[Lead, uuid.UUID]]
    fresh_ids: set[uuid.UUID]
    outcome: BatchOutcome


async def start_recorded(
    session: AsyncSession, workflows: LeadWorkflowGateway, recorded: RecordedBatch
) -> None:
    if recorded.to_start:
        await _start(
            session,
            workflows,
            recorded.campaign,
            recorded.spec,
            recorded.batch,
            recorded.to_start,
            recorded.fresh_ids,
            recorded.outcome,
        )


async def record_batch(
    session: AsyncSession,
    campaign_id: uuid.UUID,
    batch: int,
    lead_ids: Sequence[uuid.UUID],
) -> RecordedBatch:
    """Check one batch of leads and write its enrollments, events, skips and counts."""
    ids = list(dict.fromkeys(lead_ids))
    # The campaign row's lock serialises batches of one campaign (and their counters).
    campaign = await session.get(
        Campaign, campaign_id, with_for_update=True, populate_existing=True
    )
    if campaign is None:
        raise NotFound(f"campaign {campaign_id} not found")
    spec = SequenceSpec.model_validate(campaign.spec)
    plan = await _plan(session, campaign, spec, batch, ids)

    now = activity_now()
    enrollment_ids: dict[uuid.UUID, uuid.UUID] = {}
    if plan.fresh:
        inserted = await session.exec(
            insert(Enrollment)
            .values(
                [
                    {
                        "id": uuid.uuid4(),
                        "campaign_id": campaign.id,
                        "lead_id": lead.id,
                        "workflow_id": workflow_id_for(str(lead.id)),
                        "state": EnrollmentState.ACTIVE,
                        "campaign_batch": batch,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for lead in plan.fresh
                ]
            )
            # The partial unique index: a lead enrolled meanwhile elsewhere is not inserted.
            .on_conflict_do_nothing()
            .returning(col(Enrollment.lead_id), col(Enrollment.id))
        )
        enrollment_ids = {row[0]: row[1] for row in inserted.all()}
    lost = [lead for lead in plan.fresh if lead.id not in enrollment_ids]
    plan.skips += [Skipped(lead_id=lead.id, reason="already active") for lead in lost]
    fresh = [lead for lead in plan.fresh if lead.id in enrollment_ids]
    warned = {w.lead_id for w in plan.warnings}
    if fresh:
        await session.exec(
            insert(EventLog),
            params=[
                {
                    "lead_id": lead.id,
                    "event_type": EventType.ENROLLED,
                    "timestamp": now,
                    "details": {
                        "campaign_id": str(campaign.id),
                        "sequence": spec.name,
                        "version": spec.version,
                        "workflow_id": workflow_id_for(str(lead.id)),
                        **({"warning": "template default used"} if lead.id in warned else {}),
                    },
                }
                for lead in fresh
            ],
        )
    new_skips = await _record_skips(session, campaign, batch, plan.skips)
    fresh_ids = {lead.id for lead in fresh}
    new_warnings = await _record_skips(
        session, campaign, batch, [w for w in plan.warnings if w.lead_id in fresh_ids], "warning"
    )
    _count(campaign, len(fresh), new_skips, len(new_warnings))
    await session.commit()

    to_start = [(lead, enrollment_ids[lead.id]) for lead in fresh] + plan.again
    outcome = BatchOutcome(skipped=plan.skips, warnings=len(new_warnings))
    return RecordedBatch(campaign, spec, batch, to_start, fresh_ids, outcome)


async def _start(
    session: AsyncSession,
    workflows: LeadWorkflowGateway,
    campaign: Campaign,
    spec: SequenceSpec,
    batch: int,
    to_start: list[tuple[Lead, uuid.UUID]],
    fresh_ids: set[uuid.UUID],
    outcome: BatchOutcome,
) -> None:
    starts = [
        SequenceStart(
            input=LeadSequenceInput(
                lead_id=str(lead.id),
                enrollment_id=str(enrollment_id),
                campaign_id=str(campaign.id),
                lead_status=lead.status,
                spec=spec,
                campaign_timezone=campaign.timezone,
                facts=LeadFacts(
                    status=lead.status,
                    has_email=bool(lead.email),
                    has_phone=bool(lead.phone),
                    timezone=lead.timezone,
                ),
            ),
            lead_email=lead.email,
        )
        for lead, enrollment_id in to_start
    ]
    results = await workflows.start_sequences(starts)
    run_ids: list[tuple[uuid.UUID, str]] = []
    foreign: list[tuple[Lead, uuid.UUID]] = []
    for (lead, enrollment_id), result in zip(to_start, results, strict=True):
        if result.started:
            run_ids.append((enrollment_id, result.run_id or ""))
            outcome.enrolled.append(
                Enrolled(
                    lead_id=lead.id,
                    workflow_id=workflow_id_for(str(lead.id)),
                    enrollment_id=enrollment_id,
                )
            )
        elif lead.id in fresh_ids:
            # A `lead-{id}` workflow runs with no open enrollment of ours: someone else's.
            foreign.append((lead, enrollment_id))
        # else: our own earlier attempt started it; it was counted then.
    if run_ids:
        await session.exec(  # type: ignore[call-overload]
            text(
                "UPDATE enrollment SET run_id = v.run_id "
                "FROM unnest(CAST(:ids AS uuid[]), CAST(:runs AS text[])) AS v(id, run_id) "
                "WHERE enrollment.id = v.id"
            ),
            params={"ids": [e for e, _ in run_ids], "runs": [r for _, r in run_ids]},
        )
    if foreign:
        await _give_back(session, campaign, batch, foreign, outcome)
    await session.commit()


async def _give_back(
    session: AsyncSession,
    campaign: Campaign,
    batch: int,
    foreign: list[tuple[Lead, uuid.UUID]],
    outcome: BatchOutcome,
) -> None:
    """Leads whose workflow was already running: their new enrollment is undone, and they are
    reported as skipped instead."""
    locked = await session.get(Campaign, campaign.id, with_for_update=True, populate_existing=True)
    assert locked is not None
    await session.exec(delete(Enrollment).where(col(Enrollment.id).in_([e for _, e in foreign])))
    skips = [Skipped(lead_id=lead.id, reason="already active") for lead, _ in foreign]
    new = await _record_skips(session, locked, batch, skips)
    _count(locked, -len(foreign), new, 0)
    outcome.skipped += skips


async def finish_batch(session: AsyncSession, campaign_id: uuid.UUID, batch: int) -> Campaign:
    """Mark a batch done; the campaign is enrolled once every batch is (idempotent)."""
    campaign = await session.get(
        Campaign, campaign_id, with_for_update=True, populate_existing=True
    )
    if campaign is None:
        raise NotFound(f"campaign {campaign_id} not found")
    if batch not in campaign.finished_batches:
        campaign.finished_batches = sorted({*campaign.finished_batches, batch})
    if len(campaign.finished_batches) >= campaign.batches:
        if campaign.status != CampaignStatus.ENROLLED:
            campaign.enrolling_finished_at = activity_now()
        campaign.status = CampaignStatus.ENROLLED
    await session.commit()
    return campaign


def summary_counts(campaign: Campaign) -> dict[str, Any]:
    return {
        "status": campaign.status,
        "selected": campaign.selected,
        "enrolled": campaign.enrolled,
        "skipped": campaign.skipped,
        "warnings": campaign.warnings,
    }
