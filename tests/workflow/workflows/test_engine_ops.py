"""Dead letters: a send that cannot succeed is flagged for ops, who retry, skip or stop it."""

from __future__ import annotations

import uuid

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from adapters.channels.base import PermanentChannelError
from api.app import create_app
from config.settings import Settings
from models.db import Database
from models.enums import EnrollmentState, EventType
from sequences import Email, Sequence, Wait
from services.gateway import LeadWorkflows
from services.ops.service import ops_command
from tests.conftest import API_KEY
from tests.fakes.http_server import FakeHTTPServer, ScriptedResponse
from tests.helpers import (
    add_lead,
    count_events,
    enrollments,
    events,
    eventually,
    outbound,
    run_to_end,
    save_history,
    start_spec,
)
from tests.workers import ScriptedChannel, router, running_worker
from worker import build_worker
from workflows.contracts import STATUS_QUERY, SequenceStatus

TWO_EMAILS = Sequence(
    "two-emails",
    Email("a", subject="Hi", body="one"),
    Wait(hours=1),
    Email("b", body="two", thread=True),
).compile()


async def _dead_lettered(db: Database, lead_id: uuid.UUID) -> None:
    async def flagged() -> bool:
        rows = await enrollments(db, lead_id)
        return bool(rows) and rows[0].state == EnrollmentState.ATTENTION

    await eventually(flagged)


@pytest.mark.parametrize(
    ("action", "sends", "calls"), [("retry", 2, [1, 1, 3]), ("skip", 1, [1, 3])]
)
async def test_a_permanent_failure_waits_for_ops(
    ts_env: WorkflowEnvironment,
    clean_db: Database,
    task_queue: str,
    action: str,
    sends: int,
    calls: list[int],
) -> None:
    email = ScriptedChannel()
    email.failures = [PermanentChannelError("mailbox rejected", error_type="SendGridBadRequest")]
    async with running_worker(ts_env.client, clean_db, task_queue, router(email=email)):
        lead = await add_lead(clean_db)
        [handle] = await start_spec(ts_env.client, clean_db, task_queue, TWO_EMAILS, [lead.id])
        await _dead_lettered(clean_db, lead.id)

        status = await handle.query(STATUS_QUERY, result_type=SequenceStatus)
        assert status.needs_attention is True
        [dead] = await events(clean_db, lead.id, EventType.DEAD_LETTERED)
        assert dead.details["error_type"] == "SendGridBadRequest"

        async with clean_db.session() as session:
            await ops_command(
                session, LeadWorkflows(ts_env.client, task_queue), lead.id, action, "checked"
            )  # type: ignore[arg-type]
        result = await run_to_end(ts_env, handle)
        await save_history(handle, f"dead_letter_{action}")

    assert result.outcome == "completed"
    assert result.sends == sends
    assert email.calls == calls
    assert (await enrollments(clean_db, lead.id))[0].state == EnrollmentState.COMPLETED
    assert await count_events(clean_db, lead.id, f"OPS_{action.upper()}") == 1
    assert (
        len([m for m in await outbound(clean_db, lead.id) if m.delivery_status == "sent"]) == sends
    )


async def test_ops_stop_ends_a_dead_lettered_sequence(
    ts_env: WorkflowEnvironment, clean_db: Database, task_queue: str
) -> None:
    email = ScriptedChannel()
    email.failures = [PermanentChannelError("bad sender", error_type="SendGridForbidden")]
    async with running_worker(ts_env.client, clean_db, task_queue, router(email=email)):
        lead = await add_lead(clean_db)
        [handle] = await start_spec(ts_env.client, clean_db, task_queue, TWO_EMAILS, [lead.id])
        await _dead_lettered(clean_db, lead.id)
        async with clean_db.session() as session:
            await ops_command(
                session, LeadWorkflows(ts_env.client, task_queue), lead.id, "stop", ""
            )
        result = await run_to_end(ts_env, handle)

    assert result.outcome == "stopped"
    assert email.calls == [1]
    assert (await enrollments(clean_db, lead.id))[0].state == EnrollmentState.STOPPED


async def test_a_dead_letter_alerts_ops_and_is_listed_with_a_web_ui_link(
    ts_env: WorkflowEnvironment,
    clean_db: Database,
    task_queue: str,
    settings: Settings,
) -> None:
    email = ScriptedChannel()
    email.failures = [PermanentChannelError("mailbox rejected", error_type="SendGridBadRequest")]
    with FakeHTTPServer(lambda _request: ScriptedResponse(status=204)) as hook:
        worker = build_worker(
            ts_env.client,
            clean_db,
            task_queue,
            router(email=email),
            ops_webhook_url=f"{hook.url}/alerts",
        )
        async with worker:
            lead = await add_lead(clean_db, name="Stuck Lead")
            [handle] = await start_spec(ts_env.client, clean_db, task_queue, TWO_EMAILS, [lead.id])
            await _dead_lettered(clean_db, lead.id)
            app = create_app(settings, db=clean_db, temporal=ts_env.client)
            async with (
                app.router.lifespan_context(app),
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app),
                    base_url="http://t",
                    headers={"Authorization": f"Bearer {API_KEY}"},
                ) as api,
            ):
                [item] = (await api.get("/api/ops/attention")).json()
                retried = await api.post(f"/api/ops/leads/{lead.id}/retry")
                not_waiting = await api.post(f"/api/ops/leads/{lead.id}/skip")
            # The retry leaves a send or a workflow task in flight: let the sequence finish
            # before the worker stops (_terminate_leftover_workflows in tests/conftest.py).
            result = await run_to_end(ts_env, handle)

    assert item["lead_id"] == str(lead.id)
    assert item["error_type"] == "SendGridBadRequest"
    assert item["reason"] == "mailbox rejected"
    assert item["actions"] == ["retry", "skip", "stop"]
    assert item["temporal_url"].endswith(f"/namespaces/default/workflows/lead-{lead.id}")
    assert retried.json()["signalled"] is True
    assert not_waiting.status_code in (200, 409)  # 409 once the retry moved it on
    assert result.outcome == "completed"
    [alert] = [r for r in hook.requests if r.path == "/alerts"]
    assert alert.json["event"] == "DEAD_LETTERED"
    assert alert.json["lead_id"] == str(lead.id)
    assert alert.json["error_type"] == "SendGridBadRequest"
