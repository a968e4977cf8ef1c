"""Reply classification with its fallback, shared by the interpreter and ProcessReplyWorkflow."""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from workflows import activity_refs as act
    from workflows.contracts import ProcessReplyInput, ProcessReplyResult


async def classify_reply(inp: ProcessReplyInput) -> ProcessReplyResult:
    """Classify with the LLM path; when that fails for good, the offline rules always answer."""
    try:
        return await act.process_reply.run(inp)
    except ActivityError:
        return await act.process_reply.run(inp.model_copy(update={"offline_only": True}))
