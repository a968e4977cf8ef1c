"""Wait steps: sleep for a duration, optionally until the lead's send window opens."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.checkpoint import Checkpoint
    from workflows.context import SequenceContext
    from workflows.spec import WaitStep
    from workflows.timing import next_in_window, zone


class WaitRunner:
    def __init__(self, ctx: SequenceContext, checkpoint: Checkpoint) -> None:
        self.ctx = ctx
        self.checkpoint = checkpoint

    async def run(self, step: WaitStep) -> None:
        ctx = self.ctx
        wake = workflow.now() + timedelta(seconds=step.seconds)
        if step.window is not None:
            facts = ctx.rt.facts
            tz = zone(facts.timezone if facts else None, ctx.inp.campaign_timezone)
            wake = next_in_window(wake, step.window, tz)
        await self.checkpoint.sleep_until(wake)
