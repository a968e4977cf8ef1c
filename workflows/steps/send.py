"""Send steps: one activity per send; deferrals sleep, replies found at send time are handled
first, and a failure that retries cannot fix goes to ops as a dead letter."""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from workflows import activity_refs as act
    from workflows.checkpoint import Checkpoint
    from workflows.context import SequenceContext
    from workflows.contracts import FINAL_STATUSES, SendStepInput
    from workflows.queues import send_concern
    from workflows.spec import SendStep, Variant
    from workflows.steps.ai_draft import DraftRunner
    from workflows.steps.dead_letter import DeadLetter


class SendRunner:
    def __init__(
        self,
        ctx: SequenceContext,
        checkpoint: Checkpoint,
        drafts: DraftRunner,
        dead_letter: DeadLetter,
    ) -> None:
        self.ctx = ctx
        self.checkpoint = checkpoint
        self.drafts = drafts
        self.dead_letter = dead_letter

    def pick_variant(self, step: SendStep) -> Variant | None:
        """A/B arm: drawn once per enrollment (workflow.random is replay-safe), kept after."""
        st = self.ctx.st
        if not step.variants:
            return None
        by_name = {v.name: v for v in step.variants}
        if st.arm in by_name:
            return by_name[st.arm]
        total = sum(v.weight for v in step.variants)
        point = workflow.random().uniform(0, total)
        for variant in step.variants:
            point -= variant.weight
            if point <= 0:
                break
        st.arm = variant.name
        return variant

    async def run(self, step: SendStep, *, last: bool = False) -> None:
        """`last`: nothing runs after this step, so the send can record the enrollment's end."""
        ctx, st, rt = self.ctx, self.ctx.st, self.ctx.rt
        assert rt.step_no is not None
        variant = self.pick_variant(step)
        # Only AI steps run commands here, so other steps replay as they always did.
        override = await self.drafts.content(step, variant) if step.ai is not None else None
        while not ctx.stopped:
            request = SendStepInput(
                lead_id=ctx.inp.lead_id,
                enrollment_id=ctx.inp.enrollment_id,
                campaign_id=ctx.inp.campaign_id,
                step_no=rt.step_no,
                step=step,
                variant=variant,
                thread_key=st.thread_key if step.thread else None,
                campaign_timezone=ctx.inp.campaign_timezone,
                content_override=override,
                finish=(
                    ctx.finish_input("completed", "", st.sends + 1) if last and ctx.lean else None
                ),
            )
            rt.send_in_flight = True
            try:
                res = await act.send_step.run(request, concern=send_concern(step.channel))
            except ActivityError as err:
                rt.send_in_flight = False
                if await self.dead_letter.wait_for_ops(err, request.idempotency_key) == "retry":
                    continue
                return
            rt.send_in_flight = False
            if res.status == "deferred":
                assert res.retry_at is not None
                await self.checkpoint.sleep_until(res.retry_at)
                continue
            if res.status == "reply_pending":
                for notice in res.pending_replies:
                    ctx.accept_reply(notice)
                await self.checkpoint.run()
                continue
            if res.status in ("sent", "already_sent"):
                st.sends += 1
                if res.finished:
                    rt.finish_recorded = request.finish
                # Only an email roots a thread; a Message step may have gone out on another
                # channel (results recorded before `channel` existed used the step's own).
                if (res.channel or step.channel) == "EMAIL" and st.thread_key is None:
                    st.thread_key = request.idempotency_key
            if rt.lead_status not in FINAL_STATUSES:
                ctx.set_lead_status(res.lead_status)
            if res.status == "skipped":
                # The database says this lead must not be contacted (replied, suppressed, ...).
                ctx.stop("skipped", res.reason)
            return
