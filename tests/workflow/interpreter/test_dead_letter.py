"""Dead letters with a scripted send: a permanent failure flags the lead and waits for ops."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from temporalio.client import WorkflowHandle
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from sequences import REGISTRY
from tests.workflow.interpreter.scripted import (
    Scripted,
    classified,
    deferred,
    fails,
    notice,
    start,
    status,
    status_when,
)
from workflows.contracts import (
    OPS_SIGNAL,
    RECORD_STATE_ACTIVITY,
    REPLY_UPDATE,
    EnrollmentStateInput,
    OpsCommand,
    ReleaseClaimInput,
    ReplyOutcome,
)

DEMO = REGISTRY["demo"].compile()


@pytest.mark.parametrize(
    ("action", "steps", "outcome", "reason"),
    [
        ("skip", [1, 3, 5], "completed", ""),
        ("stop", [1], "stopped", "stopped by ops"),
    ],
)
async def test_a_permanent_send_failure_is_dead_lettered_until_ops_decide(
    ts_env: WorkflowEnvironment,
    task_queue: str,
    action: str,
    steps: list[int],
    outcome: str,
    reason: str,
) -> None:
    fakes = Scripted(sends=[fails("InvalidRecipient", "bad address")])
    async with fakes.worker(ts_env.client, task_queue):
        handle = await start(ts_env.client, task_queue, DEMO)
        flagged = await status_when(handle, lambda s: s.needs_attention)
        assert (flagged.current_step, flagged.send_in_flight, flagged.sends) == (1, False, 0)
        assert fakes.states == [
            EnrollmentStateInput(
                lead_id=handle.id.removeprefix("lead-"),
                enrollment_id="enr-1",
                state="attention",
                current_step=1,
                event="DEAD_LETTERED",
                details={"step": 1, "error_type": "InvalidRecipient", "error": "bad address"},
            )
        ]

        await handle.signal(OPS_SIGNAL, OpsCommand(action=action))
        result = await handle.result()
        final = await status(handle)

    assert fakes.sent_steps == steps
    assert (result.outcome, result.sends, result.reason) == (outcome, len(steps) - 1, reason)
    assert fakes.events == ["DEAD_LETTERED", f"OPS_{action.upper()}"]
    assert fakes.states[1].state == "active"
    assert fakes.releases == []
    assert final.needs_attention is False


@pytest.mark.parametrize(
    ("error_type", "released"), [("InvalidRecipient", False), ("SendOutcomeUnknown", True)]
)
async def test_ops_retry_sends_again_and_frees_the_claim_only_for_an_unknown_outcome(
    ts_env: WorkflowEnvironment, task_queue: str, error_type: str, released: bool
) -> None:
    fakes = Scripted(sends=[fails(error_type)])
    async with fakes.worker(ts_env.client, task_queue):
        handle = await start(ts_env.client, task_queue, DEMO)
        await status_when(handle, lambda s: s.needs_attention)
        await handle.signal(OPS_SIGNAL, OpsCommand(action="retry", note="not delivered"))
        result = await handle.result()

    assert fakes.sent_steps == [1, 1, 3, 5]
    assert fakes.sends[0].idempotency_key == fakes.sends[1].idempotency_key
    assert (result.outcome, result.sends) == ("completed", 3)
    assert fakes.events == ["DEAD_LETTERED", "OPS_RETRY"]
    assert fakes.states[0].details["error_type"] == error_type
    if released:
        assert fakes.releases == [
            ReleaseClaimInput(
                lead_id=handle.id.removeprefix("lead-"),
                idempotency_key=fakes.sends[0].idempotency_key,
                note="not delivered",
            )
        ]
        # Freed before the key is sent again, never after.
        sends_before = fakes.calls[: fakes.calls.index("release_send_claim")]
        assert sends_before.count("send_step") == 1
    else:
        assert fakes.releases == []
        assert "release_send_claim" not in fakes.calls


async def test_an_ops_command_before_the_dead_letter_is_ignored(
    ts_env: WorkflowEnvironment, task_queue: str
) -> None:
    fakes = Scripted(sends=[deferred(timedelta(hours=1)), fails("InvalidRecipient")])
    async with fakes.worker(ts_env.client, task_queue):
        handle = await start(ts_env.client, task_queue, DEMO)
        await status_when(handle, lambda s: s.next_action_at is not None)  # deferred, asleep
        await handle.signal(OPS_SIGNAL, OpsCommand(action="skip"))
        await ts_env.sleep(timedelta(hours=2))  # the deferral ends; the retried send fails
        await status_when(handle, lambda s: s.needs_attention)
        assert fakes.events == ["DEAD_LETTERED"]  # the early "skip" did not decide it

        await handle.signal(OPS_SIGNAL, OpsCommand(action="retry"))
        result = await handle.result()

    assert fakes.sent_steps == [1, 1, 1, 3, 5]
    assert fakes.events == ["DEAD_LETTERED", "OPS_RETRY"]
    assert result.sends == 3


async def test_an_ops_command_sent_while_the_dead_letter_is_recorded_counts(
    ts_env: WorkflowEnvironment, task_queue: str
) -> None:
    """Ops see the dead letter as soon as it is committed, before the workflow hears back from
    the activity that recorded it: a command sent in that moment must not be dropped."""
    fakes = Scripted(sends=[fails("InvalidRecipient")])
    handles: list[WorkflowHandle[Any, Any]] = []

    async def ops_skip_at_once(state: EnrollmentStateInput) -> None:
        if state.event == "DEAD_LETTERED":
            await handles[0].signal(OPS_SIGNAL, OpsCommand(action="skip"))

    fakes.on_state = ops_skip_at_once
    async with fakes.worker(ts_env.client, task_queue):
        handles.append(await start(ts_env.client, task_queue, DEMO))
        result = await asyncio.wait_for(handles[0].result(), timeout=30)

    assert fakes.events == ["DEAD_LETTERED", "OPS_SKIP"]
    assert fakes.sent_steps == [1, 3, 5]
    assert result.outcome == "completed"


async def test_bookkeeping_that_keeps_failing_flags_the_lead_and_is_tried_again(
    ts_env: WorkflowEnvironment, task_queue: str
) -> None:
    """Our database refusing the dead letter's record neither fails the sequence nor hides
    it: the lead is flagged with the reason, and the record is tried again until it works."""
    fakes = Scripted(sends=[fails("InvalidRecipient")])
    down = [ApplicationError("database unreachable", non_retryable=True)] * 2

    async def database_down(state: EnrollmentStateInput) -> None:
        if down:
            raise down.pop()

    fakes.on_state = database_down
    async with fakes.worker(ts_env.client, task_queue):
        handle = await start(ts_env.client, task_queue, DEMO)
        stuck = await status_when(handle, lambda s: s.attention_reason is not None)
        assert stuck.needs_attention
        assert stuck.attention_reason == (
            f"{RECORD_STATE_ACTIVITY} keeps failing: database unreachable"
        )

        await ts_env.sleep(timedelta(minutes=25))  # two more tries, the second one works
        recorded = await status_when(handle, lambda s: s.attention_reason is None)
        assert recorded.needs_attention  # still the dead letter's: it waits for ops
        assert fakes.events == ["DEAD_LETTERED"] * 3

        await handle.signal(OPS_SIGNAL, OpsCommand(action="skip"))
        result = await asyncio.wait_for(handle.result(), timeout=30)

    assert fakes.events == ["DEAD_LETTERED"] * 3 + ["OPS_SKIP"]
    assert (result.outcome, result.sends) == ("completed", 2)


async def test_a_reply_still_stops_a_dead_lettered_lead(
    ts_env: WorkflowEnvironment, task_queue: str
) -> None:
    fakes = Scripted(sends=[fails("InvalidRecipient")], replies={"m1": [classified("interested")]})
    async with fakes.worker(ts_env.client, task_queue):
        handle = await start(ts_env.client, task_queue, DEMO)
        await status_when(handle, lambda s: s.needs_attention)
        answer = await handle.execute_update(REPLY_UPDATE, notice("m1"), result_type=ReplyOutcome)
        result = await handle.result()
        final = await status(handle)

    assert (answer.action, answer.intent, answer.current_step) == ("stopped", "interested", 1)
    assert fakes.sent_steps == [1]
    assert (result.outcome, result.reason) == ("replied", "reply: interested")
    assert final.needs_attention is False
    # No ops command came: the dead letter still records how it ended, as an ops stop.
    assert fakes.events == ["DEAD_LETTERED", "OPS_STOP"]
