"""Dead letters: retries exhausted or a permanent error flag the lead for ops, and the step
waits for ops to retry, skip or stop it (replies and stops still act; a pause does not)."""

from __future__ import annotations

from typing import Literal

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from workflows import activity_refs as act
    from workflows.context import SequenceContext
    from workflows.contracts import OpsCommand, ReleaseClaimInput
    from workflows.policies import SEND_OUTCOME_UNKNOWN
    from workflows.reply_handler import ReplyHandler

OpsAction = Literal["retry", "skip", "stop"]


class DeadLetter:
    def __init__(self, ctx: SequenceContext, replies: ReplyHandler) -> None:
        self.ctx = ctx
        self.replies = replies

    async def wait_for_ops(self, err: ActivityError, idempotency_key: str) -> OpsAction:
        """Flag the lead, wait for an ops command (or a stop), and say what ops decided."""
        ctx, inbox = self.ctx, self.ctx.inbox
        cause = err.cause
        error_type = cause.type if isinstance(cause, ApplicationError) else type(cause).__name__
        message = cause.message if isinstance(cause, ApplicationError) else str(cause or err)
        ctx.set_attention(True)
        if ctx.lean:
            # Ops see the dead letter once record_state commits, before it returns: a command
            # sent in between must count, not be dropped (the lead would stay stuck).
            inbox.ops.clear()
            ctx.rt.awaiting_ops = True
        await ctx.record_state(
            "attention",
            "DEAD_LETTERED",
            {"step": ctx.rt.step_no, "error_type": error_type, "error": message[:500]},
        )
        command: OpsCommand | None = None
        if not ctx.lean:
            inbox.ops.clear()
            ctx.rt.awaiting_ops = True
        while command is None and not ctx.stopped:
            await ctx.wait_until(None, done=lambda: bool(inbox.ops), wake_on_pause=False)
            await self.replies.handle_pending()
            if inbox.ops:
                command = inbox.ops.pop(0)
        ctx.rt.awaiting_ops = False
        ctx.set_attention(False)
        action = command.action if command else "stop"
        if action == "retry" and error_type == SEND_OUTCOME_UNKNOWN:
            # Ops checked the provider and say it did not go out: free the key to send again.
            await ctx.bookkeeping(
                act.release_send_claim,
                ReleaseClaimInput(
                    lead_id=ctx.inp.lead_id,
                    idempotency_key=idempotency_key,
                    note=command.note if command else "",
                ),
            )
        if action == "stop":
            ctx.stop("stopped", "stopped by ops" if command else ctx.rt.stop_reason or "")
        await ctx.record_state("active", f"OPS_{action.upper()}", {"step": ctx.rt.step_no})
        return action
