"""Enrolling a campaign's leads in the background: the EnrollCampaign workflow's activities.

Nothing here fails for good: the request already checked the selection (an import that does
not exist is a 422 there), so any error is the database or Temporal, waited out by DB_POLICY.
"""

from __future__ import annotations

import uuid

from temporalio import activity

from models.db import Database
from services.campaigns.enrollment import enroll_pipelined, finish_batch
from services.campaigns.selection import page_of_leads
from services.gateway import LeadWorkflowGateway
from workflows.campaign_contracts import (
    ENROLL_BATCH_ACTIVITY,
    FINISH_CAMPAIGN_BATCH_ACTIVITY,
    NEXT_ENROLLMENT_BATCH_ACTIVITY,
    EnrollBatchInput,
    EnrollBatchResult,
    FinishBatchInput,
    LeadPage,
    NextBatchInput,
)


class CampaignActivities:
    """`workflows` starts the lead workflows (bounded fan-out, refuses a second start)."""

    def __init__(self, db: Database, workflows: LeadWorkflowGateway) -> None:
        self._db = db
        self._workflows = workflows

    @activity.defn(name=NEXT_ENROLLMENT_BATCH_ACTIVITY)
    async def next_enrollment_batch(self, inp: NextBatchInput) -> LeadPage:
        async with self._db.session() as session:
            ids = await page_of_leads(session, inp.selector, inp.cursor, inp.limit)
        return LeadPage(lead_ids=[str(i) for i in ids])

    @activity.defn(name=ENROLL_BATCH_ACTIVITY)
    async def enroll_batch(self, inp: EnrollBatchInput) -> EnrollBatchResult:
        outcome = await enroll_pipelined(
            self._db,
            self._workflows,
            uuid.UUID(inp.campaign_id),
            inp.batch,
            [uuid.UUID(i) for i in inp.lead_ids],
        )
        return EnrollBatchResult(
            enrolled=len(outcome.enrolled),
            skipped=len(outcome.skipped),
            warnings=outcome.warnings,
        )

    @activity.defn(name=FINISH_CAMPAIGN_BATCH_ACTIVITY)
    async def finish_campaign_batch(self, inp: FinishBatchInput) -> None:
        async with self._db.session() as session:
            await finish_batch(session, uuid.UUID(inp.campaign_id), inp.batch)
