"""Task steps (LinkedIn, manual): a human does it; the sequence waits for the task to close."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows import activity_refs as act
    from workflows.checkpoint import Checkpoint
    from workflows.context import SequenceContext
    from workflows.contracts import CreateTaskInput
    from workflows.spec import TaskStep


class TaskRunner:
    def __init__(self, ctx: SequenceContext, checkpoint: Checkpoint) -> None:
        self.ctx = ctx
        self.checkpoint = checkpoint

    async def run(self, step: TaskStep) -> None:
        ctx, done = self.ctx, self.ctx.inbox.tasks_done
        assert ctx.rt.step_no is not None
        due = workflow.now() + timedelta(seconds=step.due_seconds)
        request = CreateTaskInput(
            lead_id=ctx.inp.lead_id,
            enrollment_id=ctx.inp.enrollment_id,
            step_no=ctx.rt.step_no,
            step=step,
            due_at=due,
        )
        # Idempotent: the second call for a step returns the task's current status.
        created = await ctx.bookkeeping(act.create_task, request)
        task_id = created.task_id
        if created.status != "open":
            return
        overdue = False
        while not ctx.stopped and task_id not in done:
            await self.checkpoint.run()
            if ctx.stopped or task_id in done:
                break
            ctx.set_next_action(None if overdue else due)
            # Never a zero or negative timer: a due date already passed still waits a second.
            deadline = None if overdue else max(due, workflow.now() + timedelta(seconds=1))
            if not await ctx.wait_until(deadline, done=lambda: task_id in done):
                # Done in the database but the signal was lost? The row is the record.
                again = await ctx.bookkeeping(act.create_task, request)
                if again.status != "open":
                    done[task_id] = again.status
                    break
                overdue = True
                ctx.set_attention(True)
                await ctx.record_state("attention", "TASK_OVERDUE", {"task_id": task_id})
        ctx.set_next_action(None)
        if overdue:
            ctx.set_attention(False)
            await ctx.record_state("active", None, {})
