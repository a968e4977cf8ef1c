"""AI-drafted send steps: draft once, optionally wait for a human, then hand the text to the send.

A mixin of the interpreter (under StepRunner). Only steps with `ai` set run any of this, so the
commands of every other step are unchanged and need no `workflow.patched`.

- The draft is an activity result kept in `SequenceState.ai_draft`: a replay reads it from
  history and a continue-as-new carries it, so the text is never generated twice.
- With `approve`, an approve_draft task is opened and the step waits (replies, pauses and stops
  still act at once) for the `draft_decision` signal: approve sends the draft as it is, edit sends
  the edited text as it is, reject sends the step's template. When `approval_timeout` passes,
  the task is closed as rejected in the database, unless a human answered first: then the
  answer the database holds stands, even if its signal never arrived.
- Drafting that fails for good (a bug, the database down for long) sends the template: a
  template ops wrote is always a safe message.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from workflows.contracts import LeadSequenceInput
    from workflows.core import SequenceCore
    from workflows.draft_contracts import (
        DRAFT_STEP_ACTIVITY,
        OPEN_DRAFT_TASK_ACTIVITY,
        SETTLE_DRAFT_TASK_ACTIVITY,
        AIDraftState,
        DraftContent,
        DraftDecision,
        DraftStepInput,
        DraftStepResult,
        DraftTaskResult,
        OpenDraftTaskInput,
        SettleDraftTaskInput,
    )
    from workflows.policies import DB_POLICY, DB_TIMEOUT, DRAFT_TIMEOUT, LLM_POLICY
    from workflows.spec import SendStep, Variant


class AIDraftRunner(SequenceCore):
    def init_state(self, inp: LeadSequenceInput) -> None:
        super().init_state(inp)
        self.draft_decisions: dict[str, DraftDecision] = {}
        self.awaiting_approval: str | None = None

    async def ai_content(self, step: SendStep, variant: Variant | None) -> DraftContent | None:
        """The text this AI step sends verbatim; None: render the step's template."""
        assert step.ai is not None and self.step_no is not None
        state = self.st.ai_draft
        if state is None or state.step_no != self.step_no:
            state = self.st.ai_draft = AIDraftState(step_no=self.step_no)
        if state.drafted is None:
            state.drafted = await self.draft(step, variant)
        drafted = state.drafted
        if drafted.skipped:
            return None
        if not step.ai.approve:
            return drafted.draft if drafted.path != "template" else None
        if state.decision is None:
            state.decision = await self.ask_approval(step, state, drafted)
        if state.decision is None:  # the sequence stopped while it waited
            return None
        return decided_content(drafted, state.decision)

    async def draft(self, step: SendStep, variant: Variant | None) -> DraftStepResult:
        assert self.step_no is not None
        try:
            result: DraftStepResult = await workflow.execute_activity(
                DRAFT_STEP_ACTIVITY,
                DraftStepInput(
                    lead_id=self.inp.lead_id,
                    enrollment_id=self.inp.enrollment_id,
                    campaign_id=self.inp.campaign_id,
                    step_no=self.step_no,
                    step=step,
                    variant=variant,
                ),
                result_type=DraftStepResult,
                start_to_close_timeout=DRAFT_TIMEOUT,
                retry_policy=LLM_POLICY,
            )
        except ActivityError as err:
            why = str(err.cause or err)[:300]
            return DraftStepResult(
                draft=DraftContent(body=""),
                path="template",
                fallback_reason=f"drafting failed: {why}",
                skipped=True,
            )
        return result

    async def ask_approval(
        self, step: SendStep, state: AIDraftState, drafted: DraftStepResult
    ) -> DraftDecision | None:
        assert step.ai is not None and self.step_no is not None
        due = workflow.now() + timedelta(seconds=step.ai.approval_timeout_seconds)
        opened = await self.draft_task(
            OPEN_DRAFT_TASK_ACTIVITY,
            OpenDraftTaskInput(
                lead_id=self.inp.lead_id,
                enrollment_id=self.inp.enrollment_id,
                step_no=self.step_no,
                step=step,
                drafted=drafted,
                due_at=due,
            ),
        )
        task_id = state.task_id = opened.task_id
        if opened.decision is not None:
            return opened.decision
        self.awaiting_approval = task_id
        decision: DraftDecision | None = None
        while self.stop_reason is None:
            await self.checkpoint()
            decision = self.decision_for(task_id)
            if decision is not None or self.stop_reason is not None:
                break
            remaining = due - workflow.now()
            if remaining <= timedelta(0):
                settled = await self.draft_task(
                    SETTLE_DRAFT_TASK_ACTIVITY,
                    SettleDraftTaskInput(task_id=task_id),
                )
                decision = self.decision_for(task_id) or settled.decision
                break
            self.set_next_action(due)
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(
                    lambda: (
                        self.decision_for(task_id) is not None
                        or self.stop_reason is not None
                        or bool(self.pending)
                        or self.st.paused
                    ),
                    timeout=remaining,
                )
        self.awaiting_approval = None
        self.set_next_action(None)
        return decision

    def decision_for(self, task_id: str) -> DraftDecision | None:
        if task_id in self.draft_decisions:
            return self.draft_decisions[task_id]
        # /tasks/{id}/complete or /skip on the task: done sends the draft, skipped the template.
        done = self.tasks_done.get(task_id)
        if done is None:
            return None
        return DraftDecision(task_id=task_id, decision="approve" if done == "done" else "reject")

    def accept_draft_decision(self, decision: DraftDecision) -> None:
        # The first answer wins, as it does in the database (a second one gets a 409 there).
        self.draft_decisions.setdefault(decision.task_id, decision)

    async def draft_task(
        self, activity: str, request: OpenDraftTaskInput | SettleDraftTaskInput
    ) -> DraftTaskResult:
        result: DraftTaskResult = await workflow.execute_activity(
            activity,
            request,
            result_type=DraftTaskResult,
            start_to_close_timeout=DB_TIMEOUT,
            retry_policy=DB_POLICY,
        )
        return result


def decided_content(drafted: DraftStepResult, decision: DraftDecision) -> DraftContent | None:
    if decision.decision == "reject":
        return None
    if decision.decision == "approve":
        return drafted.draft.model_copy(update={"source": f"{drafted.path}:approved"})
    return DraftContent(
        subject=drafted.draft.subject if decision.subject is None else decision.subject,
        body=drafted.draft.body if decision.body is None else decision.body,
        source="edited",
    )
