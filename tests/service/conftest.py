"""The service tier: the real app on the real database, and no Temporal at all.

`api` here is the app with a `RecordingGateway` in place of the workflow gateway (`gateway`
shows what the services asked of Temporal), and a Temporal client that points at a closed port
and never retries, so anything that still reaches Temporal fails at once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RetryConfig

from config.settings import Settings
from models.db import Database, libpq_url
from salespad.local import free_port
from tests.conftest import _api
from tests.fakes.gateway import RecordingGateway


@pytest.fixture(scope="session")
async def no_temporal() -> Client:
    """A client that connects on first use, to a port nothing listens on."""
    return await Client.connect(
        f"127.0.0.1:{free_port()}",
        lazy=True,
        data_converter=pydantic_data_converter,
        retry_config=RetryConfig(max_retries=0),
    )


@pytest.fixture
def gateway(database_url: str) -> Iterator[RecordingGateway]:
    """Records what the services ask of Temporal; a test fails if any of it was asked while a
    session of the database still had a transaction open."""
    recording = RecordingGateway(guard_url=libpq_url(database_url))
    yield recording
    assert recording.open_transactions == []


@pytest.fixture
async def api(
    settings: Settings, clean_db: Database, no_temporal: Client, gateway: RecordingGateway
) -> AsyncIterator[httpx.AsyncClient]:
    """The real app on the real database, with the recording gateway."""
    async for http in _api(settings, clean_db, no_temporal, gateway):
        yield http
