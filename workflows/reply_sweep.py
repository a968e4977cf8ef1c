"""The reply sweep, run every minute by a Temporal schedule (`salespad-reply-sweep`): replies
recorded but never handled are told to their sequences again (services/replies/sweep.py).
A schedule rather than a loop in each worker: one sweep per minute however many workers run,
and ops see every run, and can pause or trigger it, in the Web UI's Schedules page."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows import activity_refs as act
    from workflows.contracts import REPLY_SWEEP_WORKFLOW, ReplySweepInput, ReplySweepResult


@workflow.defn(name=REPLY_SWEEP_WORKFLOW)
class ReplySweepWorkflow:
    @workflow.run
    async def run(self, inp: ReplySweepInput) -> ReplySweepResult:
        return await act.sweep_replies.run(inp)
