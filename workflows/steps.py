"""How the interpreter runs each kind of step, and handles replies and dead letters.

A mixin of LeadSequenceWorkflow, kept apart so each file reads top-down in one sitting.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from workflows.ai_steps import AIDraftRunner
    from workflows.contracts import (
        CREATE_TASK_ACTIVITY,
        FINAL_STATUSES,
        FINISH_ENROLLMENT_ACTIVITY,
        PROCESS_REPLY_ACTIVITY,
        RELEASE_CLAIM_ACTIVITY,
        SEND_STEP_ACTIVITY,
        CreateTaskInput,
        CreateTaskResult,
        FinishEnrollmentInput,
        LeadSequenceResult,
        OpsCommand,
        Outcome,
        ProcessReplyInput,
        ProcessReplyResult,
        ReleaseClaimInput,
        ReplyNotice,
        ReplyOutcome,
        SendStepInput,
        SendStepResult,
    )
    from workflows.intents import DEFAULT_OOO_PAUSE, rule_for
    from workflows.policies import (
        DB_POLICY,
        DB_TIMEOUT,
        LLM_POLICY,
        LLM_TIMEOUT,
        SEND_OUTCOME_UNKNOWN,
        SEND_POLICY,
        SEND_TIMEOUT,
    )
    from workflows.spec import SendStep, TaskStep, Variant, WaitStep
    from workflows.timing import next_in_window, resume_after_return, zone


class StepRunner(AIDraftRunner):
    # -- send ------------------------------------------------------------------------------

    def pick_variant(self, step: SendStep) -> Variant | None:
        """A/B arm: drawn once per enrollment (workflow.random is replay-safe), kept after."""
        if not step.variants:
            return None
        by_name = {v.name: v for v in step.variants}
        if self.st.arm in by_name:
            return by_name[self.st.arm]
        total = sum(v.weight for v in step.variants)
        point = workflow.random().uniform(0, total)
        for variant in step.variants:
            point -= variant.weight
            if point <= 0:
                break
        self.st.arm = variant.name
        return variant

    async def run_send(self, step: SendStep) -> None:
        assert self.step_no is not None
        variant = self.pick_variant(step)
        # Only AI steps run commands here, so other steps replay as they always did.
        override = await self.ai_content(step, variant) if step.ai is not None else None
        while self.stop_reason is None:
            request = SendStepInput(
                lead_id=self.inp.lead_id,
                enrollment_id=self.inp.enrollment_id,
                campaign_id=self.inp.campaign_id,
                step_no=self.step_no,
                step=step,
                variant=variant,
                thread_key=self.st.thread_key if step.thread else None,
                campaign_timezone=self.inp.campaign_timezone,
                content_override=override,
            )
            self.send_in_flight = True
            try:
                res = await workflow.execute_activity(
                    SEND_STEP_ACTIVITY,
                    request,
                    result_type=SendStepResult,
                    start_to_close_timeout=SEND_TIMEOUT,
                    retry_policy=SEND_POLICY,
                )
            except ActivityError as err:
                self.send_in_flight = False
                if await self.dead_letter(err, request.idempotency_key) == "retry":
                    continue
                return
            self.send_in_flight = False
            if res.status == "deferred":
                assert res.retry_at is not None
                await self.sleep_until(res.retry_at)
                continue
            if res.status == "reply_pending":
                for notice in res.pending_replies:
                    self.accept_reply(notice)
                await self.checkpoint()
                continue
            if res.status in ("sent", "already_sent"):
                self.st.sends += 1
                if step.channel == "EMAIL" and self.st.thread_key is None:
                    self.st.thread_key = request.idempotency_key
            if self.lead_status not in FINAL_STATUSES:
                self.set_lead_status(res.lead_status)
            if res.status == "skipped":
                # The database says this lead must not be contacted (replied, suppressed, ...).
                self.stop("skipped", res.reason)
            return

    async def dead_letter(
        self, err: ActivityError, idempotency_key: str
    ) -> Literal["retry", "skip", "stop"]:
        """Retries exhausted or a permanent error: flag the lead for ops and wait for them."""
        cause = err.cause
        error_type = cause.type if isinstance(cause, ApplicationError) else type(cause).__name__
        message = cause.message if isinstance(cause, ApplicationError) else str(cause or err)
        self.set_attention(True)
        await self.record_state(
            "attention",
            "DEAD_LETTERED",
            {"step": self.step_no, "error_type": error_type, "error": message[:500]},
        )
        command: OpsCommand | None = None
        self.ops.clear()
        self.awaiting_ops = True
        while command is None and self.stop_reason is None:
            await workflow.wait_condition(
                lambda: bool(self.ops) or bool(self.pending) or self.stop_reason is not None
            )
            while self.pending and self.stop_reason is None:
                await self.handle_reply(self.pending.pop(0))
            if self.ops:
                command = self.ops.pop(0)
        self.awaiting_ops = False
        self.set_attention(False)
        action = command.action if command else "stop"
        if action == "retry" and error_type == SEND_OUTCOME_UNKNOWN:
            # Ops checked the provider and say it did not go out: free the key to send again.
            await workflow.execute_activity(
                RELEASE_CLAIM_ACTIVITY,
                ReleaseClaimInput(
                    lead_id=self.inp.lead_id,
                    idempotency_key=idempotency_key,
                    note=command.note if command else "",
                ),
                start_to_close_timeout=DB_TIMEOUT,
                retry_policy=DB_POLICY,
            )
        if action == "stop":
            self.stop("stopped", "stopped by ops" if command else self.stop_reason or "")
        await self.record_state("active", f"OPS_{action.upper()}", {"step": self.step_no})
        return action

    # -- wait and task ---------------------------------------------------------------------

    async def run_wait(self, step: WaitStep) -> None:
        wake = workflow.now() + timedelta(seconds=step.seconds)
        if step.window is not None:
            tz = zone(self.facts.timezone if self.facts else None, self.inp.campaign_timezone)
            wake = next_in_window(wake, step.window, tz)
        await self.sleep_until(wake)

    async def run_task(self, step: TaskStep) -> None:
        assert self.step_no is not None
        due = workflow.now() + timedelta(seconds=step.due_seconds)
        request = CreateTaskInput(
            lead_id=self.inp.lead_id,
            enrollment_id=self.inp.enrollment_id,
            step_no=self.step_no,
            step=step,
            due_at=due,
        )
        created = await self.create_task(request)
        task_id = created.task_id
        if created.status != "open":
            return
        overdue = False
        while self.stop_reason is None and task_id not in self.tasks_done:
            await self.checkpoint()
            if self.stop_reason is not None or task_id in self.tasks_done:
                break
            self.set_next_action(None if overdue else due)
            try:
                await workflow.wait_condition(
                    lambda: (
                        task_id in self.tasks_done
                        or self.stop_reason is not None
                        or bool(self.pending)
                        or self.st.paused
                    ),
                    timeout=None if overdue else max(due - workflow.now(), timedelta(seconds=1)),
                )
            except TimeoutError:
                # Done in the database but the signal was lost? The row is the record.
                again = await self.create_task(request)
                if again.status != "open":
                    self.tasks_done[task_id] = again.status
                    break
                overdue = True
                self.set_attention(True)
                await self.record_state("attention", "TASK_OVERDUE", {"task_id": task_id})
        self.set_next_action(None)
        if overdue:
            self.set_attention(False)
            await self.record_state("active", None, {})

    async def create_task(self, request: CreateTaskInput) -> CreateTaskResult:
        """Idempotent: the second call for a step returns the task's current status."""
        result: CreateTaskResult = await workflow.execute_activity(
            CREATE_TASK_ACTIVITY,
            request,
            result_type=CreateTaskResult,
            start_to_close_timeout=DB_TIMEOUT,
            retry_policy=DB_POLICY,
        )
        return result

    # -- replies ---------------------------------------------------------------------------

    async def handle_reply(self, notice: ReplyNotice) -> None:
        request = ProcessReplyInput(
            lead_id=self.inp.lead_id,
            enrollment_id=self.inp.enrollment_id,
            db_message_id=notice.db_message_id,
        )
        try:
            res = await self.process_reply(request)
        except ActivityError:
            # The LLM path failed for good: the offline rules always answer.
            res = await self.process_reply(request.model_copy(update={"offline_only": True}))
        rule = rule_for(res.intent)
        self.st.last_intent = res.intent
        if self.lead_status != res.lead_status:
            self.set_lead_status(res.lead_status)
        resume_at: datetime | None = None
        if rule.action == "stop":
            outcome: Outcome = "stopped" if res.intent in ("unsubscribe", "bounce") else "replied"
            self.stop(outcome, f"reply: {res.intent}")
            action = "stopped"
        elif rule.action == "pause":
            tz = zone(res.lead_timezone, self.inp.campaign_timezone)
            resume_at = (
                resume_after_return(res.return_date, tz)
                if res.return_date
                else workflow.now() + DEFAULT_OOO_PAUSE
            )
            action = "paused"
            if resume_at > workflow.now():
                self.st.paused, self.st.paused_until = True, resume_at
                self.st.pause_reason = "out of office"
            else:
                action = "continued"
        else:
            action = "continued"
        self.handled[notice.db_message_id] = ReplyOutcome(
            action=action,
            intent=res.intent,
            lead_status=self.lead_status,
            sends=self.st.sends,
            current_step=self.step_no,
            resume_at=resume_at,
        )

    async def process_reply(self, request: ProcessReplyInput) -> ProcessReplyResult:
        result: ProcessReplyResult = await workflow.execute_activity(
            PROCESS_REPLY_ACTIVITY,
            request,
            result_type=ProcessReplyResult,
            start_to_close_timeout=LLM_TIMEOUT,
            retry_policy=LLM_POLICY,
        )
        return result

    # -- bookkeeping -----------------------------------------------------------------------

    async def finish_enrollment(self, result: LeadSequenceResult) -> None:
        await workflow.execute_activity(
            FINISH_ENROLLMENT_ACTIVITY,
            FinishEnrollmentInput(
                lead_id=self.inp.lead_id,
                enrollment_id=self.inp.enrollment_id,
                outcome=result.outcome,
                last_step=result.last_step,
                sends=result.sends,
                reason=result.reason,
            ),
            start_to_close_timeout=DB_TIMEOUT,
            retry_policy=DB_POLICY,
        )
