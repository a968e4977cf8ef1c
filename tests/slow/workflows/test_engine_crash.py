"""No double send when the worker dies between the provider call and the commit."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from models.db import Database
from models.enums import DeliveryStatus, EnrollmentState, EventType
from sequences import Email, Sequence, Wait
from services.gateway import LeadWorkflows
from services.ops.service import ops_command
from tests.helpers import (
    add_lead,
    enrollments,
    events,
    eventually,
    outbound,
    run_to_end,
    start_spec,
)
from tests.workers import ScriptedChannel, router, running_worker
from workflows.policies import SEND_OUTCOME_UNKNOWN, SEND_TIMEOUT

ROOT = Path(__file__).resolve().parents[3]
SPEC = Sequence(
    "crash-test",
    Email("a", subject="Hi", body="one"),
    Wait(hours=1),
    Email("b", body="two", thread=True),
).compile()


async def test_a_worker_killed_after_the_provider_call_never_sends_twice(
    ts_env: WorkflowEnvironment,
    clean_db: Database,
    database_url: str,
    task_queue: str,
    tmp_path: Path,
) -> None:
    marker = tmp_path / "provider-calls.txt"
    target = ts_env.client.service_client.config.target_host
    proc = subprocess.Popen(  # noqa: ASYNC220  (a real process, to SIGKILL it)
        [sys.executable, "-m", "tests.slow.workflows.killable_worker", target, database_url,
         task_queue, str(marker)],
        cwd=ROOT,
    )  # fmt: skip
    try:
        lead = await add_lead(clean_db)
        [handle] = await start_spec(ts_env.client, clean_db, task_queue, SPEC, [lead.id])
        deadline = time.monotonic() + 60
        while not (marker.exists() and marker.read_text()) and time.monotonic() < deadline:
            assert proc.poll() is None, "the killable worker died on its own"
            await asyncio.sleep(0.1)
        assert marker.read_text(), "the provider was never called"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)

    # The claim is in the database, the provider has the message, the commit never happened.
    [claim] = await outbound(clean_db, lead.id)
    assert claim.delivery_status == DeliveryStatus.SENDING

    email = ScriptedChannel()
    async with running_worker(ts_env.client, clean_db, task_queue, router(email=email)):
        # The test server does not skip time while an activity is started, so this waits the
        # send's real start-to-close timeout; then the retry lands on this worker.
        async def flagged() -> bool:
            return (await enrollments(clean_db, lead.id))[0].state == EnrollmentState.ATTENTION

        await eventually(flagged, within=SEND_TIMEOUT.total_seconds() + 60, every=1)
        [dead] = await events(clean_db, lead.id, EventType.DEAD_LETTERED)
        assert dead.details["error_type"] == SEND_OUTCOME_UNKNOWN
        assert email.calls == []  # the retry did not resend

        async with clean_db.session() as session:
            await ops_command(
                session,
                LeadWorkflows(ts_env.client, task_queue),
                lead.id,
                "skip",
                "provider shows it sent",
            )
        result = await run_to_end(ts_env, handle)

    assert result.outcome == "completed"
    assert marker.read_text().count("\n") == 1  # exactly one provider call for step 1
    assert email.calls == [3]
