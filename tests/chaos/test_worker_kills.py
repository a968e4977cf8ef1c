"""Scenario 1: the worker is SIGKILLed at random points of a campaign (some of them while a
send is at the provider, between the provider call and its commit) and started again.

Every email must reach the provider exactly once: the fake SendGrid's own record of what it
accepted is counted per lead and step. A send the dead worker left unconfirmed is an unknown
outcome: it goes to ops (counted separately), who check the provider and skip or retry it.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import Counter
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from models.db import Database
from sequences import Email, Sequence, Wait
from tests.chaos.harness import (
    FINISH_WITHIN,
    LEADS,
    SEED,
    Ops,
    WorkerProcess,
    add_leads,
    db_sent,
    scaled,
    tally,
    wait_until_finished,
)
from tests.chaos.worker import API_KEY
from tests.fakes.sendgrid import FakeSendGrid, Faults
from tests.helpers import start_spec

SPEC = Sequence(
    "chaos",
    Email("a", subject="Hello {{ lead.first_name }}", body="one"),
    Wait(seconds=2),
    Email("b", body="two", thread=True),
    Wait(seconds=2),
    Email("c", body="three", thread=True),
).compile()
STEPS = (1, 3, 5)
KILLS = scaled(4, "CHAOS_KILLS")


def kill_at_random_points(
    worker: WorkerProcess, provider: FakeSendGrid, rng: random.Random, kills: int
) -> None:
    for n in range(kills):
        time.sleep(rng.uniform(0.5, 3.0))
        if n % 2 == 0:
            # Aim between the provider call and its commit: a send is at the provider now.
            deadline = time.monotonic() + 10
            while provider.in_flight == 0 and time.monotonic() < deadline:
                time.sleep(0.01)
        worker.kill9()
        worker.start()


async def test_a_worker_sigkilled_at_random_points_never_sends_twice_nor_misses(
    dev_env: WorkflowEnvironment,
    clean_db: Database,
    database_url: str,
    task_queue: str,
    tmp_path: Path,
) -> None:
    rng = random.Random(SEED)
    started = time.monotonic()
    target = dev_env.client.service_client.config.target_host
    with FakeSendGrid(API_KEY, Faults(latency=0.2)) as provider:
        worker = WorkerProcess(target, database_url, task_queue, provider.url, tmp_path / "w.log")
        await asyncio.to_thread(worker.start)
        lead_ids = await add_leads(clean_db, LEADS)
        ops = Ops(clean_db, dev_env.client, task_queue, provider, set(lead_ids))
        answering = asyncio.create_task(ops.run())
        try:
            killing = asyncio.create_task(
                asyncio.to_thread(kill_at_random_points, worker, provider, rng, KILLS)
            )
            await start_spec(dev_env.client, clean_db, task_queue, SPEC, lead_ids)
            await killing
            await wait_until_finished(clean_db, lead_ids, within=FINISH_WITHIN)
        finally:
            answering.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await answering
            worker.stop()

    result = tally("worker-kill", provider, lead_ids, STEPS)
    result.report(
        leads=len(lead_ids),
        kills=worker.kills,
        unknown_outcomes_to_ops=ops.unknown,
        ops_skipped=ops.unknown_skipped,
        ops_retried=ops.unknown_retried,
        ops_commands_resent=ops.resent,
        other_dead_letters=sum(ops.other.values()),
        seconds=round(time.monotonic() - started),
    )
    assert worker.kills == KILLS
    assert (result.duplicates, result.missing, result.unexpected) == (0, 0, 0)
    assert dict(ops.other) == {}
    # Our own records agree with the provider's: one message per lead and step.
    assert await db_sent(clean_db, lead_ids) == Counter(result.expected)
