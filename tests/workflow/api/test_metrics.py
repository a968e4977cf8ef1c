"""GET /metrics moving with the real work: sends, a retried send, a reply through the SendGrid
webhook, a dead letter and enrollments, done by a real worker (its activities write the event
log) and the real app; the worker's retries on its own SDK metrics endpoint."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from adapters.channels.base import PermanentChannelError, TransientChannelError
from adapters.channels.email import message_id_for
from config.settings import Settings
from config.temporal import metrics_runtime
from models.db import Database
from models.enums import EventType
from salespad.local import free_port
from tests.conftest import _api
from tests.fakes.webhooks import inbound_fields, post_inbound, webhook_settings
from tests.helpers import api_lead, events, eventually, outbound
from tests.service.api.test_metrics_http import sample
from tests.workers import ScriptedChannel, router, running_worker
from workflows.contracts import SEND_STEP_ACTIVITY


@pytest.fixture
def settings(database_url: str, task_queue: str) -> Settings:
    return webhook_settings(database_url, task_queue).model_copy(
        update={"metrics_cache_seconds": 0}
    )


@pytest.fixture
def channel() -> ScriptedChannel:
    return ScriptedChannel("EMAIL")


@pytest.fixture
def sdk_metrics() -> str:
    return f"127.0.0.1:{free_port()}"


@pytest.fixture
async def api(
    settings: Settings,
    clean_db: Database,
    ts_env: WorkflowEnvironment,
    task_queue: str,
    channel: ScriptedChannel,
    sdk_metrics: str,
) -> AsyncIterator[httpx.AsyncClient]:
    """The app, and a worker whose SDK runtime serves Prometheus metrics on `sdk_metrics`."""
    client = await Client.connect(
        ts_env.client.service_client.config.target_host,
        namespace=ts_env.client.namespace,
        data_converter=pydantic_data_converter,
        runtime=metrics_runtime(sdk_metrics),
    )
    async with running_worker(client, clean_db, task_queue, router(email=channel)):
        async for http in _api(settings, clean_db, ts_env.client):
            yield http


async def _scrape(api: httpx.AsyncClient) -> str:
    res = await api.get("/metrics")
    assert res.status_code == 200, res.text
    return res.text


async def _enroll(api: httpx.AsyncClient, email: str) -> uuid.UUID:
    lead_id = await api_lead(api, email)
    res = await api.post(
        "/api/campaigns", json={"name": f"c-{email}", "sequence": "demo", "lead_ids": [lead_id]}
    )
    assert res.status_code == 202, res.text
    return uuid.UUID(lead_id)


async def test_metrics_count_what_the_workers_and_webhooks_did(
    api: httpx.AsyncClient, clean_db: Database, channel: ScriptedChannel, sdk_metrics: str
) -> None:
    before = await _scrape(api)

    # A send that fails once (a 429 with a short Retry-After), then goes out.
    channel.failures = [TransientChannelError("429", retry_after=timedelta(milliseconds=50))]
    ada = await _enroll(api, "ada@example.com")

    async def sent() -> bool:
        return len(await events(clean_db, ada, EventType.EMAIL_SENT)) == 1

    await eventually(sent)

    # A send the provider refuses for good: dead-lettered.
    channel.failures = [PermanentChannelError("bad address", error_type="InvalidRecipient")]
    bob = await _enroll(api, "bob@example.com")

    async def dead() -> bool:
        return len(await events(clean_db, bob, EventType.DEAD_LETTERED)) == 1

    await eventually(dead)

    # Ada replies through SendGrid's Inbound Parse.
    [first] = await outbound(clean_db, ada)
    assert first.idempotency_key is not None
    fields = inbound_fields(
        text="Yes, interested. Let's talk Tuesday.",
        in_reply_to=message_id_for(first.idempotency_key),
    )
    assert (await post_inbound(api, fields)).status_code == 200

    async def classified() -> bool:
        return len(await events(clean_db, ada, EventType.INTENT_CLASSIFIED)) == 1

    await eventually(classified)
    [intent_event] = await events(clean_db, ada, EventType.INTENT_CLASSIFIED)
    after = await _scrape(api)

    def delta(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert delta("salespad_enrollments_total") == 2
    assert delta("salespad_sends_total", channel="email", outcome="sent") == 1
    assert delta("salespad_sends_total", channel="sms", outcome="sent") == 0
    assert delta("salespad_dead_letters_total", channel="email", error_type="InvalidRecipient") == 1
    assert intent_event.intent
    assert delta("salespad_replies_total", intent=intent_event.intent, channel="email") == 1
    assert (
        delta(
            "salespad_webhook_duration_seconds_count",
            route="/webhooks/sendgrid/inbound",
            status="200",
        )
        == 1
    )
    assert sample(after, "salespad_event_log_up") == 1

    # The retried send, on the worker's own endpoint (the SDK's metrics beside ours).
    async with httpx.AsyncClient() as http:
        worker_metrics = (await http.get(f"http://{sdk_metrics}/metrics")).text
    assert "temporal_" in worker_metrics
    assert (
        sample(worker_metrics, "salespad_activity_retries_total", activity_type=SEND_STEP_ACTIVITY)
        == 1
    )
