"""The lead-sequence interpreter: one workflow per lead, id `lead-{lead_id}`.

It walks the campaign's spec snapshot. Sends are one activity each; waits are
`wait_condition(..., timeout=...)` so a reply, pause or stop ends a wait at once. Replies are
handled between steps, one at a time, in arrival order: classified by an activity, then the
intent decides (stop, pause until the return date, or carry on). Search attributes are upserted
only when their value changes, in the same workflow task as the step that changed them.
"""

from __future__ import annotations

from typing import Literal

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows import search_attributes as sa
    from workflows.conditions import evaluate
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
    from workflows.spec import BranchStep, EndStep, SendStep, TaskStep, WaitStep
    from workflows.steps import StepRunner


@workflow.defn(name=LEAD_SEQUENCE_WORKFLOW)
class LeadSequenceWorkflow(StepRunner):
    @workflow.init
    def __init__(self, inp: LeadSequenceInput) -> None:
        self.init_state(inp)

    @workflow.run
    async def run(self, inp: LeadSequenceInput) -> LeadSequenceResult:
        steps = inp.spec.steps
        self.facts = await self.load_facts()
        while self.st.index < len(steps):
            await self.checkpoint()
            if self.stop_reason is not None:
                break
            if self.history_is_long(inp) and not self.pending and workflow.all_handlers_finished():
                # Long sequences stay under the history limits: a fresh run carries the state.
                workflow.continue_as_new(
                    inp.model_copy(update={"state": self.st, "lead_status": self.lead_status})
                )
            step = steps[self.st.index]
            self.step_no = self.st.index + 1
            self.upsert({sa.CURRENT_STEP: self.step_no})
            next_index = self.st.index + 1
            if isinstance(step, SendStep):
                await self.run_send(step)
            elif isinstance(step, WaitStep):
                await self.run_wait(step)
            elif isinstance(step, TaskStep):
                await self.run_task(step)
            elif isinstance(step, BranchStep):
                self.facts = await self.load_facts()
                target = step.then if evaluate(step.when, self.facts, self.st) else step.otherwise
                if target is not None:
                    next_index = inp.spec.index_of(target)
            elif isinstance(step, EndStep):
                break
            self.st.index = next_index
        return await self.finish()

    @staticmethod
    def history_is_long(inp: LeadSequenceInput) -> bool:
        info = workflow.info()
        return (
            info.is_continue_as_new_suggested()
            or info.get_current_history_length() > inp.continue_as_new_after
        )

    async def finish(self) -> LeadSequenceResult:
        self.steps_done = True
        await self.drain_replies()
        outcome: Outcome = self.outcome or "completed"
        result = LeadSequenceResult(
            outcome=outcome,
            sends=self.st.sends,
            last_step=self.step_no,
            reason=self.stop_reason or "",
        )
        await self.finish_enrollment(result)
        # Answer every Update before closing; a reply that came in meanwhile is still handled
        # (classified, status moved, suppressed) so it never sits unprocessed.
        while True:
            await workflow.wait_condition(workflow.all_handlers_finished)
            if not self.pending:
                return result
            await self.drain_replies()

    async def drain_replies(self) -> None:
        while self.pending:
            await self.handle_reply(self.pending.pop(0))

    # -- handlers --------------------------------------------------------------------------

    @workflow.update(name=REPLY_UPDATE)
    async def reply(self, notice: ReplyNotice) -> ReplyOutcome:
        if not self.accept_reply(notice):
            known = self.handled.get(notice.db_message_id) or self.outcome_now("duplicate")
            return known.model_copy(update={"action": "duplicate"})
        # Answer once the reply was handled, so the caller learns what the sequence did.
        await workflow.wait_condition(lambda: notice.db_message_id in self.handled)
        return self.handled[notice.db_message_id]

    @workflow.signal(name=REPLY_SIGNAL)
    def reply_signal(self, notice: ReplyNotice) -> None:
        self.accept_reply(notice)

    @workflow.signal(name=STOP_SIGNAL)
    def stop_signal(self, request: StopRequest) -> None:
        self.stop("stopped", request.reason)

    @workflow.signal(name=CONTROL_SIGNAL)
    def control(self, request: ControlRequest) -> None:
        if request.action == "stop":
            self.stop("stopped", request.reason or "stopped by user")
        elif request.action == "pause":
            self.st.paused, self.st.paused_until = True, None
            self.st.pause_reason = request.reason or "paused by user"
        elif request.action == "resume":
            self.st.paused, self.st.paused_until = False, None

    @workflow.signal(name=TASK_SIGNAL)
    def task_done(self, done: TaskDone) -> None:
        self.tasks_done[done.task_id] = done.outcome

    @workflow.signal(name=OPS_SIGNAL)
    def ops_command(self, command: OpsCommand) -> None:
        if self.awaiting_ops:
            self.ops.append(command)

    @workflow.signal(name=DRAFT_DECISION_SIGNAL)
    def draft_decision(self, decision: DraftDecision) -> None:
        self.accept_draft_decision(decision)

    @workflow.query(name=STATUS_QUERY)
    def status(self) -> SequenceStatus:
        return SequenceStatus(
            current_step=self.step_no,
            sends=self.st.sends,
            stop_reason=self.stop_reason,
            lead_status=self.lead_status,
            send_in_flight=self.send_in_flight,
            paused=self.st.paused,
            paused_until=self.st.paused_until,
            needs_attention=self.needs_attention,
            next_action_at=self.next_action_at,
            awaiting_approval=self.awaiting_approval,
        )

    def outcome_now(self, action: Literal["already_stopped", "duplicate"]) -> ReplyOutcome:
        return ReplyOutcome(
            action=action,
            lead_status=self.lead_status,
            sends=self.st.sends,
            current_step=self.step_no,
        )
