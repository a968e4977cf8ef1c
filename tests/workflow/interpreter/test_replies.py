"""Replies with scripted classification: what each intent does to the run, the reply Update's
answers, and the offline fallback when the LLM path fails for good."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from temporalio.testing import WorkflowEnvironment

from sequences import REGISTRY
from tests.workflow.interpreter.scripted import (
    Scripted,
    classified,
    deferred,
    fails,
    notice,
    reply_pending,
    sent,
    start,
    status,
    status_when,
)
from workflows.contracts import REPLY_UPDATE, ProcessReplyInput, ProcessReplyResult, ReplyOutcome

DEMO = REGISTRY["demo"].compile()


async def test_a_reply_found_at_send_time_is_classified_and_a_stop_intent_ends_the_run(
    ts_env: WorkflowEnvironment, task_queue: str
) -> None:
    fakes = Scripted(
        sends=[sent(), reply_pending("m1")], replies={"m1": [classified("interested")]}
    )
    async with fakes.worker(ts_env.client, task_queue):
        handle = await start(ts_env.client, task_queue, DEMO)
        result = await handle.result()
        final = await status(handle)

    lead_id = handle.id.removeprefix("lead-")
    assert fakes.replies == [
        ProcessReplyInput(lead_id=lead_id, enrollment_id="enr-1", db_message_id="m1")
    ]
    assert fakes.sent_steps == [1, 3]  # step 3 is not sent again, the breakup never
    assert (result.outcome, result.sends, result.reason) == ("replied", 1, "reply: interested")
    assert (fakes.finished[0].outcome, fakes.finished[0].sends) == ("replied", 1)
    assert final.lead_status == "REPLIED"
    assert final.stop_reason == "reply: interested"


async def test_a_failed_classification_falls_back_to_the_offline_rules(
    ts_env: WorkflowEnvironment, task_queue: str
) -> None:
    fakes = Scripted(
        sends=[reply_pending("m1")],
        replies={"m1": [fails("LLMQuotaExceeded"), classified("unsubscribe", "UNSUBSCRIBED")]},
    )
    async with fakes.worker(ts_env.client, task_queue):
        handle = await start(ts_env.client, task_queue, DEMO)
        result = await handle.result()

    assert [(r.db_message_id, r.offline_only) for r in fakes.replies] == [
        ("m1", False),
        ("m1", True),
    ]
    # The offline answer decides: unsubscribe stops the run as "stopped", not "replied".
    assert (result.outcome, result.sends, result.reason) == ("stopped", 0, "reply: unsubscribe")
    assert fakes.sent_steps == [1]


async def test_out_of_office_pauses_until_the_morning_of_the_return_date(
    ts_env: WorkflowEnvironment, task_queue: str
) -> None:
    returns: list[date] = []

    def out_of_office(now: datetime) -> ProcessReplyResult:
        returns.append((now + timedelta(days=3)).date())
        return classified("out_of_office", "OUTREACHED", return_date=returns[-1])

    fakes = Scripted(sends=[reply_pending("m1")], replies={"m1": [out_of_office]})
    async with fakes.worker(ts_env.client, task_queue):
        handle = await start(ts_env.client, task_queue, DEMO)
        # Paused and asleep: the pause is recorded (an activity) before the sequence sets its
        # next action and sleeps, so a query in between sees `paused` without it.
        paused = await status_when(handle, lambda s: s.paused and s.next_action_at is not None)
        # The return date is the first day back; no time zone known: 09:00 UTC that day.
        until = datetime.combine(returns[0], time(9, 0), tzinfo=UTC)
        assert paused.paused_until == until
        assert paused.next_action_at == until
        assert fakes.events == ["SEQUENCE_PAUSED"]
        assert fakes.states[0].state == "paused"
        assert fakes.states[0].details == {"until": until.isoformat(), "why": "out of office"}
        assert fakes.sent_steps == [1]

        result = await handle.result()
        final = await status(handle)

    # After the pause the interrupted step is sent, then the rest of the sequence.
    assert fakes.sent_steps == [1, 1, 3, 5]
    assert fakes.send_times[1] >= until
    assert fakes.events == ["SEQUENCE_PAUSED", "SEQUENCE_RESUMED"]
    assert fakes.states[1].details == {"why": "pause ended"}
    assert (result.outcome, result.sends) == ("completed", 3)
    assert (final.paused, final.paused_until) == (False, None)


async def test_the_reply_update_answers_what_the_sequence_did(
    ts_env: WorkflowEnvironment, task_queue: str
) -> None:
    fakes = Scripted(
        sends=[deferred(timedelta(days=30))],
        replies={"m2": [classified("not_interested")]},  # m1: the default, auto_reply
    )
    async with fakes.worker(ts_env.client, task_queue):
        handle = await start(ts_env.client, task_queue, DEMO)
        await status_when(handle, lambda s: s.next_action_at is not None)  # deferred, asleep

        first = await handle.execute_update(REPLY_UPDATE, notice("m1"), result_type=ReplyOutcome)
        again = await handle.execute_update(REPLY_UPDATE, notice("m1"), result_type=ReplyOutcome)
        stop = await handle.execute_update(REPLY_UPDATE, notice("m2"), result_type=ReplyOutcome)
        result = await handle.result()

    continued = ReplyOutcome(
        action="continued", intent="auto_reply", lead_status="OUTREACHED", sends=0, current_step=1
    )
    assert first == continued
    # The duplicate is not classified again: it repeats what the first delivery decided.
    assert again == continued.model_copy(update={"action": "duplicate"})
    assert stop == ReplyOutcome(
        action="stopped", intent="not_interested", lead_status="REPLIED", sends=0, current_step=1
    )
    assert [r.db_message_id for r in fakes.replies] == ["m1", "m2"]
    assert fakes.sent_steps == [1]  # the deferred send is never retried after the stop
    assert (result.outcome, result.reason) == ("replied", "reply: not_interested")
