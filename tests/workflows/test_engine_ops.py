"""Dead letters: a send that cannot succeed is flagged for ops, who retry, skip or stop it."""

from __future__ import annotations

import uuid

import pytest
from temporalio.testing import WorkflowEnvironment

from adapters.channels.base import PermanentChannelError
from api.services.controls import ops_command
from models.db import Database
from models.enums import EnrollmentState, EventType
from sequences import Email, Sequence, Wait
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
from tests.workflows.conftest import ScriptedChannel, router, running_worker
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
            await ops_command(session, ts_env.client, lead.id, action, "checked")  # type: ignore[arg-type]
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
            await ops_command(session, ts_env.client, lead.id, "stop", "")
        result = await run_to_end(ts_env, handle)

    assert result.outcome == "stopped"
    assert email.calls == [1]
    assert (await enrollments(clean_db, lead.id))[0].state == EnrollmentState.STOPPED
