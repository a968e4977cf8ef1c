"""A campaign's enrollment is never lost between its commit and its workflow's start: the
request starts the EnrollCampaign workflow right after committing, and when that start fails
(Temporal went away in between, the process died) the commit already holds all it takes to
start it again (the batch's selector); the worker's sweep does so. Starting twice is harmless:
a batch's workflow id refuses a second run."""

from __future__ import annotations

import logging

from sqlmodel import select

from models.db import Database
from models.enums import CampaignStatus
from models.tables import Campaign
from services.gateway import LeadWorkflowGateway
from workflows.campaign_contracts import EnrollCampaignInput, LeadSelector

log = logging.getLogger("salespad.campaigns")


async def start_or_leave_to_recovery(
    workflows: LeadWorkflowGateway, inp: EnrollCampaignInput
) -> None:
    """Start the batch's enrollment now; if that fails, the sweep starts it (the request
    still answers 202: the campaign is recorded)."""
    try:
        await workflows.start_enrollment(inp)
    except Exception as exc:
        log.warning(
            "campaign %s batch %s: enrollment not started yet (%s); the worker's sweep will",
            inp.campaign_id,
            inp.batch,
            exc,
        )


async def restart_stranded(db: Database, workflows: LeadWorkflowGateway) -> int:
    """Start every unfinished batch of every enrolling campaign whose workflow never started;
    returns how many were started now."""
    async with db.session() as session:
        campaigns = (
            await session.exec(
                select(
                    Campaign.id,
                    Campaign.batches,
                    Campaign.finished_batches,
                    Campaign.batch_selectors,
                ).where(Campaign.status == CampaignStatus.ENROLLING)
            )
        ).all()
    started = 0
    for campaign_id, batches, finished, selectors in campaigns:
        for batch in range(batches):
            if batch in finished or batch >= len(selectors):
                continue  # done, or from before selectors were kept
            inp = EnrollCampaignInput(
                campaign_id=str(campaign_id),
                batch=batch,
                selector=LeadSelector.model_validate(selectors[batch]),
            )
            if await workflows.start_enrollment(inp):
                log.warning("campaign %s batch %s: enrollment started by the sweep",
                            campaign_id, batch)  # fmt: skip
                started += 1
    return started
