"""Scenario 1: the worker is SIGKILLed at random points of a campaign (some of them while a
send is at the provider, between the provider call and its commit) and started again.

Every email must reach the provider exactly once: the fake SendGrid's own record of what it
accepted is counted per lead and step. A send the dead worker left unconfirmed is an unknown
outcome: it goes to ops (counted separately), who check the provider and skip or retry it.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from models.db import Database
from tests.chaos.harness import (
    LEADS,
    SEED,
    STEPS,
    WorkerProcess,
    db_sent,
    run_campaign,
    scaled,
    tally,
)
from tests.chaos.worker import API_KEY
from tests.fakes.sendgrid import FakeSendGrid, Faults

KILLS = scaled(4, "CHAOS_KILLS")


async def test_a_worker_sigkilled_at_random_points_never_sends_twice_nor_misses(
    dev_env: WorkflowEnvironment,
    clean_db: Database,
    database_url: str,
    task_queue: str,
    tmp_path: Path,
) -> None:
    rng = random.Random(SEED)
    # Every answer takes 0.2 s: a window for killing the worker while the provider has a send.
    with FakeSendGrid(API_KEY, Faults(latency=0.2)) as provider:

        def kill_at_random_points(worker: WorkerProcess) -> None:
            for n in range(KILLS):
                time.sleep(rng.uniform(0.5, 3.0))
                if n % 2 == 0:
                    # Aim between the provider call and its commit: a send is at the provider.
                    deadline = time.monotonic() + 10
                    while provider.in_flight == 0 and time.monotonic() < deadline:
                        time.sleep(0.01)
                worker.kill9()
                worker.start()

        run = await run_campaign(
            dev_env, clean_db, database_url, task_queue, provider, tmp_path / "worker.log",
            LEADS, kill_at_random_points,
        )  # fmt: skip

    result = tally("worker-kill", provider, run.lead_ids, STEPS)
    ops = run.ops
    result.report(
        leads=len(run.lead_ids),
        kills=run.worker.kills,
        unknown_outcomes_to_ops=ops.unknown,
        ops_skipped=ops.unknown_skipped,
        ops_retried=ops.unknown_retried,
        ops_commands_resent=ops.resent,
        other_dead_letters=sum(ops.other.values()),
        seconds=round(run.seconds),
    )
    assert run.worker.kills == KILLS
    assert (result.duplicates, result.missing, result.unexpected) == (0, 0, 0)
    assert dict(ops.other) == {}
    # Our own records agree with the provider's: one message per lead and step.
    assert await db_sent(clean_db, run.lead_ids) == Counter(result.expected)
