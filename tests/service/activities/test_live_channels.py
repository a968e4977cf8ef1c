"""Channels and pacing configured over the API reach a running worker without a restart: the
send step with the worker's own channels (services/channels/live.py) on the real database."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import event, text
from temporalio.testing import ActivityEnvironment

from activities.sending import SendActivities
from config.settings import Settings
from models.db import Database
from models.enums import EventType
from models.tables import Campaign, Enrollment
from services.channels import service
from services.channels.live import LiveChannels
from services.channels.schemas import ChannelConfig
from tests.fakes.sendgrid import FakeSendGrid
from tests.helpers import add_lead, events
from workflows.contracts import SendStepInput, SendStepResult
from workflows.spec import SendStep

STEP = SendStep(id="intro", channel="EMAIL", subject="Hi", body="Hello {{ lead.first_name }}")
API_KEY = "SG.live-config-secret-key"


def sendgrid_body(url: str) -> dict[str, object]:
    return {
        "type": "EMAIL",
        "provider": "sendgrid",
        "config": {"api_key": API_KEY, "from_email": "ada@salespad.example", "api_host": url},
    }


async def send(db: Database, channels: LiveChannels) -> tuple[SendStepResult, str | None]:
    """One send step for a new lead; (its result, the provider it went through)."""
    lead = await add_lead(db)
    async with db.session() as session:
        campaign = Campaign(name="t", sequence_name="s", sequence_version="v")
        session.add(campaign)
        await session.flush()
        enrollment = Enrollment(campaign_id=campaign.id, lead_id=lead.id, workflow_id="w")
        session.add(enrollment)
        await session.commit()
    inp = SendStepInput(
        lead_id=str(lead.id),
        enrollment_id=str(enrollment.id),
        campaign_id=str(campaign.id),
        step_no=1,
        step=STEP,
    )
    result = await ActivityEnvironment().run(SendActivities(db, channels).send_step, inp)
    sent = await events(db, lead.id, EventType.EMAIL_SENT)
    return result, (sent[0].details["provider"] if sent else None)


@pytest.fixture
def version_reads(clean_db: Database) -> Iterator[list[str]]:
    """Every statement that reads the configuration version."""
    seen: list[str] = []

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        if "config_version" in statement:
            seen.append(statement)

    event.listen(clean_db.engine.sync_engine, "before_cursor_execute", record)
    yield seen
    event.remove(clean_db.engine.sync_engine, "before_cursor_execute", record)


async def test_sendgrid_configured_over_the_api_serves_the_next_sends_within_seconds(
    api: httpx.AsyncClient, clean_db: Database, settings: Settings
) -> None:
    assert settings.config_refresh_seconds == 2.0  # the default a worker runs with
    channels = await LiveChannels.load(settings, clean_db)
    first, provider = await send(clean_db, channels)
    assert (first.status, provider) == ("sent", "outbox")

    with FakeSendGrid(api_key=API_KEY) as sendgrid:
        res = await api.post("/api/channels", json=sendgrid_body(sendgrid.url))
        assert res.status_code == 200, res.text
        configured = time.monotonic()
        providers = []
        while "sendgrid" not in providers:
            assert time.monotonic() - configured < 3.5, providers
            result, provider = await send(clean_db, channels)
            assert result.status == "sent", result
            providers.append(provider)
        # Sends go on through the outbox until the worker sees the change, then never again.
        assert set(providers[:-1]) <= {"outbox"}
        _, provider = await send(clean_db, channels)
        assert provider == "sendgrid"
        assert len(sendgrid.mail_sends()) == 2
        assert sendgrid.mail_sends()[0].headers["Authorization"] == f"Bearer {API_KEY}"


async def test_a_daily_cap_set_over_the_api_defers_the_very_next_send(
    api: httpx.AsyncClient, clean_db: Database, settings: Settings
) -> None:
    """Pacing is not cached: the send step reads the channel row on every send, so a cap applies
    at once, even by a worker that will not look at its channel configuration for an hour."""
    channels = await LiveChannels.load(settings, clean_db, refresh_seconds=3600)
    first, _ = await send(clean_db, channels)
    assert first.status == "sent"

    res = await api.put("/api/channels/EMAIL/pacing", json={"daily_cap": 1})
    assert res.status_code == 200, res.text

    second, provider = await send(clean_db, channels)
    assert (second.status, provider) == ("deferred", None), second
    assert second.retry_at is not None
    res = await api.put("/api/channels/EMAIL/pacing", json={"daily_cap": None})
    third, _ = await send(clean_db, channels)
    assert third.status == "sent"


async def test_a_configuration_that_cannot_be_built_keeps_the_adapter_and_says_so_once(
    api: httpx.AsyncClient,
    clean_db: Database,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [0.0]
    channels = await LiveChannels.load(settings, clean_db, clock=lambda: now[0])
    with FakeSendGrid(api_key=API_KEY) as sendgrid:
        # Stored by an API that runs with another SALESPAD_SECRET_KEY than this worker.
        async with clean_db.session() as session:
            await service.configure_channel(
                session, ChannelConfig.model_validate(sendgrid_body(sendgrid.url)), "other" * 8
            )
        caplog.set_level(logging.INFO, logger="salespad.channels")
        for _ in range(3):
            now[0] += 2
            assert (await channels.current()).for_type("EMAIL").provider == "outbox"
        # Another change (pacing) moves the version again: still the one line.
        assert (await api.put("/api/channels/EMAIL/pacing", json={"daily_cap": 5})).is_success
        now[0] += 2
        result, provider = await send(clean_db, channels)
        assert (result.status, provider) == ("sent", "outbox")
        errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert len(errors) == 1, [r.getMessage() for r in errors]
        line = errors[0].getMessage()
        assert "EMAIL channel: the new sendgrid configuration cannot be used" in line
        assert "SALESPAD_SECRET_KEY" in line and "still sending through outbox" in line
        assert "\n" not in line and errors[0].exc_info is None
        assert API_KEY not in caplog.text

        # Configured again with the worker's key: the next check picks it up.
        assert (await api.post("/api/channels", json=sendgrid_body(sendgrid.url))).is_success
        now[0] += 2
        result, provider = await send(clean_db, channels)
        assert (result.status, provider) == ("sent", "sendgrid")
        assert "EMAIL now goes through sendgrid" in caplog.text
        assert API_KEY not in caplog.text


async def test_the_version_is_read_at_most_every_refresh_interval(
    api: httpx.AsyncClient, clean_db: Database, settings: Settings, version_reads: list[str]
) -> None:
    now = [100.0]
    channels = await LiveChannels.load(settings, clean_db, refresh_seconds=2, clock=lambda: now[0])
    assert len(version_reads) == 1
    started = channels.version
    with FakeSendGrid(api_key=API_KEY) as sendgrid:
        assert (await api.post("/api/channels", json=sendgrid_body(sendgrid.url))).is_success
        for _ in range(5):
            assert (await channels.current()).for_type("EMAIL").provider == "outbox"
        now[0] += 1.9
        assert (await channels.current()).for_type("EMAIL").provider == "outbox"
        assert len(version_reads) == 1
        now[0] += 0.1
        assert (await channels.current()).for_type("EMAIL").provider == "sendgrid"
        assert len(version_reads) == 2
        assert channels.version is not None and started is not None
        assert channels.version > started
        # Many sends at once when a check is due: one of them reads the version.
        now[0] += 2

        routers = await asyncio.gather(*(channels.current() for _ in range(20)))
        assert len(version_reads) == 3
        assert {r.for_type("EMAIL").provider for r in routers} == {"sendgrid"}


async def test_every_change_to_the_channel_table_moves_the_version(
    api: httpx.AsyncClient, clean_db: Database, settings: Settings
) -> None:
    channels = await LiveChannels.load(settings, clean_db, refresh_seconds=0)
    seen = [channels.version]

    async def moved() -> bool:
        await channels.current()
        seen.append(channels.version)
        return seen[-1] != seen[-2]

    assert not await moved()
    assert (await api.put("/api/channels/SMS/pacing", json={"daily_cap": 3})).is_success
    assert await moved()
    assert (await api.post("/api/channels", json=sendgrid_body("http://127.0.0.1:9"))).is_success
    assert await moved()
    assert channels.for_type("EMAIL").provider == "sendgrid"
    async with clean_db.engine.begin() as conn:
        await conn.execute(text("DELETE FROM channel WHERE provider = 'sendgrid'"))
    assert await moved()
    assert channels.for_type("EMAIL").provider == "outbox"  # deleted: back to the default
