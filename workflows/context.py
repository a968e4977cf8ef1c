"""The one object every collaborator of the interpreter receives: the carried state, the inbox,
the run's flags, and the primitives on them (the interruptible wait, visibility, bookkeeping)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal, TypeVar

from temporalio import workflow
from temporalio.common import SearchAttributeKey, SearchAttributeUpdate
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from workflows import activity_refs as act
    from workflows import patches
    from workflows import search_attributes as sa
    from workflows.contracts import (
        EnrollmentStateInput,
        FinishEnrollmentInput,
        LeadFacts,
        LeadSequenceInput,
        LeadStatusValue,
        LoadFactsInput,
        Outcome,
        ReplyNotice,
        SequenceState,
    )
    from workflows.inbox import Inbox
    from workflows.policies import BOOKKEEPING_POLICY, BOOKKEEPING_RETRY_EVERY
    from workflows.runtime import Runtime

EnrollmentState = Literal["active", "paused", "attention"]


InT = TypeVar("InT")
OutT = TypeVar("OutT")


class SequenceContext:
    """State shared by the step runners and the workflow's handlers."""

    def __init__(self, inp: LeadSequenceInput) -> None:
        self.inp = inp
        # Carried across continue-as-new: exactly this (plus the lead's status).
        self.st: SequenceState = inp.state or SequenceState()
        self.inbox = Inbox()
        # Leads started before the lean history ran it the old way (and replay the same).
        self.lean = workflow.patched(patches.LEAN_HISTORY)
        written: dict[str, Any] = {
            sa.LEAD_STATUS.name: inp.lead_status,
            sa.NEEDS_ATTENTION.name: False,
        }
        if self.lean:
            # What the start (or the previous run) set is known: only changes are written.
            written = {p.key.name: p.value for p in workflow.info().typed_search_attributes}
        self.rt = Runtime(
            lead_status=inp.lead_status,
            sa_written=written,
            facts=inp.facts if self.lean else None,
        )
        self._sa_pending: dict[str, SearchAttributeUpdate[Any]] = {}

    @property
    def stopped(self) -> bool:
        return self.rt.stop_reason is not None

    # -- waiting ---------------------------------------------------------------------------

    async def wait_until(
        self,
        deadline: datetime | None,
        done: Callable[[], bool] = lambda: False,
        *,
        wake_on_pause: bool = True,
    ) -> bool:
        """Wait for `done`, a new reply or a stop (and a pause, unless told not to) until
        `deadline` (None: no timer). False when the deadline passed first."""
        timeout = None if deadline is None else deadline - workflow.now()
        try:
            await workflow.wait_condition(
                lambda: (
                    done()
                    or self.stopped
                    or bool(self.inbox.pending)
                    or (wake_on_pause and self.st.paused)
                ),
                timeout=timeout,
            )
        except TimeoutError:
            return False
        return True

    # -- state changes ---------------------------------------------------------------------

    def accept_reply(self, notice: ReplyNotice) -> bool:
        """Queue a reply once: Update, signal and the send activity may all report it."""
        if notice.db_message_id in self.st.replies_seen:
            return False
        self.st.replies_seen.append(notice.db_message_id)
        self.inbox.pending.append(notice)
        return True

    def stop(self, outcome: Outcome, reason: str) -> None:
        if self.rt.stop_reason is None:
            self.rt.outcome = outcome
            self.rt.stop_reason = reason

    def set_lead_status(self, status: LeadStatusValue) -> None:
        self.rt.lead_status = status
        self.upsert({sa.LEAD_STATUS: status})

    def set_next_action(self, at: datetime | None) -> None:
        self.rt.next_action_at = at
        self.upsert({sa.NEXT_ACTION_AT: at})

    def set_attention(self, needed: bool) -> None:
        self.rt.needs_attention = needed
        self.upsert({sa.NEEDS_ATTENTION: needed})

    def upsert(self, values: dict[SearchAttributeKey[Any], Any]) -> None:
        """Write to visibility only the values that changed (each upsert costs a write and a
        billed action): lean runs gather every change of a workflow task into one upsert."""
        written = self.rt.sa_written
        updates: list[SearchAttributeUpdate[Any]] = []
        for key, value in values.items():
            if key.name in written and written[key.name] == value:
                continue
            written[key.name] = value
            updates.append(key.value_unset() if value is None else key.value_set(value))
        if not updates:
            return
        if not self.lean:
            workflow.upsert_search_attributes(updates)
            return
        if not self._sa_pending:
            # Runs once the code of this workflow task has had its turn, before the task
            # completes; flush_visibility() also runs before the workflow ends or continues.
            asyncio.get_running_loop().call_soon(self.flush_visibility)
        for update in updates:
            self._sa_pending[update.key.name] = update

    def flush_visibility(self) -> None:
        if self._sa_pending:
            workflow.upsert_search_attributes(list(self._sa_pending.values()))
            self._sa_pending.clear()

    # -- bookkeeping activities ------------------------------------------------------------

    async def bookkeeping(self, ref: act.ActivityRef[InT, OutT], inp: InT) -> OutT:
        """A call to our own database. Lean runs bound its retries; when they run out (or it
        fails for good) the lead is flagged for ops with the reason, and the call is tried
        again every BOOKKEEPING_RETRY_EVERY: the sequence never fails or hides over it."""
        if not self.lean:
            return await ref.run(inp)
        rt = self.rt
        flagged_before = rt.needs_attention
        while True:
            try:
                result = await ref.run(inp, retry_policy=BOOKKEEPING_POLICY)
            except ActivityError as err:
                cause = err.cause
                why = cause.message if isinstance(cause, ApplicationError) else str(cause or err)
                rt.attention_reason = f"{ref.name} keeps failing: {why}"[:500]
                workflow.logger.warning("lead %s: %s", self.inp.lead_id, rt.attention_reason)
                self.set_attention(True)
                await workflow.sleep(BOOKKEEPING_RETRY_EVERY)
                continue
            if rt.attention_reason is not None:
                rt.attention_reason = None
                self.set_attention(flagged_before)
            return result

    async def load_facts(self) -> LeadFacts:
        return await self.bookkeeping(act.load_lead_facts, LoadFactsInput(lead_id=self.inp.lead_id))

    def finish_input(self, outcome: Outcome, reason: str, sends: int) -> FinishEnrollmentInput:
        return FinishEnrollmentInput(
            lead_id=self.inp.lead_id,
            enrollment_id=self.inp.enrollment_id,
            outcome=outcome,
            last_step=self.rt.step_no,
            sends=sends,
            reason=reason,
        )

    async def record_state(
        self, state: EnrollmentState, event: str | None, details: dict[str, str | int | None]
    ) -> None:
        await self.bookkeeping(
            act.record_enrollment_state,
            EnrollmentStateInput(
                lead_id=self.inp.lead_id,
                enrollment_id=self.inp.enrollment_id,
                state=state,
                current_step=self.rt.step_no,
                event=event,
                details=details,
            ),
        )
