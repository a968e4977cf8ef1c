"""Scenario 3: a provider storm. 30 % of sends fail: 429 (with Retry-After) or 500, which
refuse the message; a timeout or a connection reset after the provider accepted it, which the
worker cannot tell from a refusal. Every email must land exactly once; the ones whose outcome
the worker could not know go to ops as unknown outcomes (never resent blindly), never twice.
"""

from __future__ import annotations

from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from models.db import Database
from tests.chaos.harness import LEADS, SEED, STEPS, run_campaign, tally
from tests.chaos.worker import API_KEY
from tests.fakes.sendgrid import FakeSendGrid, Faults

RATE = 0.3


async def test_a_provider_storm_lands_every_message_once_or_reports_it_unknown(
    dev_env: WorkflowEnvironment,
    clean_db: Database,
    database_url: str,
    task_queue: str,
    tmp_path: Path,
) -> None:
    # The worker's HTTP timeout is 1.5 s (tests/chaos/worker.py): a 3 s answer is a timeout.
    with FakeSendGrid(API_KEY, Faults(rate=RATE, seed=SEED, hang=3.0)) as provider:
        run = await run_campaign(
            dev_env, clean_db, database_url, task_queue, provider, tmp_path / "worker.log", LEADS
        )

    result = tally("provider-storm", provider, run.lead_ids, STEPS)
    ops = run.ops
    calls = len(provider.mail_sends())
    result.report(
        leads=len(run.lead_ids),
        provider_calls=calls,
        faults=sum(provider.injected.values()),
        **{f"fault_{kind}": n for kind, n in provider.injected.items()},
        unknown_outcomes_to_ops=ops.unknown,
        ops_skipped=ops.unknown_skipped,
        ops_retried=ops.unknown_retried,
        ops_commands_resent=ops.resent,
        other_dead_letters=sum(ops.other.values()),
        seconds=round(run.seconds),
    )
    assert (result.duplicates, result.missing, result.unexpected) == (0, 0, 0)
    assert dict(ops.other) == {}
    # It was a storm: every kind of fault happened, and the unknown ones reached ops.
    assert all(provider.injected.values()), provider.injected
    assert ops.unknown >= provider.injected["reset"], (ops.unknown, provider.injected)
