"""Where replies and pauses take effect: between steps and inside every sleep."""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows import patches
    from workflows import search_attributes as sa
    from workflows.context import SequenceContext
    from workflows.reply_handler import ReplyHandler


class Checkpoint:
    def __init__(self, ctx: SequenceContext, replies: ReplyHandler) -> None:
        self.ctx = ctx
        self.replies = replies

    async def run(self) -> None:
        """Handle replies in arrival order, then honour a pause (manual, or OOO until a date)."""
        ctx, st, rt = self.ctx, self.ctx.st, self.ctx.rt
        while True:
            await self.replies.handle_pending()
            if ctx.stopped or not st.paused:
                if rt.recorded_pause and not ctx.stopped:
                    await self.resume("resumed")
                return
            until = st.paused_until
            if not rt.recorded_pause:
                rt.recorded_pause = True
                if workflow.patched(patches.PAUSE_REASON):
                    ctx.upsert({sa.PAUSE_REASON: st.pause_reason or "paused"})
                await ctx.record_state(
                    "paused",
                    "SEQUENCE_PAUSED",
                    {"until": until.isoformat() if until else None, "why": st.pause_reason},
                )
            ctx.set_next_action(until)
            if until is not None and until <= workflow.now():
                await self.resume("pause ended")
                continue
            # A pause ends on resume, a reply or a stop; a second pause cannot interrupt it.
            if not await ctx.wait_until(until, done=lambda: not st.paused, wake_on_pause=False):
                await self.resume("pause ended")

    async def sleep_until(self, wake: datetime) -> None:
        """Sleep, but handle replies, pauses and stops the moment they arrive."""
        ctx = self.ctx
        while not ctx.stopped:
            await self.run()
            if ctx.stopped or wake <= workflow.now():
                break
            ctx.set_next_action(wake)
            if not await ctx.wait_until(wake):
                break
        ctx.set_next_action(None)

    async def resume(self, why: str) -> None:
        ctx, st, rt = self.ctx, self.ctx.st, self.ctx.rt
        st.paused, st.paused_until, st.pause_reason = False, None, None
        ctx.set_next_action(None)
        if rt.recorded_pause:
            rt.recorded_pause = False
            if workflow.patched(patches.PAUSE_REASON):
                ctx.upsert({sa.PAUSE_REASON: None})
            await ctx.record_state("active", "SEQUENCE_RESUMED", {"why": why})
