"""The lead-sequence interpreter: one workflow per lead, id `lead-{lead_id}`.

It walks the campaign's spec snapshot. Sends are one activity each; waits are
`wait_condition(..., timeout=...)` so a reply, pause or stop ends a wait at once. Replies are
handled between steps, one at a time, in arrival order: classified by an activity, then the
intent decides (stop, pause until the return date, or carry on). Search attributes are upserted
only when their value changes, in the same workflow task as the step that changed them.

The workflow holds one SequenceContext (carried state, inbox, run flags) and hands it to one
runner per kind of step; handlers only put things in the inbox or the state.
"""

from __future__ import annotations

from typing import Literal

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows import activity_refs as act
    from workflows import search_attributes as sa
    from workflows.checkpoint import Checkpoint
    from workflows.context import SequenceContext
    from workflows.contracts import (
        CONTROL_SIGNAL,
        LEAD_SEQUENCE_WORKFLOW,
        OPS_SIGNAL,
        REPLY_SIGNAL,
        REPLY_UPDATE,
        STATUS_QUERY,
        STOP_SIGNAL,
        TASK_SIGNAL,
        ControlRequest,
        LeadSequenceInput,
        LeadSequenceResult,
        OpsCommand,
        Outcome,
        ReplyNotice,
        ReplyOutcome,
        SequenceStatus,
        StopRequest,
        TaskDone,
    )
    from workflows.draft_contracts import DRAFT_DECISION_SIGNAL, DraftDecision
    from workflows.reply_handler import ReplyHandler
    from workflows.spec import BranchStep, EndStep, SendStep, TaskStep, WaitStep
    from workflows.steps.ai_draft import DraftRunner
    from workflows.steps.branch import BranchRunner
    from workflows.steps.dead_letter import DeadLetter
    from workflows.steps.send import SendRunner
    from workflows.steps.task import TaskRunner
    from workflows.steps.wait import WaitRunner


@workflow.defn(name=LEAD_SEQUENCE_WORKFLOW)
class LeadSequenceWorkflow:
    @workflow.init
    def __init__(self, inp: LeadSequenceInput) -> None:
        ctx = self.ctx = SequenceContext(inp)
        self.replies = ReplyHandler(ctx)
        self.checkpoint = Checkpoint(ctx, self.replies)
        self.send = SendRunner(
            ctx,
            self.checkpoint,
            DraftRunner(ctx, self.checkpoint),
            DeadLetter(ctx, self.replies),
        )
        self.wait = WaitRunner(ctx, self.checkpoint)
        self.task = TaskRunner(ctx, self.checkpoint)
        self.branch = BranchRunner(ctx)

    @workflow.run
    async def run(self, inp: LeadSequenceInput) -> LeadSequenceResult:
        ctx, st, rt = self.ctx, self.ctx.st, self.ctx.rt
        steps = inp.spec.steps
        if rt.facts is None:
            rt.facts = await ctx.load_facts()
        while st.index < len(steps):
            await self.checkpoint.run()
            if ctx.stopped:
                break
            if self.can_continue_as_new(inp):
                # Long sequences stay under the history limits: a fresh run carries the state.
                ctx.flush_visibility()
                carried = {"state": st, "lead_status": rt.lead_status}
                workflow.continue_as_new(
                    inp.model_copy(update=carried | ({"facts": rt.facts} if ctx.lean else {}))
                )
            step = steps[st.index]
            rt.step_no = st.index + 1
            ctx.upsert({sa.CURRENT_STEP: rt.step_no})
            next_index = st.index + 1
            if isinstance(step, SendStep):
                await self.send.run(step, last=self.ends_after(next_index))
            elif isinstance(step, WaitStep):
                await self.wait.run(step)
            elif isinstance(step, TaskStep):
                await self.task.run(step)
            elif isinstance(step, BranchStep):
                next_index = await self.branch.next_index(step, next_index)
            elif isinstance(step, EndStep):
                break
            st.index = next_index
        return await self.finish()

    def ends_after(self, next_index: int) -> bool:
        """The sequence has nothing left to run after the step before `next_index`."""
        steps = self.ctx.inp.spec.steps
        return next_index >= len(steps) or isinstance(steps[next_index], EndStep)

    def can_continue_as_new(self, inp: LeadSequenceInput) -> bool:
        """History is long, and no reply or handler is in flight (the inbox does not carry over)."""
        info = workflow.info()
        long = (
            info.is_continue_as_new_suggested()
            or info.get_current_history_length() > inp.continue_as_new_after
        )
        return long and not self.ctx.inbox.pending and workflow.all_handlers_finished()

    async def finish(self) -> LeadSequenceResult:
        ctx, rt = self.ctx, self.ctx.rt
        await self.replies.drain()
        outcome: Outcome = rt.outcome or "completed"
        result = LeadSequenceResult(
            outcome=outcome, sends=ctx.st.sends, last_step=rt.step_no, reason=rt.stop_reason or ""
        )
        finish = ctx.finish_input(result.outcome, result.reason, result.sends)
        if rt.finish_recorded != finish:
            await ctx.bookkeeping(act.finish_enrollment, finish)
        # Answer every Update before closing; a reply that came in meanwhile is still handled
        # (classified, status moved, suppressed) so it never sits unprocessed.
        while True:
            await workflow.wait_condition(workflow.all_handlers_finished)
            if not ctx.inbox.pending:
                ctx.flush_visibility()
                return result
            await self.replies.drain()

    # -- handlers: they only fill the inbox or change the state; the run loop acts on it -------

    @workflow.update(name=REPLY_UPDATE)
    async def reply(self, notice: ReplyNotice) -> ReplyOutcome:
        handled = self.ctx.inbox.handled
        if not self.ctx.accept_reply(notice):
            known = handled.get(notice.db_message_id) or self.outcome_now("duplicate")
            return known.model_copy(update={"action": "duplicate"})
        if notice.answer == "received" and self.ctx.lean:
            # The sequence holds the reply: no step runs before it is handled. The caller
            # need not wait for the classification (the main loop does it).
            return self.outcome_now("received")
        # Answer once the reply was handled, so the caller learns what the sequence did.
        await workflow.wait_condition(lambda: notice.db_message_id in handled)
        return handled[notice.db_message_id]

    @workflow.signal(name=REPLY_SIGNAL)
    def reply_signal(self, notice: ReplyNotice) -> None:
        self.ctx.accept_reply(notice)

    @workflow.signal(name=STOP_SIGNAL)
    def stop_signal(self, request: StopRequest) -> None:
        self.ctx.stop("stopped", request.reason)

    @workflow.signal(name=CONTROL_SIGNAL)
    def control(self, request: ControlRequest) -> None:
        st = self.ctx.st
        if request.action == "stop":
            self.ctx.stop("stopped", request.reason or "stopped by user")
        elif request.action == "pause":
            st.paused, st.paused_until = True, None
            st.pause_reason = request.reason or "paused by user"
        elif request.action == "resume":
            st.paused, st.paused_until = False, None

    @workflow.signal(name=TASK_SIGNAL)
    def task_done(self, done: TaskDone) -> None:
        self.ctx.inbox.tasks_done[done.task_id] = done.outcome

    @workflow.signal(name=OPS_SIGNAL)
    def ops_command(self, command: OpsCommand) -> None:
        if self.ctx.rt.awaiting_ops:
            self.ctx.inbox.ops.append(command)

    @workflow.signal(name=DRAFT_DECISION_SIGNAL)
    def draft_decision(self, decision: DraftDecision) -> None:
        self.ctx.inbox.accept_draft_decision(decision)

    @workflow.query(name=STATUS_QUERY)
    def status(self) -> SequenceStatus:
        st, rt = self.ctx.st, self.ctx.rt
        return SequenceStatus(
            current_step=rt.step_no,
            sends=st.sends,
            stop_reason=rt.stop_reason,
            lead_status=rt.lead_status,
            send_in_flight=rt.send_in_flight,
            paused=st.paused,
            paused_until=st.paused_until,
            needs_attention=rt.needs_attention,
            next_action_at=rt.next_action_at,
            awaiting_approval=rt.awaiting_approval,
            attention_reason=rt.attention_reason,
        )

    def outcome_now(
        self, action: Literal["already_stopped", "duplicate", "received"]
    ) -> ReplyOutcome:
        rt = self.ctx.rt
        return ReplyOutcome(
            action=action,
            lead_status=rt.lead_status,
            sends=self.ctx.st.sends,
            current_step=rt.step_no,
        )
