"""A reply for a lead with no running sequence still gets classified and still moves the lead's
status: this small workflow runs the same activity the sequence would (LLM retries included)."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.classify import classify_reply
    from workflows.contracts import PROCESS_REPLY_WORKFLOW, ProcessReplyInput, ProcessReplyResult


@workflow.defn(name=PROCESS_REPLY_WORKFLOW)
class ProcessReplyWorkflow:
    @workflow.run
    async def run(self, inp: ProcessReplyInput) -> ProcessReplyResult:
        return await classify_reply(inp)
