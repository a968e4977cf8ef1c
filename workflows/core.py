"""The interpreter's state and the primitives every step uses: checkpoints (replies, pauses),
interruptible sleeps, search-attribute upserts and enrollment bookkeeping."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from temporalio import workflow
from temporalio.common import SearchAttributeKey, SearchAttributeUpdate

with workflow.unsafe.imports_passed_through():
    from workflows import search_attributes as sa
    from workflows.contracts import (
        LOAD_LEAD_FACTS_ACTIVITY,
        RECORD_STATE_ACTIVITY,
        EnrollmentStateInput,
        LeadFacts,
        LeadSequenceInput,
        LeadStatusValue,
        OpsCommand,
        Outcome,
        ReplyNotice,
        ReplyOutcome,
        SequenceState,
    )
    from workflows.policies import DB_POLICY, DB_TIMEOUT

EnrollmentState = Literal["active", "paused", "attention"]

# Interpreter changes that alter its commands go behind workflow.patched, so leads already in
# flight replay the way they ran (tests/histories/ proves it on every test run).
PATCH_PAUSE_REASON = "pause-reason-search-attribute"


class SequenceCore:
    """State shared by the step runners and the workflow's handlers."""

    def init_state(self, inp: LeadSequenceInput) -> None:
        self.inp = inp
        self.st: SequenceState = inp.state or SequenceState()
        self.lead_status: LeadStatusValue = inp.lead_status
        self.stop_reason: str | None = None
        self.outcome: Outcome | None = None
        self.step_no: int | None = None
        self.send_in_flight = False
        self.needs_attention = False
        self.next_action_at: datetime | None = None
        self.steps_done = False
        self.facts: LeadFacts | None = None
        # Replies waiting to be handled, and what handling them decided (for the Update).
        self.pending: list[ReplyNotice] = []
        self.handled: dict[str, ReplyOutcome] = {}
        self.tasks_done: dict[str, str] = {}
        self.ops: list[OpsCommand] = []
        self.recorded_pause = False
        # Ops commands only mean something while a dead letter waits for them.
        self.awaiting_ops = False
        self.sa_written: dict[str, Any] = {
            sa.LEAD_STATUS.name: inp.lead_status,
            sa.NEEDS_ATTENTION.name: False,
        }

    async def handle_reply(self, notice: ReplyNotice) -> None:
        raise NotImplementedError  # StepRunner implements it

    # -- waiting ---------------------------------------------------------------------------

    async def checkpoint(self) -> None:
        """Handle replies in arrival order, then honour a pause (manual, or OOO until a date)."""
        while True:
            while self.pending and self.stop_reason is None:
                await self.handle_reply(self.pending.pop(0))
            if self.stop_reason is not None or not self.st.paused:
                if self.recorded_pause and self.stop_reason is None:
                    await self.resume("resumed")
                return
            until = self.st.paused_until
            if not self.recorded_pause:
                self.recorded_pause = True
                if workflow.patched(PATCH_PAUSE_REASON):
                    self.upsert({sa.PAUSE_REASON: self.st.pause_reason or "paused"})
                await self.record_state(
                    "paused",
                    "SEQUENCE_PAUSED",
                    {"until": until.isoformat() if until else None, "why": self.st.pause_reason},
                )
            self.set_next_action(until)
            timeout = (until - workflow.now()) if until else None
            if timeout is not None and timeout <= timedelta(0):
                await self.resume("pause ended")
                continue
            try:
                await workflow.wait_condition(
                    lambda: (
                        not self.st.paused or bool(self.pending) or self.stop_reason is not None
                    ),
                    timeout=timeout,
                )
            except TimeoutError:
                await self.resume("pause ended")

    async def sleep_until(self, wake: datetime) -> None:
        """Sleep, but handle replies, pauses and stops the moment they arrive."""
        while self.stop_reason is None:
            await self.checkpoint()
            remaining = wake - workflow.now()
            if self.stop_reason is not None or remaining <= timedelta(0):
                break
            self.set_next_action(wake)
            try:
                await workflow.wait_condition(
                    lambda: self.stop_reason is not None or bool(self.pending) or self.st.paused,
                    timeout=remaining,
                )
            except TimeoutError:
                break
        self.set_next_action(None)

    async def resume(self, why: str) -> None:
        self.st.paused, self.st.paused_until, self.st.pause_reason = False, None, None
        self.set_next_action(None)
        if self.recorded_pause:
            self.recorded_pause = False
            if workflow.patched(PATCH_PAUSE_REASON):
                self.upsert({sa.PAUSE_REASON: None})
            await self.record_state("active", "SEQUENCE_RESUMED", {"why": why})

    # -- state changes ---------------------------------------------------------------------

    def accept_reply(self, notice: ReplyNotice) -> bool:
        """Queue a reply once: Update, signal and the send activity may all report it."""
        if notice.db_message_id in self.st.replies_seen:
            return False
        self.st.replies_seen.append(notice.db_message_id)
        self.pending.append(notice)
        return True

    def stop(self, outcome: Outcome, reason: str) -> None:
        if self.stop_reason is None:
            self.outcome = outcome
            self.stop_reason = reason

    def set_lead_status(self, status: LeadStatusValue) -> None:
        self.lead_status = status
        self.upsert({sa.LEAD_STATUS: status})

    def set_next_action(self, at: datetime | None) -> None:
        self.next_action_at = at
        self.upsert({sa.NEXT_ACTION_AT: at})

    def set_attention(self, needed: bool) -> None:
        self.needs_attention = needed
        self.upsert({sa.NEEDS_ATTENTION: needed})

    def upsert(self, values: dict[SearchAttributeKey[Any], Any]) -> None:
        """Write to visibility only the values that changed (each upsert costs a write)."""
        updates: list[SearchAttributeUpdate[Any]] = []
        for key, value in values.items():
            if key.name in self.sa_written and self.sa_written[key.name] == value:
                continue
            self.sa_written[key.name] = value
            updates.append(key.value_unset() if value is None else key.value_set(value))
        if updates:
            workflow.upsert_search_attributes(updates)

    # -- activities --------------------------------------------------------------------------

    async def load_facts(self) -> LeadFacts:
        facts: LeadFacts = await workflow.execute_activity(
            LOAD_LEAD_FACTS_ACTIVITY,
            self.inp.lead_id,
            result_type=LeadFacts,
            start_to_close_timeout=DB_TIMEOUT,
            retry_policy=DB_POLICY,
        )
        return facts

    async def record_state(
        self, state: EnrollmentState, event: str | None, details: dict[str, str | int | None]
    ) -> None:
        await workflow.execute_activity(
            RECORD_STATE_ACTIVITY,
            EnrollmentStateInput(
                lead_id=self.inp.lead_id,
                enrollment_id=self.inp.enrollment_id,
                state=state,
                current_step=self.step_no,
                event=event,
                details=details,
            ),
            start_to_close_timeout=DB_TIMEOUT,
            retry_policy=DB_POLICY,
        )
