"""What a reply does to the running sequence: classify it, then the intent decides
(stop, pause until the return date, or carry on); the outcome answers the reply Update."""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.classify import classify_reply
    from workflows.context import SequenceContext
    from workflows.contracts import Outcome, ProcessReplyInput, ReplyNotice, ReplyOutcome
    from workflows.intents import DEFAULT_OOO_PAUSE, rule_for
    from workflows.timing import resume_on_return, zone


class ReplyHandler:
    def __init__(self, ctx: SequenceContext) -> None:
        self.ctx = ctx

    async def handle_pending(self) -> None:
        """Handle queued replies in arrival order until one of them stops the sequence."""
        while self.ctx.inbox.pending and not self.ctx.stopped:
            await self.handle(self.ctx.inbox.pending.pop(0))

    async def drain(self) -> None:
        """Handle every queued reply, even after a stop: each must still be classified."""
        while self.ctx.inbox.pending:
            await self.handle(self.ctx.inbox.pending.pop(0))

    async def handle(self, notice: ReplyNotice) -> None:
        ctx, st = self.ctx, self.ctx.st
        res = await classify_reply(
            ProcessReplyInput(
                lead_id=ctx.inp.lead_id,
                enrollment_id=ctx.inp.enrollment_id,
                db_message_id=notice.db_message_id,
            )
        )
        rule = rule_for(res.intent)
        st.last_intent = res.intent
        if ctx.rt.lead_status != res.lead_status:
            ctx.set_lead_status(res.lead_status)
        resume_at: datetime | None = None
        if rule.action == "stop":
            outcome: Outcome = "stopped" if res.intent in ("unsubscribe", "bounce") else "replied"
            ctx.stop(outcome, f"reply: {res.intent}")
            action = "stopped"
        elif rule.action == "pause":
            tz = zone(res.lead_timezone, ctx.inp.campaign_timezone)
            resume_at = (
                resume_on_return(res.return_date, tz, days_late=0 if ctx.lean else 1)
                if res.return_date
                else workflow.now() + DEFAULT_OOO_PAUSE
            )
            action = "paused"
            if resume_at > workflow.now():
                st.paused, st.paused_until = True, resume_at
                st.pause_reason = "out of office"
            else:
                action = "continued"
        else:
            action = "continued"
        ctx.inbox.handled[notice.db_message_id] = ReplyOutcome(
            action=action,
            intent=res.intent,
            lead_status=ctx.rt.lead_status,
            sends=st.sends,
            current_step=ctx.rt.step_no,
            resume_at=resume_at,
        )
