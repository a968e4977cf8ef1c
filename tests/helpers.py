"""Small helpers the tests share: polling, the API calls most tests start with, and reading
what the database recorded."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url
from sqlmodel import select
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import WorkflowExecutionStatus
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from models.db import Database, libpq_url, normalize_url
from models.enums import Direction
from models.tables import Campaign, Enrollment, EventLog, Lead, Message
from tests.fakes.gateway import RecordingGateway
from workflows.contracts import LeadSequenceResult
from workflows.spec import SequenceSpec

WORKFLOW_EXECUTION_STATUS_RUNNING = WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING
T = TypeVar("T")
R = TypeVar("R")


async def eventually(
    probe: Callable[[], Awaitable[T]],
    *,
    within: float = 20,
    every: float = 0.1,
    what: str = "condition not met",
) -> T:
    """Poll until `probe()` returns something truthy; fail with `what` and the last value."""
    deadline = time.monotonic() + within
    value = await probe()
    while not value and time.monotonic() < deadline:
        await asyncio.sleep(every)
        value = await probe()
    assert value, f"{what} within {within}s (last value: {value!r})"
    return value


async def add_lead(db: Database, **fields: object) -> Lead:
    data = {"name": "Ada Lovelace", "email": f"ada-{uuid.uuid4().hex[:6]}@example.com"}
    data.update(fields)  # type: ignore[arg-type]
    lead = Lead(**data)  # type: ignore[arg-type]
    async with db.session() as session:
        session.add(lead)
        await session.commit()
    return lead


async def outbound(db: Database, lead_id: uuid.UUID) -> list[Message]:
    async with db.session() as session:
        rows = await session.exec(
            select(Message)
            .where(Message.lead_id == lead_id, Message.direction == Direction.OUTBOUND)
            .order_by(Message.created_at)  # type: ignore[arg-type]
        )
        return list(rows.all())


async def events(db: Database, lead_id: uuid.UUID, event_type: str | None = None) -> list[EventLog]:
    async with db.session() as session:
        stmt = select(EventLog).where(EventLog.lead_id == lead_id)
        if event_type:
            stmt = stmt.where(EventLog.event_type == event_type)
        return list((await session.exec(stmt.order_by(EventLog.id))).all())  # type: ignore[arg-type]


async def lead_row(db: Database, lead_id: uuid.UUID) -> Lead:
    async with db.session() as session:
        lead = await session.get(Lead, lead_id)
        assert lead is not None
        return lead


async def enrollments(db: Database, lead_id: uuid.UUID) -> list[Enrollment]:
    async with db.session() as session:
        rows = await session.exec(select(Enrollment).where(Enrollment.lead_id == lead_id))
        return list(rows.all())


async def run_to_end(
    env: WorkflowEnvironment,
    handle: WorkflowHandle[Any, R],
    *,
    step: timedelta = timedelta(hours=1),
) -> R:
    """Skip time until the workflow closes, then return its result.

    A handle from `get_workflow_handle` does not skip time while awaiting `result()` (only
    handles returned by the env client's own `start_workflow` do), so skip explicitly.
    """
    request = DescribeWorkflowExecutionRequest(
        namespace=env.client.namespace, execution=WorkflowExecution(workflow_id=handle.id)
    )
    for _ in range(10_000):
        # The raw describe: the SDK's describe() cannot decode the test server's Datetime
        # search attributes.
        raw = await env.client.workflow_service.describe_workflow_execution(request)
        if raw.workflow_execution_info.status != WORKFLOW_EXECUTION_STATUS_RUNNING:
            return await handle.result()
        await env.sleep(step)
    raise AssertionError("workflow still running after skipping 10,000 steps")


async def start_spec(
    client: Client,
    db: Database,
    task_queue: str,
    spec: SequenceSpec,
    lead_ids: list[uuid.UUID],
    timezone: str | None = None,
    **campaign: Any,
) -> list[WorkflowHandle[Any, LeadSequenceResult]]:
    """Enroll leads in a sequence written in the test (not from the registry)."""
    from services.campaigns.service import launch_campaign
    from services.gateway import LeadWorkflows

    async with db.session() as session:
        result = await launch_campaign(
            session, LeadWorkflows(client, task_queue), "test", spec, lead_ids, timezone, **campaign
        )
    assert len(result.enrolled) == len(lead_ids), result.skipped
    return [
        client.get_workflow_handle(e.workflow_id, result_type=LeadSequenceResult)
        for e in result.enrolled
    ]


async def count_events(db: Database, lead_id: uuid.UUID, event_type: str) -> int:
    return len(await events(db, lead_id, event_type))


async def history_events(handle: WorkflowHandle[Any, Any]) -> list[Any]:
    return list((await handle.fetch_history()).events)


async def save_history(handle: WorkflowHandle[Any, Any], name: str) -> None:
    """With SALESPAD_RECORD_HISTORIES=1, keep this run's history for the replay test."""
    if os.environ.get("SALESPAD_RECORD_HISTORIES") != "1":
        return
    history = await handle.fetch_history()
    path = Path(__file__).parent / "histories" / f"{name}.json"
    path.write_text(history.to_json())


async def api_lead(api: httpx.AsyncClient, email: str = "ada@example.com") -> str:
    """Create (or update) a lead over the API; its id."""
    res = await api.post("/api/leads", json={"name": "Ada Lovelace", "email": email})
    assert res.status_code in (200, 201), res.text
    lead_id: str = res.json()["id"]
    return lead_id


async def api_campaign(
    api: httpx.AsyncClient, lead_ids: list[str], name: str = "c", sequence: str = "demo"
) -> dict[str, Any]:
    """Start a campaign over the API (202: enrolled in the background) and poll it until
    enrolling has finished; its GET body (counts, skipped_leads with reasons, funnel)."""
    res = await api.post(
        "/api/campaigns", json={"name": name, "sequence": sequence, "lead_ids": lead_ids}
    )
    assert res.status_code == 202, res.text
    assert res.headers["Location"] == f"/api/campaigns/{res.json()['id']}"
    return await enrolled_campaign(api, res.json()["id"])


async def enrolled_campaign_now(
    api: httpx.AsyncClient,
    gateway: RecordingGateway,
    db: Database,
    lead_ids: list[str],
    name: str = "c",
    sequence: str = "demo",
) -> dict[str, Any]:
    """In the service tier (no Temporal): start a campaign over the API, run the enrollment the
    recording gateway holds through the real activities, and return the campaign's GET body."""
    res = await api.post(
        "/api/campaigns", json={"name": name, "sequence": sequence, "lead_ids": lead_ids}
    )
    assert res.status_code == 202, res.text
    await gateway.enroll_pending(db)
    return await enrolled_campaign(api, res.json()["id"], within=5)


async def enrolled_campaign(
    api: httpx.AsyncClient, campaign_id: str, within: float = 20
) -> dict[str, Any]:
    """Poll GET /api/campaigns/{id} until enrolling has finished; its body."""

    async def done() -> dict[str, Any] | None:
        res = await api.get(f"/api/campaigns/{campaign_id}")
        assert res.status_code == 200, res.text
        body: dict[str, Any] = res.json()
        return body if body["status"] == "enrolled" else None

    return await eventually(done, within=within, every=0.2)


async def enrolled_lead(db: Database, **lead_fields: object) -> tuple[Lead, Enrollment]:
    """A lead with an open enrollment in a throwaway campaign: what an activity test needs."""
    lead = await add_lead(db, **lead_fields)
    async with db.session() as session:
        campaign = Campaign(name="t", sequence_name="demo", sequence_version="v")
        session.add(campaign)
        await session.flush()
        enrollment = Enrollment(campaign_id=campaign.id, lead_id=lead.id, workflow_id="w")
        session.add(enrollment)
        await session.commit()
    return lead, enrollment


@contextmanager
def empty_database(database_url: str, prefix: str) -> Iterator[str]:
    """A new, empty database beside `database_url` (same server), dropped on the way out."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = libpq_url(database_url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield normalize_url(
            make_url(database_url).set(database=name).render_as_string(hide_password=False)
        )
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
