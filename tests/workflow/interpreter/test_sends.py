"""Send steps with scripted activities: deferrals, skips, A/B arms and branches on lead facts."""

from __future__ import annotations

from datetime import timedelta

from temporalio.testing import WorkflowEnvironment

from sequences import REGISTRY, Email, Sequence
from sequences.dsl import Branch, End, HasPhone, Variant, WhatsApp
from tests.workflow.interpreter.scripted import (
    Scripted,
    deferred,
    facts,
    sent,
    skipped,
    start,
    status,
)
from workflows.contracts import FinishEnrollmentInput, LeadSequenceResult

DEMO = REGISTRY["demo"].compile()
COLD_OUTBOUND = REGISTRY["cold-outbound"].compile()


async def test_a_completed_run_reports_its_sends_to_finish_enrollment(
    ts_env: WorkflowEnvironment, task_queue: str
) -> None:
    fakes = Scripted()
    async with fakes.worker(ts_env.client, task_queue):
        handle = await start(ts_env.client, task_queue, DEMO)
        result = await handle.result()
        final = await status(handle)

    assert result == LeadSequenceResult(outcome="completed", sends=3, last_step=5)
    assert fakes.sent_steps == [1, 3, 5]
    assert [s.step.id for s in fakes.sends] == ["intro", "bump", "breakup"]
    # Follow-ups thread on the first email's idempotency key; the first one has none.
    first_key = fakes.sends[0].idempotency_key
    assert [s.thread_key for s in fakes.sends] == [None, first_key, first_key]
    assert fakes.finished == [
        FinishEnrollmentInput(
            lead_id=handle.id.removeprefix("lead-"),
            enrollment_id="enr-1",
            outcome="completed",
            last_step=5,
            sends=3,
        )
    ]
    assert fakes.calls[-1] == "finish_enrollment"
    assert final.lead_status == "OUTREACHED"
    assert final.sends == 3


async def test_a_deferred_send_sleeps_until_retry_at_and_sends_again(
    ts_env: WorkflowEnvironment, task_queue: str
) -> None:
    fakes = Scripted(sends=[deferred(timedelta(hours=3)), deferred(timedelta(days=2))])
    async with fakes.worker(ts_env.client, task_queue):
        handle = await start(ts_env.client, task_queue, DEMO)
        result = await handle.result()

    # Two deferrals of the first step: it is sent on the third try, then the rest as usual.
    assert fakes.sent_steps == [1, 1, 1, 3, 5]
    assert result.outcome == "completed"
    assert result.sends == 3  # a deferral is not a send
    first, second, third = fakes.send_times[:3]
    assert second >= first + timedelta(hours=3)
    assert third >= second + timedelta(days=2)
    assert fakes.finished[0].sends == 3


async def test_a_skipped_send_ends_the_run_as_skipped(
    ts_env: WorkflowEnvironment, task_queue: str
) -> None:
    fakes = Scripted(sends=[sent(), skipped("lead is suppressed")])
    async with fakes.worker(ts_env.client, task_queue):
        handle = await start(ts_env.client, task_queue, DEMO)
        result = await handle.result()
        final = await status(handle)

    assert result == LeadSequenceResult(
        outcome="skipped", sends=1, last_step=3, reason="lead is suppressed"
    )
    assert fakes.sent_steps == [1, 3]  # the breakup email is never attempted
    assert (fakes.finished[0].outcome, fakes.finished[0].sends) == ("skipped", 1)
    assert fakes.finished[0].reason == "lead is suppressed"
    assert final.stop_reason == "lead is suppressed"
    assert final.lead_status == "REPLIED"  # the send activity's status is taken over


# The arm drawn at step 1 must be kept at step 2 even though step 2's weights would, if drawn
# again, almost surely pick the other arm (1000:0.001).
AB = Sequence(
    "ab-kept",
    Email(
        "intro",
        subject="Hi",
        body="unused",
        variants=(
            Variant(name="a", weight=1000, body="a intro"),
            Variant(name="b", weight=0.001, body="b intro"),
        ),
    ),
    Email("plain", body="no variants", thread=True),
    Email(
        "bump",
        body="unused",
        thread=True,
        variants=(
            Variant(name="a", weight=0.001, body="a bump"),
            Variant(name="b", weight=1000, body="b bump"),
        ),
    ),
).compile()


async def test_the_ab_arm_drawn_first_is_sent_at_every_step(
    ts_env: WorkflowEnvironment, task_queue: str
) -> None:
    fakes = Scripted()
    async with fakes.worker(ts_env.client, task_queue):
        handle = await start(ts_env.client, task_queue, AB)
        assert (await handle.result()).sends == 3

    variants = [s.variant for s in fakes.sends]
    assert variants[1] is None  # a step without variants sends its own body
    assert [v.name if v else None for v in variants] == ["a", None, "a"]
    assert [v.body if v else None for v in variants] == ["a intro", None, "a bump"]


WHATSAPP_AB = Sequence(
    "wa-ab",
    WhatsApp(
        "wa",
        body="unused",
        variants=(
            Variant(name="short", weight=1000, body="Hi {{ lead.first_name }}!"),
            Variant(name="long", weight=0.001, body="Hello {{ lead.first_name }}, ..."),
        ),
    ),
).compile()


async def test_a_whatsapp_step_draws_an_ab_arm_as_the_readme_says(
    ts_env: WorkflowEnvironment, task_queue: str
) -> None:
    fakes = Scripted()
    async with fakes.worker(ts_env.client, task_queue):
        handle = await start(ts_env.client, task_queue, WHATSAPP_AB)
        assert (await handle.result()).sends == 1

    (send,) = fakes.sends
    assert send.step.channel == "WHATSAPP"
    assert send.variant is not None
    assert (send.variant.name, send.variant.body) == ("short", "Hi {{ lead.first_name }}!")


BRANCHY = Sequence(
    "phone-or-not",
    Branch(when=HasPhone(), then="sms-ish", id="has-phone"),
    Email("no-phone", subject="Hi", body="email"),
    End(id="done"),
    Email("sms-ish", subject="Hi", body="phone"),
).compile()


async def test_a_branch_reads_the_facts_loaded_at_the_branch(
    ts_env: WorkflowEnvironment, task_queue: str
) -> None:
    # No phone when the run starts; one was added by the time the branch runs.
    fakes = Scripted(lead_facts=[facts(has_phone=False), facts(has_phone=True)])
    async with fakes.worker(ts_env.client, task_queue):
        handle = await start(ts_env.client, task_queue, BRANCHY)
        result = await handle.result()

    assert fakes.calls.count("load_lead_facts") == 2
    assert [s.step.id for s in fakes.sends] == ["sms-ish"]
    assert fakes.sent_steps == [4]
    assert (result.outcome, result.sends, result.last_step) == ("completed", 1, 4)


async def test_cold_outbound_without_a_phone_skips_whatsapp_for_the_linkedin_task(
    ts_env: WorkflowEnvironment, task_queue: str
) -> None:
    fakes = Scripted(lead_facts=[facts(has_phone=False)])
    async with fakes.worker(ts_env.client, task_queue):
        handle = await start(ts_env.client, task_queue, COLD_OUTBOUND)
        result = await handle.result()

    assert [s.step.id for s in fakes.sends] == ["intro", "bump", "breakup"]
    assert [(t.step.id, t.step_no) for t in fakes.tasks] == [("li", 8)]
    assert (result.outcome, result.sends, result.last_step) == ("completed", 3, 11)


async def test_cold_outbound_with_a_phone_sends_whatsapp_then_the_task(
    ts_env: WorkflowEnvironment, task_queue: str
) -> None:
    fakes = Scripted(lead_facts=[facts(has_phone=True)])
    async with fakes.worker(ts_env.client, task_queue):
        handle = await start(ts_env.client, task_queue, COLD_OUTBOUND)
        result = await handle.result()

    assert [(s.step.id, s.step.channel) for s in fakes.sends] == [
        ("intro", "EMAIL"),
        ("bump", "EMAIL"),
        ("wa", "WHATSAPP"),
        ("breakup", "EMAIL"),
    ]
    assert [t.step.id for t in fakes.tasks] == ["li"]
    assert result.sends == 4
