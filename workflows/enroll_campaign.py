"""Enrolls a campaign's selected leads in the background, a batch at a time.

The cursor (the last lead id handled; leads go in ascending id order) is the workflow's only
state, so a crashed worker resumes where the last completed batch ended, and continue-as-new
carries it for selections of any size. A retried batch is harmless: its enrollment rows are
found again and the lead workflows' ids refuse a second start. No lead workflow's result is
ever awaited here.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows import activity_refs
    from workflows.campaign_contracts import (
        ENROLL_CAMPAIGN_WORKFLOW,
        EnrollBatchInput,
        EnrollCampaignInput,
        EnrollCampaignResult,
        FinishBatchInput,
        NextBatchInput,
    )


@workflow.defn(name=ENROLL_CAMPAIGN_WORKFLOW)
class EnrollCampaignWorkflow:
    @workflow.run
    async def run(self, inp: EnrollCampaignInput) -> EnrollCampaignResult:
        state = inp.model_copy(deep=True)
        for _ in range(max(1, inp.batches_per_run)):
            lead_ids = await self._next_page(state)
            if not lead_ids:
                await activity_refs.finish_campaign_batch.run(
                    FinishBatchInput(campaign_id=state.campaign_id, batch=state.batch)
                )
                return EnrollCampaignResult(enrolled=state.enrolled, skipped=state.skipped)
            done = await activity_refs.enroll_batch.run(
                EnrollBatchInput(
                    campaign_id=state.campaign_id, batch=state.batch, lead_ids=lead_ids
                )
            )
            state.enrolled += done.enrolled
            state.skipped += done.skipped
            state.cursor = lead_ids[-1]
            if workflow.info().is_continue_as_new_suggested():
                break
        workflow.continue_as_new(state)

    async def _next_page(self, state: EnrollCampaignInput) -> list[str]:
        ids = state.selector.lead_ids
        if ids is not None:
            # Explicit ids travel in the input: page through them here, no activity needed.
            after = [i for i in sorted(set(ids)) if state.cursor is None or i > state.cursor]
            return after[: state.batch_size]
        page = await activity_refs.next_enrollment_batch.run(
            NextBatchInput(selector=state.selector, cursor=state.cursor, limit=state.batch_size)
        )
        return page.lead_ids
