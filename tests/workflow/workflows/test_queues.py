"""Queues per concern on the time-skipping server: two workers polling different sets of
queues share a campaign's sends, each send on its channel's queue, each queue's limits on
its own Worker."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text
from temporalio import activity
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)

from adapters.channels.base import OutboundContent, Recipient, SendResult
from adapters.channels.outbox import OutboxChannel
from adapters.channels.registry import CHANNEL_TYPES, ChannelRouter
from config.settings import Settings
from models.db import Database
from sequences import REGISTRY
from sequences.dsl import SMS, Email, End, Sequence
from tests.conftest import WORKER_SHUTDOWN, _api
from tests.helpers import enrolled_campaign
from worker import QueueLimits, build_worker
from workflows.contracts import LeadSequenceResult

EMAIL_THEN_SMS = Sequence(
    "queues-email-then-sms",
    Email("intro", subject="Hi {{ lead.first_name }}", body="Hello {{ lead.first_name }}"),
    SMS("ping", body="Saw my email, {{ lead.first_name }}?"),
    End(),
)
LEADS = 12


@pytest.fixture
def sequence() -> Iterator[str]:
    REGISTRY[EMAIL_THEN_SMS.name] = EMAIL_THEN_SMS
    yield EMAIL_THEN_SMS.name
    del REGISTRY[EMAIL_THEN_SMS.name]


class SlowOutbox(OutboxChannel):
    """A send that takes a moment, so a worker holding one (concurrency 1) leaves the next
    to the other worker."""

    async def send(self, lead: Recipient, content: OutboundContent) -> SendResult:
        await asyncio.sleep(0.1)
        return await super().send(lead, content)


class Ran(Interceptor):
    """Records (worker, task queue, activity type) for every activity this worker runs."""

    def __init__(self, name: str, log: list[tuple[str, str, str]]) -> None:
        self.name, self.log = name, log

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _Record(next, self)


class _Record(ActivityInboundInterceptor):
    def __init__(self, next: ActivityInboundInterceptor, ran: Ran) -> None:
        super().__init__(next)
        self.ran = ran

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        info = activity.info()
        self.ran.log.append((self.ran.name, info.task_queue, info.activity_type))
        return await self.next.execute_activity(input)


def _channels() -> ChannelRouter:
    return ChannelRouter({t: SlowOutbox(t, io.StringIO()) for t in CHANNEL_TYPES})


async def _insert_leads(db: Database, cohort: str) -> None:
    async with db.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO lead (id, name, email, phone, status, metadata, created_at, "
                "updated_at) SELECT gen_random_uuid(), 'Lead ' || i, "
                ":cohort || '-' || i || '@example.com', '+1415555' || lpad(i::text, 4, '0'), "
                "'NEW', jsonb_build_object('cohort', CAST(:cohort AS text)), now(), now() "
                "FROM generate_series(1, :n) AS i"
            ),
            {"n": LEADS, "cohort": cohort},
        )


async def test_two_workers_on_different_queues_share_a_campaigns_sends(
    ts_env: WorkflowEnvironment,
    clean_db: Database,
    settings: Settings,
    task_queue: str,
    sequence: str,
) -> None:
    ran: list[tuple[str, str, str]] = []
    one_at_a_time = {"email": QueueLimits(rate=50.0, concurrency=1)}
    # A: the workflows, the bookkeeping and email; B: email and SMS/WhatsApp, no workflows.
    a = build_worker(
        ts_env.client,
        clean_db,
        task_queue,
        _channels(),
        concerns=("main", "email"),
        limits=one_at_a_time,
        interceptors=[Ran("A", ran)],
        graceful_shutdown_timeout=WORKER_SHUTDOWN,
    )
    # B is another process in production: its own connection (one client may not run two
    # workers on the same task queue).
    other = await Client.connect(
        ts_env.client.service_client.config.target_host,
        namespace=ts_env.client.namespace,
        data_converter=ts_env.client.data_converter,
    )
    b = build_worker(
        other,
        clean_db,
        task_queue,
        _channels(),
        concerns=("email", "messaging"),
        limits=one_at_a_time,
        interceptors=[Ran("B", ran)],
        graceful_shutdown_timeout=WORKER_SHUTDOWN,
    )
    assert sorted(a.task_queues) == sorted([task_queue, f"{task_queue}-email"])
    assert sorted(b.task_queues) == sorted([f"{task_queue}-email", f"{task_queue}-messaging"])
    # The queue's limits reached its Worker; the main queue keeps the SDK's defaults.
    email_config = b["email"].config()
    assert email_config.get("max_task_queue_activities_per_second") == 50.0
    assert email_config.get("max_concurrent_activities") == 1
    assert a["main"].config().get("max_task_queue_activities_per_second") is None

    await _insert_leads(clean_db, "q")
    async with a, b:
        async for api in _api(settings, clean_db, ts_env.client):
            res = await api.post(
                "/api/campaigns",
                json={
                    "name": "queues",
                    "sequence": sequence,
                    "filter": {"metadata": {"cohort": "q"}},
                },
            )
            assert res.status_code == 202, res.text
            body = await enrolled_campaign(api, res.json()["id"], within=60)
            assert body["enrolled"] == LEADS
        async with clean_db.engine.connect() as conn:
            lead_ids = (await conn.execute(text("SELECT lead_id FROM enrollment"))).scalars()
            for lead_id in list(lead_ids):
                handle = ts_env.client.get_workflow_handle(
                    f"lead-{lead_id}", result_type=LeadSequenceResult
                )
                assert (await handle.result()).outcome == "completed"

    sends = [(w, q) for w, q, kind in ran if kind == "send_step"]
    emails = [w for w, q in sends if q == f"{task_queue}-email"]
    texts = [w for w, q in sends if q == f"{task_queue}-messaging"]
    # Each lead's email went out on the email queue and its SMS on the messaging queue: never
    # a send on the main queue.
    assert (len(emails), len(texts), len(sends)) == (LEADS, LEADS, 2 * LEADS)
    # Both workers of the email queue took a share; only B polls the messaging queue.
    assert emails.count("A") >= 1 and emails.count("B") >= 1, emails
    assert set(texts) == {"B"}
    # Everything else (the bookkeeping, the enrollment batches) ran on A's main queue.
    others = {(w, q) for w, q, kind in ran if kind != "send_step"}
    assert others <= {("A", task_queue)}, others
    async with clean_db.engine.connect() as conn:
        sent = (await conn.execute(text("SELECT count(*) FROM message"))).scalar_one()
    assert sent == 2 * LEADS  # each send recorded once
