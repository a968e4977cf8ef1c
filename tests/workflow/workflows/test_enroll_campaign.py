"""EnrollCampaign on the time-skipping server with the real worker: hundreds of leads enrolled
exactly once behind a 202, continue-as-new, and a batch that crashes after committing half."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import text
from temporalio import activity
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.campaigns import CampaignActivities
from models.db import Database
from sequences import REGISTRY
from sequences.dsl import Branch, Email, End, HasEmail, Sequence
from services.campaigns.enrollment import enroll_batch
from services.gateway import LeadWorkflows
from tests.conftest import WORKER_SHUTDOWN
from tests.helpers import enrolled_campaign
from workflows.campaign_contracts import (
    ENROLL_BATCH_ACTIVITY,
    EnrollBatchInput,
    EnrollBatchResult,
    EnrollCampaignInput,
    EnrollCampaignResult,
    LeadFilter,
    LeadSelector,
    enroll_workflow_id,
)
from workflows.contracts import LeadSequenceResult
from workflows.enroll_campaign import EnrollCampaignWorkflow

# Every lead here has an email, so its sequence ends at once (one activity, then its end): a
# few hundred of them settle quickly (bench/enroll.py enrolls 10,000 on the dev server). The
# email's templates are still checked before enrolling.
HOLD = Sequence(
    "hold",
    Branch(when=HasEmail(), then="end"),
    Email("intro", subject="Hi {{ lead.first_name }}", body="Hello {{ lead.first_name }}"),
    End(),
)


@pytest.fixture
def hold() -> Iterator[str]:
    REGISTRY[HOLD.name] = HOLD
    yield HOLD.name
    del REGISTRY[HOLD.name]


async def _insert_leads(db: Database, n: int, cohort: str) -> None:
    """n leads in one statement."""
    async with db.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO lead (id, name, email, status, metadata, created_at, updated_at) "
                "SELECT gen_random_uuid(), 'Lead ' || i, :cohort || '-' || i || '@example.com', "
                "'NEW', jsonb_build_object('cohort', CAST(:cohort AS text)), now(), now() "
                "FROM generate_series(1, :n) AS i"
            ),
            {"n": n, "cohort": cohort},
        )


async def _enrollments(db: Database, campaign_id: str) -> tuple[int, int]:
    async with db.engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT count(*), count(DISTINCT lead_id) FROM enrollment "
                    "WHERE campaign_id = CAST(:c AS uuid)"
                ),
                {"c": campaign_id},
            )
        ).one()
    return row[0], row[1]


async def test_three_hundred_leads_are_enrolled_once_behind_a_202(
    api: httpx.AsyncClient, ts_env: WorkflowEnvironment, clean_db: Database, hold: str
) -> None:
    await _insert_leads(clean_db, 300, "k")
    res = await api.post(
        "/api/campaigns",
        json={"name": "big", "sequence": hold, "filter": {"metadata": {"cohort": "k"}}},
        headers={"Idempotency-Key": "big-1"},
    )
    assert res.status_code == 202, res.text
    # The request only recorded the campaign and started its enrollment: nobody is enrolled
    # by the time it answers, whatever the size.
    assert (res.json()["status"], res.json()["selected"]) == ("enrolling", 300)
    assert (res.json()["enrolled"], res.json()["skipped"]) == (0, 0)

    body = await enrolled_campaign(api, res.json()["id"], within=240)
    assert (body["selected"], body["enrolled"], body["skipped"]) == (300, 300, 0)
    assert await _enrollments(clean_db, body["id"]) == (300, 300)
    await _settle(ts_env.client, clean_db, body["id"])
    done = (await api.get(f"/api/campaigns/{body['id']}")).json()
    assert done["enrollments"] == {"completed": 300}

    # The same request again: the same campaign, no second enrollment run.
    again = await api.post(
        "/api/campaigns",
        json={"name": "big", "sequence": hold, "filter": {"metadata": {"cohort": "k"}}},
        headers={"Idempotency-Key": "big-1"},
    )
    assert again.json()["id"] == body["id"]
    assert await _enrollments(clean_db, body["id"]) == (300, 300)


class CrashFirstAttempt:
    """enroll_batch whose first attempt commits half the batch, then dies."""

    def __init__(self, db: Database, client: Client, task_queue: str) -> None:
        self.db = db
        self.workflows = LeadWorkflows(client, task_queue)
        self.real = CampaignActivities(db, self.workflows)
        self.crashes = 0

    @activity.defn(name=ENROLL_BATCH_ACTIVITY)
    async def enroll_batch(self, inp: EnrollBatchInput) -> EnrollBatchResult:
        if activity.info().attempt == 1 and self.crashes == 0:
            self.crashes += 1
            half = [uuid.UUID(i) for i in inp.lead_ids[: len(inp.lead_ids) // 2]]
            async with self.db.session() as session:
                await enroll_batch(session, self.workflows, uuid.UUID(inp.campaign_id), 0, half)
            raise RuntimeError("worker died mid-batch")
        return await self.real.enroll_batch(inp)


async def test_continue_as_new_and_a_crashed_batch_still_enroll_each_lead_once(
    api: httpx.AsyncClient,
    ts_env: WorkflowEnvironment,
    ts_worker: Worker,
    clean_db: Database,
    task_queue: str,
    hold: str,
) -> None:
    await _insert_leads(clean_db, 60, "c")
    # A campaign row through the API with an empty selection; its batch 0 is run below.
    res = await api.post(
        "/api/campaigns",
        json={"name": "crash", "sequence": hold, "filter": {"metadata": {"cohort": "none"}}},
    )
    campaign_id = res.json()["id"]
    await enrolled_campaign(api, campaign_id)

    crashing = CrashFirstAttempt(clean_db, ts_env.client, task_queue)
    queue = f"{task_queue}-enroll"
    async with Worker(
        ts_env.client,
        task_queue=queue,
        workflows=[EnrollCampaignWorkflow],
        activities=[
            crashing.enroll_batch,
            crashing.real.next_enrollment_batch,
            crashing.real.finish_campaign_batch,
        ],
        graceful_shutdown_timeout=WORKER_SHUTDOWN,
    ):
        result = await ts_env.client.execute_workflow(
            EnrollCampaignWorkflow.run,
            EnrollCampaignInput(
                campaign_id=campaign_id,
                selector=LeadSelector(filter=LeadFilter(metadata={"cohort": "c"})),
                batch_size=8,
                batches_per_run=3,  # 8 batches: continue-as-new twice
            ),
            id=enroll_workflow_id(campaign_id, 0) + "-direct",
            task_queue=queue,
            result_type=EnrollCampaignResult,
        )

    assert crashing.crashes == 1
    assert result.skipped == 0
    assert await _enrollments(clean_db, campaign_id) == (60, 60)
    body = (await api.get(f"/api/campaigns/{campaign_id}")).json()
    assert (body["enrolled"], body["skipped"], body["status"]) == (60, 0, "enrolled")
    await _settle(ts_env.client, clean_db, campaign_id)


async def _settle(client: Client, db: Database, campaign_id: str) -> None:
    """Every enrolled lead's sequence ran, once, to its end (awaited one at a time: never
    hundreds of result polls at once)."""
    for lead_id in await _lead_ids(db, campaign_id):
        handle = client.get_workflow_handle(f"lead-{lead_id}", result_type=LeadSequenceResult)
        assert (await handle.result()).outcome == "completed"


async def _lead_ids(db: Database, campaign_id: str) -> list[str]:
    async with db.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT lead_id FROM enrollment WHERE campaign_id = CAST(:c AS uuid)"),
            {"c": campaign_id},
        )
        return [str(r[0]) for r in rows]
