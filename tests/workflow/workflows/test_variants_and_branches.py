"""A/B arms are drawn once per lead, sent as drawn, and branch on; conditions read lead facts."""

from __future__ import annotations

from collections import Counter

from temporalio.testing import WorkflowEnvironment

from models.db import Database
from sequences import Email, Sequence
from sequences.dsl import ArmIs, Branch, End, HasEmail, LeadField, ReplyIntentIs, Variant
from tests.helpers import add_lead, outbound, run_to_end, start_spec
from tests.workers import router, running_worker
from workflows.conditions import evaluate
from workflows.contracts import LeadFacts, SequenceState

AB = Sequence(
    "ab",
    Email(
        "intro",
        subject="Hi",
        body="unused",
        variants=(
            Variant(name="short", body="short pitch"),
            Variant(name="long", body="long pitch", subject="A longer hello"),
        ),
    ),
    Branch(when=ArmIs(arm="long"), then="long-bump", otherwise="short-bump"),
    Email("short-bump", body="short bump", thread=True),
    End(id="done"),
    Email("long-bump", body="long bump", thread=True),
).compile()


async def test_each_lead_gets_one_arm_and_follows_it(
    ts_env: WorkflowEnvironment, clean_db: Database, task_queue: str
) -> None:
    leads = [await add_lead(clean_db) for _ in range(16)]
    async with running_worker(ts_env.client, clean_db, task_queue, router()):
        handles = await start_spec(
            ts_env.client, clean_db, task_queue, AB, [lead.id for lead in leads]
        )
        for handle in handles:
            await run_to_end(ts_env, handle)

    arms: Counter[str] = Counter()
    for lead in leads:
        first, second = await outbound(clean_db, lead.id)
        arm = first.details["arm"]
        arms[arm] += 1
        assert first.content == f"{arm} pitch"
        assert first.subject == ("A longer hello" if arm == "long" else "Hi")
        assert second.content == f"{arm} bump"  # the branch followed the arm drawn
    assert set(arms) == {"short", "long"}  # 16 draws at 50/50: both arms (p of not: 2^-15)


def test_conditions_read_facts_and_state() -> None:
    facts = LeadFacts(
        status="OUTREACHED",
        has_email=True,
        has_phone=False,
        timezone=None,
        fields={"company": "AE", "metadata.tier": "gold"},
    )
    state = SequenceState(last_intent="question", arm="b")
    assert evaluate(HasEmail(), facts, state)
    assert evaluate(ReplyIntentIs(intents=("question", "referral")), facts, state)
    assert not evaluate(ReplyIntentIs(intents=("interested",)), facts, state)
    assert evaluate(ArmIs(arm="b"), facts, state)
    assert evaluate(LeadField(field="metadata.tier", equals="gold"), facts, state)
    assert not evaluate(LeadField(field="metadata.tier", equals="silver"), facts, state)
    assert evaluate(LeadField(field="company"), facts, state)
    assert not evaluate(LeadField(field="title"), facts, state)
