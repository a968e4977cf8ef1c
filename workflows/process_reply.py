"""A reply for a lead with no running sequence still gets classified and still moves the lead's
status: this small workflow runs the same activity the sequence would (LLM retries included)."""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from workflows.contracts import (
        PROCESS_REPLY_ACTIVITY,
        PROCESS_REPLY_WORKFLOW,
        ProcessReplyInput,
        ProcessReplyResult,
    )
    from workflows.policies import LLM_POLICY, LLM_TIMEOUT


@workflow.defn(name=PROCESS_REPLY_WORKFLOW)
class ProcessReplyWorkflow:
    @workflow.run
    async def run(self, inp: ProcessReplyInput) -> ProcessReplyResult:
        try:
            return await self._process(inp)
        except ActivityError:
            # The LLM path failed for good: the offline rules always answer.
            return await self._process(inp.model_copy(update={"offline_only": True}))

    async def _process(self, inp: ProcessReplyInput) -> ProcessReplyResult:
        result: ProcessReplyResult = await workflow.execute_activity(
            PROCESS_REPLY_ACTIVITY,
            inp,
            result_type=ProcessReplyResult,
            start_to_close_timeout=LLM_TIMEOUT,
            retry_policy=LLM_POLICY,
        )
        return result
