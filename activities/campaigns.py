"""Enrolling a campaign's leads in the background: the EnrollCampaign workflow's activities."""

from __future__ import annotations

import uuid

from temporalio import activity
from temporalio.exceptions import ApplicationError

from models.db import Database
from services.campaigns.enrollment import enroll_batch, finish_batch
from services.campaigns.selection import page_of_leads
from services.errors import SalesPadError
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

# A campaign or import that does not exist will not appear on a retry.
SELECTION_ERROR = "SelectionError"


class CampaignActivities:
    """`workflows` starts the lead workflows (bounded fan-out, refuses a second start)."""

    def __init__(self, db: Database, workflows: LeadWorkflowGateway) -> None:
        self._db = db
        self._workflows = workflows

    @activity.defn(name=NEXT_ENROLLMENT_BATCH_ACTIVITY)
    async def next_enrollment_batch(self, inp: NextBatchInput) -> LeadPage:
        async with self._db.session() as session:
            try:
                ids = await page_of_leads(session, inp.selector, inp.cursor, inp.limit)
            except SalesPadError as exc:
                raise ApplicationError(
                    exc.message, type=SELECTION_ERROR, non_retryable=True
                ) from exc
        return LeadPage(lead_ids=[str(i) for i in ids])

    @activity.defn(name=ENROLL_BATCH_ACTIVITY)
    async def enroll_batch(self, inp: EnrollBatchInput) -> EnrollBatchResult:
        async with self._db.session() as session:
            try:
                outcome = await enroll_batch(
                    session,
                    self._workflows,
                    uuid.UUID(inp.campaign_id),
                    inp.batch,
                    [uuid.UUID(i) for i in inp.lead_ids],
                )
            except SalesPadError as exc:
                raise ApplicationError(
                    exc.message, type=SELECTION_ERROR, non_retryable=True
                ) from exc
        return EnrollBatchResult(
            enrolled=len(outcome.enrolled),
            skipped=len(outcome.skipped),
            warnings=outcome.warnings,
        )

    @activity.defn(name=FINISH_CAMPAIGN_BATCH_ACTIVITY)
    async def finish_campaign_batch(self, inp: FinishBatchInput) -> None:
        async with self._db.session() as session:
            await finish_batch(session, uuid.UUID(inp.campaign_id), inp.batch)
