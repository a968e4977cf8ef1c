"""The enroll_batch activity against PostgreSQL and the recording gateway: every skip reason,
set-based checks, never twice (repeats, retries, a crash after the commit), the pre-launch
template check."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import event, func
from sqlmodel import col, select
from temporalio.testing import ActivityEnvironment

from activities.campaigns import CampaignActivities
from models.db import Database
from models.tables import Campaign, CampaignSkip, Enrollment, Lead, Suppression
from sequences.dsl import Email, Wait
from sequences.dsl import Sequence as Seq
from services.campaigns.enrollment import enroll_pipelined
from services.campaigns.prelaunch import check_lead
from services.gateway import SequenceStart, StartResult
from tests.fakes.gateway import RecordingGateway
from tests.helpers import add_lead
from workflows.campaign_contracts import EnrollBatchInput, EnrollBatchResult, FinishBatchInput
from workflows.spec import SendStep, SequenceSpec

TOPICAL = Seq(
    "topical",
    Email(
        "intro",
        subject="About {{ lead.metadata.topic }}",
        body="Hi {{ lead.first_name }}, for {{ lead.metadata.team | default('your team') }}.",
    ),
    Wait(days=2),
    Email("bump", body="Hi {{ lead.first_name }}, bumping this.", thread=True),
).compile()


async def _campaign(db: Database, spec: SequenceSpec = TOPICAL) -> uuid.UUID:
    async with db.session() as session:
        campaign = Campaign(
            name="t",
            sequence_name=spec.name,
            sequence_version=spec.version,
            spec=spec.model_dump(mode="json"),
            status="enrolling",
        )
        session.add(campaign)
        await session.commit()
        return campaign.id


async def _run(
    db: Database, gateway: RecordingGateway, campaign_id: uuid.UUID, leads: Sequence[Any]
) -> EnrollBatchResult:
    acts = CampaignActivities(db, gateway)
    inp = EnrollBatchInput(campaign_id=str(campaign_id), batch=0, lead_ids=[str(x) for x in leads])
    result: EnrollBatchResult = await ActivityEnvironment().run(acts.enroll_batch, inp)
    return result


async def _row(db: Database, campaign_id: uuid.UUID) -> Campaign:
    async with db.session() as session:
        campaign = await session.get(Campaign, campaign_id)
        assert campaign is not None
        return campaign


async def _skips(db: Database, campaign_id: uuid.UUID, kind: str = "skipped") -> dict[Any, Any]:
    async with db.session() as session:
        rows = await session.exec(
            select(CampaignSkip).where(
                CampaignSkip.campaign_id == campaign_id, CampaignSkip.kind == kind
            )
        )
        return {r.lead_id: (r.reason, r.detail) for r in rows}


async def _enrollment_count(db: Database, campaign_id: uuid.UUID) -> int:
    async with db.session() as session:
        return (
            await session.exec(
                select(func.count()).where(col(Enrollment.campaign_id) == campaign_id)
            )
        ).one()


async def test_each_reason_is_recorded_and_the_rest_start(clean_db: Database) -> None:
    meta = {"topic": "pricing"}
    ok = await add_lead(clean_db, meta={**meta, "team": "sales"})
    fallback = await add_lead(clean_db, meta=meta)  # no `team`: the default is used
    missing = await add_lead(clean_db, meta={})  # no `topic`, and no default for it
    replied = await add_lead(clean_db, meta=meta, status="REPLIED")
    suppressed = await add_lead(clean_db, meta=meta, email="gone@example.com")
    unreachable = await add_lead(clean_db, meta=meta, email=None, phone="+14155550100")
    busy = await add_lead(clean_db, meta=meta)
    nobody = uuid.uuid4()
    async with clean_db.session() as session:
        session.add(Suppression(email="GONE@example.com", reason="unsubscribed"))
        await session.commit()
    other = await _campaign(clean_db)
    gateway = RecordingGateway()
    await _run(clean_db, gateway, other, [busy.id])

    campaign_id = await _campaign(clean_db)
    leads = [ok, fallback, missing, replied, suppressed, unreachable, busy]
    result = await _run(clean_db, gateway, campaign_id, [*(x.id for x in leads), nobody])

    assert (result.enrolled, result.skipped, result.warnings) == (2, 6, 1)
    started = [s.input.lead_id for s in gateway.started if s.input.campaign_id == str(campaign_id)]
    assert started == [str(ok.id), str(fallback.id)]
    assert await _skips(clean_db, campaign_id) == {
        missing.id: ("missing field", "step 1 (intro) subject: lead.metadata.topic"),
        replied.id: ("replied", "lead is REPLIED"),
        suppressed.id: ("suppressed", "unsubscribed"),
        unreachable.id: ("invalid", "no address for EMAIL"),
        busy.id: ("already active", f"running in campaign {other}"),
        nobody: ("not found", "lead not found"),
    }
    assert await _skips(clean_db, campaign_id, "warning") == {
        fallback.id: (
            "default used",
            "default used for step 1 (intro) body: lead.metadata.team",
        ),
    }
    campaign = await _row(clean_db, campaign_id)
    assert (campaign.enrolled, campaign.skipped, campaign.warnings) == (2, 6, 1)
    assert campaign.skip_reasons == {
        "missing field": 1,
        "replied": 1,
        "suppressed": 1,
        "invalid": 1,
        "already active": 1,
        "not found": 1,
    }


async def test_a_repeated_batch_and_repeated_ids_enroll_each_lead_once(
    clean_db: Database,
) -> None:
    leads = [(await add_lead(clean_db, meta={"topic": "x"})).id for _ in range(4)]
    campaign_id = await _campaign(clean_db)
    gateway = RecordingGateway()
    first = await _run(clean_db, gateway, campaign_id, [*leads, *leads])
    again = await _run(clean_db, gateway, campaign_id, leads)  # a retried activity

    assert (first.enrolled, again.enrolled, again.skipped) == (4, 0, 0)
    assert sorted(s.input.lead_id for s in gateway.started) == sorted(map(str, leads))
    assert await _enrollment_count(clean_db, campaign_id) == 4
    campaign = await _row(clean_db, campaign_id)
    assert (campaign.enrolled, campaign.skipped) == (4, 0)


@dataclass
class CrashAfterHalf(RecordingGateway):
    """The worker dies after the batch committed and half its workflows started."""

    crashed: bool = False

    async def start_sequences(self, starts: Sequence[SequenceStart]) -> list[StartResult]:
        if not self.crashed:
            self.crashed = True
            await super().start_sequences(starts[: len(starts) // 2])
            raise RuntimeError("worker died mid-batch")
        return await super().start_sequences(starts)


async def test_a_batch_retried_after_a_crash_starts_each_lead_once(clean_db: Database) -> None:
    leads = [(await add_lead(clean_db, meta={"topic": "x"})).id for _ in range(10)]
    campaign_id = await _campaign(clean_db)
    gateway = CrashAfterHalf()
    with pytest.raises(RuntimeError):
        await _run(clean_db, gateway, campaign_id, leads)
    assert len(gateway.started) == 5

    retried = await _run(clean_db, gateway, campaign_id, leads)

    assert retried.enrolled == 5  # the ones the crash left unstarted
    assert sorted(s.input.lead_id for s in gateway.started) == sorted(map(str, leads))
    assert await _enrollment_count(clean_db, campaign_id) == 10
    campaign = await _row(clean_db, campaign_id)
    assert (campaign.enrolled, campaign.skipped) == (10, 0)
    third = await _run(clean_db, gateway, campaign_id, leads)
    assert (third.enrolled, len(gateway.started)) == (0, 10)


async def test_checks_are_set_based_not_per_lead(clean_db: Database) -> None:
    few = [(await add_lead(clean_db, meta={"topic": "x"})).id for _ in range(3)]
    many = [(await add_lead(clean_db, meta={"topic": "x"})).id for _ in range(40)]
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    engine = clean_db.engine.sync_engine
    counts = []
    for batch in (few, many):
        campaign_id = await _campaign(clean_db)
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            await _run(clean_db, RecordingGateway(), campaign_id, batch)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        counts.append(len(statements))
    assert counts[0] == counts[1], statements


async def test_finishing_a_batch_twice_counts_it_once(clean_db: Database) -> None:
    campaign_id = await _campaign(clean_db)
    acts = CampaignActivities(clean_db, RecordingGateway())
    async with clean_db.session() as session:
        campaign = await session.get(Campaign, campaign_id)
        assert campaign is not None
        campaign.batches = 2
        await session.commit()
    finish = FinishBatchInput(campaign_id=str(campaign_id), batch=0)
    await ActivityEnvironment().run(acts.finish_campaign_batch, finish)
    await ActivityEnvironment().run(acts.finish_campaign_batch, finish)
    assert (await _row(clean_db, campaign_id)).status == "enrolling"  # batch 1 still runs
    finish = FinishBatchInput(campaign_id=str(campaign_id), batch=1)
    await ActivityEnvironment().run(acts.finish_campaign_batch, finish)
    done = await _row(clean_db, campaign_id)
    assert (done.status, done.finished_batches) == ("enrolled", [0, 1])
    assert done.enrolling_finished_at is not None


def test_prelaunch_names_the_field_and_step_and_keeps_the_sandbox() -> None:
    lead = Lead(name="Ada Lovelace", email="ada@example.com", meta={"topic": "pricing"})
    assert check_lead(TOPICAL, lead).missing is None
    assert check_lead(TOPICAL, lead).fallbacks == ["step 1 (intro) body: lead.metadata.team"]
    bare = Lead(name="Ada", email="ada@example.com")
    assert check_lead(TOPICAL, bare).missing == "step 1 (intro) subject: lead.metadata.topic"
    escape = SequenceSpec.build(
        "escape",
        (SendStep(id="e", channel="EMAIL", subject="Hi", body="{{ lead.__class__.__mro__ }}"),),
    )
    assert check_lead(escape, lead).missing is not None


class FailsOnStart(RecordingGateway):
    """Starts the first `ok` calls, then the next call dies (a worker lost mid-pipeline)."""

    def __init__(self, ok: int) -> None:
        super().__init__()
        self.ok = ok

    async def start_sequences(self, starts: Sequence[SequenceStart]) -> list[StartResult]:
        if self.ok == 0:
            raise RuntimeError("worker died while starting")
        self.ok -= 1
        return await super().start_sequences(starts)


async def test_a_pipelined_batch_that_dies_mid_way_enrolls_each_lead_once_on_retry(
    clean_db: Database,
) -> None:
    leads = [await add_lead(clean_db, meta={"topic": "t"}) for _ in range(7)]
    campaign_id = await _campaign(clean_db)
    gateway = FailsOnStart(ok=1)  # chunk 1 starts; chunk 2 is recorded, its start dies
    ids = [lead.id for lead in leads]
    with pytest.raises(RuntimeError):
        await enroll_pipelined(clean_db, gateway, campaign_id, 0, ids, chunk=3)
    started_first = {s.input.lead_id for s in gateway.started}
    assert len(started_first) == 3

    gateway.ok = 99  # the retry
    outcome = await enroll_pipelined(clean_db, gateway, campaign_id, 0, ids, chunk=3)
    assert {s.input.lead_id for s in gateway.started} == {str(i) for i in ids}
    assert len(gateway.started) == 7  # nobody twice
    assert len(outcome.enrolled) == 4  # the ones this attempt started
    assert await _enrollment_count(clean_db, campaign_id) == 7
    assert (await _row(clean_db, campaign_id)).enrolled == 7
