"""Branch steps: jump on a condition over fresh lead facts and the sequence's own state."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.conditions import evaluate
    from workflows.context import SequenceContext
    from workflows.spec import BranchStep


class BranchRunner:
    def __init__(self, ctx: SequenceContext) -> None:
        self.ctx = ctx

    async def next_index(self, step: BranchStep, default: int) -> int:
        """The index of the step to run next; `default` when the chosen side names none."""
        ctx = self.ctx
        # Facts change while a sequence runs (a phone number added): load them again.
        facts = ctx.rt.facts = await ctx.load_facts()
        target = step.then if evaluate(step.when, facts, ctx.st) else step.otherwise
        return default if target is None else ctx.inp.spec.index_of(target)
