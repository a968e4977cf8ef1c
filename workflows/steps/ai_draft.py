"""AI-drafted send steps: draft once, optionally wait for a human, then hand the text to the send.

Only steps with `ai` set run any of this, so the commands of every other step are unchanged and
need no `workflow.patched`.

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

from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from workflows import activity_refs as act
    from workflows.checkpoint import Checkpoint
    from workflows.context import SequenceContext
    from workflows.draft_contracts import (
        AIDraftState,
        DraftContent,
        DraftDecision,
        DraftStepInput,
        DraftStepResult,
        OpenDraftTaskInput,
        SettleDraftTaskInput,
    )
    from workflows.spec import SendStep, Variant


class DraftRunner:
    def __init__(self, ctx: SequenceContext, checkpoint: Checkpoint) -> None:
        self.ctx = ctx
        self.checkpoint = checkpoint

    async def content(self, step: SendStep, variant: Variant | None) -> DraftContent | None:
        """The text this AI step sends verbatim; None: render the step's template."""
        st, step_no = self.ctx.st, self.ctx.rt.step_no
        assert step.ai is not None and step_no is not None
        state = st.ai_draft
        if state is None or state.step_no != step_no:
            state = st.ai_draft = AIDraftState(step_no=step_no)
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
        ctx = self.ctx
        assert ctx.rt.step_no is not None
        try:
            return await act.draft_step.run(
                DraftStepInput(
                    lead_id=ctx.inp.lead_id,
                    enrollment_id=ctx.inp.enrollment_id,
                    campaign_id=ctx.inp.campaign_id,
                    step_no=ctx.rt.step_no,
                    step=step,
                    variant=variant,
                )
            )
        except ActivityError as err:
            why = str(err.cause or err)[:300]
            return DraftStepResult(
                draft=DraftContent(body=""),
                path="template",
                fallback_reason=f"drafting failed: {why}",
                skipped=True,
            )

    async def ask_approval(
        self, step: SendStep, state: AIDraftState, drafted: DraftStepResult
    ) -> DraftDecision | None:
        ctx, inbox, rt = self.ctx, self.ctx.inbox, self.ctx.rt
        assert step.ai is not None and rt.step_no is not None
        due = workflow.now() + timedelta(seconds=step.ai.approval_timeout_seconds)
        opened = await ctx.bookkeeping(
            act.open_draft_task,
            OpenDraftTaskInput(
                lead_id=ctx.inp.lead_id,
                enrollment_id=ctx.inp.enrollment_id,
                step_no=rt.step_no,
                step=step,
                drafted=drafted,
                due_at=due,
            ),
        )
        task_id = state.task_id = opened.task_id
        if opened.decision is not None:
            return opened.decision
        rt.awaiting_approval = task_id
        decision: DraftDecision | None = None
        while not ctx.stopped:
            await self.checkpoint.run()
            decision = inbox.decision_for(task_id)
            if decision is not None or ctx.stopped:
                break
            if due <= workflow.now():
                settled = await ctx.bookkeeping(
                    act.settle_draft_task, SettleDraftTaskInput(task_id=task_id)
                )
                decision = inbox.decision_for(task_id) or settled.decision
                break
            ctx.set_next_action(due)
            await ctx.wait_until(due, done=lambda: inbox.decision_for(task_id) is not None)
        rt.awaiting_approval = None
        ctx.set_next_action(None)
        return decision


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
