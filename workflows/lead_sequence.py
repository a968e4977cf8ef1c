"""The lead-sequence interpreter: one workflow per lead, id `lead-{lead_id}`.

It walks the campaign's spec snapshot. Sends are one activity each; waits are
`wait_condition(..., timeout=...)` so a reply or stop ends a wait at once. Search attributes are
upserted only when their value changes, in the same workflow task as the step that changed them.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeKey, SearchAttributeUpdate

with workflow.unsafe.imports_passed_through():
    from workflows import search_attributes as sa
    from workflows.contracts import (
        FINAL_STATUSES,
        FINISH_ENROLLMENT_ACTIVITY,
        LEAD_SEQUENCE_WORKFLOW,
        REPLY_SIGNAL,
        REPLY_UPDATE,
        SEND_STEP_ACTIVITY,
        STATUS_QUERY,
        STOP_SIGNAL,
        FinishEnrollmentInput,
        LeadSequenceInput,
        LeadSequenceResult,
        LeadStatusValue,
        Outcome,
        ReplyNotice,
        ReplyOutcome,
        SendStepInput,
        SendStepResult,
        SequenceStatus,
        StopRequest,
    )
    from workflows.policies import DB_POLICY, DB_TIMEOUT, SEND_POLICY, SEND_TIMEOUT
    from workflows.spec import EndStep, SendStep, WaitStep


@workflow.defn(name=LEAD_SEQUENCE_WORKFLOW)
class LeadSequenceWorkflow:
    @workflow.init
    def __init__(self, inp: LeadSequenceInput) -> None:
        self._lead_status: LeadStatusValue = inp.lead_status
        self._stop_reason: str | None = None
        self._outcome: Outcome | None = None
        self._replies: set[str] = set()
        self._sends = 0
        self._step_no: int | None = None
        self._send_in_flight = False
        self._next_action_at: datetime | None = None
        self._steps_done = False
        # Values as last written to visibility, to upsert only what changed.
        self._sa_written: dict[str, Any] = {
            sa.LEAD_STATUS.name: inp.lead_status,
            sa.NEEDS_ATTENTION.name: False,
        }

    @workflow.run
    async def run(self, inp: LeadSequenceInput) -> LeadSequenceResult:
        for index, step in enumerate(inp.spec.steps):
            if self._stop_reason is not None:
                break
            step_no = index + 1
            self._step_no = step_no
            self._upsert({sa.CURRENT_STEP: step_no})
            if isinstance(step, SendStep):
                await self._send(inp, step_no, step)
            elif isinstance(step, WaitStep):
                await self._wait(timedelta(seconds=step.seconds))
            elif isinstance(step, EndStep):
                break

        self._steps_done = True
        outcome: Outcome = self._outcome or "completed"
        result = LeadSequenceResult(
            outcome=outcome,
            sends=self._sends,
            last_step=self._step_no,
            reason=self._stop_reason or "",
        )
        await workflow.execute_activity(
            FINISH_ENROLLMENT_ACTIVITY,
            FinishEnrollmentInput(
                lead_id=inp.lead_id,
                enrollment_id=inp.enrollment_id,
                outcome=outcome,
                last_step=self._step_no,
                sends=self._sends,
                reason=result.reason,
            ),
            start_to_close_timeout=DB_TIMEOUT,
            retry_policy=DB_POLICY,
        )
        # Let a reply handler that is waiting on an in-flight send answer its caller first.
        await workflow.wait_condition(workflow.all_handlers_finished)
        return result

    async def _send(self, inp: LeadSequenceInput, step_no: int, step: SendStep) -> None:
        self._send_in_flight = True
        try:
            res = await workflow.execute_activity(
                SEND_STEP_ACTIVITY,
                SendStepInput(
                    lead_id=inp.lead_id,
                    enrollment_id=inp.enrollment_id,
                    campaign_id=inp.campaign_id,
                    step_no=step_no,
                    step=step,
                ),
                result_type=SendStepResult,
                start_to_close_timeout=SEND_TIMEOUT,
                retry_policy=SEND_POLICY,
            )
        finally:
            self._send_in_flight = False
        if res.status in ("sent", "already_sent"):
            self._sends += 1
        # A reply may have been acknowledged while the send was in flight: keep its status.
        if self._lead_status not in FINAL_STATUSES:
            self._set_lead_status(res.lead_status)
        if res.status == "skipped" and self._stop_reason is None:
            # The database said this lead must not be contacted (replied, suppressed, ...).
            self._stop("skipped", res.reason)

    async def _wait(self, duration: timedelta) -> None:
        self._next_action_at = workflow.now() + duration
        self._upsert({sa.NEXT_ACTION_AT: self._next_action_at})
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(lambda: self._stop_reason is not None, timeout=duration)
        self._next_action_at = None
        self._upsert({sa.NEXT_ACTION_AT: None})

    def _stop(self, outcome: Outcome, reason: str) -> None:
        self._outcome = outcome
        self._stop_reason = reason

    def _set_lead_status(self, status: LeadStatusValue) -> None:
        self._lead_status = status
        self._upsert({sa.LEAD_STATUS: status})

    def _upsert(self, values: dict[SearchAttributeKey[Any], Any]) -> None:
        """Write to visibility only the values that changed (each upsert costs a write)."""
        updates: list[SearchAttributeUpdate[Any]] = []
        for key, value in values.items():
            if key.name in self._sa_written and self._sa_written[key.name] == value:
                continue
            self._sa_written[key.name] = value
            updates.append(key.value_unset() if value is None else key.value_set(value))
        if updates:
            workflow.upsert_search_attributes(updates)

    def _accept_reply(self, notice: ReplyNotice) -> bool:
        if notice.message_id in self._replies:
            return False
        self._replies.add(notice.message_id)
        if self._stop_reason is None and not self._steps_done:
            self._stop("replied", f"reply received on {notice.channel}")
        if self._lead_status not in ("CONVERTED", "UNSUBSCRIBED", "BOUNCED"):
            self._set_lead_status("REPLIED")
        return True

    @workflow.update(name=REPLY_UPDATE)
    async def reply(self, notice: ReplyNotice) -> ReplyOutcome:
        was_running = not self._steps_done and self._stop_reason is None
        if not self._accept_reply(notice):
            action = "duplicate"
        else:
            action = "stopped" if was_running else "already_stopped"
        # Answer only once an in-flight send has settled, so the caller learns what went out.
        await workflow.wait_condition(lambda: not self._send_in_flight)
        return ReplyOutcome(
            action=action,
            lead_status=self._lead_status,
            sends=self._sends,
            current_step=self._step_no,
        )

    @workflow.signal(name=REPLY_SIGNAL)
    def reply_signal(self, notice: ReplyNotice) -> None:
        self._accept_reply(notice)

    @workflow.signal(name=STOP_SIGNAL)
    def stop(self, request: StopRequest) -> None:
        if self._stop_reason is None:
            self._stop("stopped", request.reason)

    @workflow.query(name=STATUS_QUERY)
    def status(self) -> SequenceStatus:
        return SequenceStatus(
            current_step=self._step_no,
            sends=self._sends,
            stop_reason=self._stop_reason,
            lead_status=self._lead_status,
            send_in_flight=self._send_in_flight,
            next_action_at=self._next_action_at,
        )
