"""Scenarios 2 and 5: under `salespad dev`, the Temporal dev server and then PostgreSQL are
SIGKILLed mid-campaign. The supervisor restarts them on their own data (the Temporal SQLite
file, the PostgreSQL data directory) and the campaign finishes: every email once, none missing.

(SIGKILL of `salespad dev` itself, with nothing left behind and a next start that works, is
tests/slow/test_dev_stack.py::test_a_sigkilled_supervisor_takes_its_children_along.)
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from config.settings import Settings
from config.temporal import connect
from models.db import Database
from salespad.local import DATABASE_URL_FILE
from tests.chaos.harness import (
    FINISH_WITHIN,
    STEPS,
    Ops,
    scaled,
    tally,
    wait_until_finished,
)
from tests.chaos.worker import API_KEY, FROM
from tests.fakes.sendgrid import FakeSendGrid, Faults
from tests.processes import healthy, kill9, running_stack

LEADS = scaled(20, "CHAOS_DEV_LEADS")
TASK_QUEUE = Settings.model_fields["task_queue"].default


def _wait_for(probe: Callable[[], bool], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not probe():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


async def test_temporal_and_postgres_killed_under_salespad_dev_come_back_and_nothing_is_lost(
    tmp_path: Path,
) -> None:
    started = time.monotonic()
    with (
        FakeSendGrid(API_KEY, Faults(latency=0.1)) as provider,
        running_stack(
            tmp_path / "salespad-data",
            {
                "SENDGRID_API_KEY": API_KEY,
                "SENDGRID_FROM_EMAIL": FROM,
                "SENDGRID_API_HOST": provider.url,
            },
        ) as stack,
    ):
        await asyncio.to_thread(stack.start)
        with stack.http() as http:
            lead_ids = []
            for n in range(LEADS):
                res = http.post(
                    "/api/leads", json={"name": f"Lead {n}", "email": f"lead{n}@example.com"}
                )
                assert res.status_code == 201, res.text
                lead_ids.append(res.json()["id"])
            res = http.post(
                "/api/campaigns", json={"name": "chaos", "sequence": "demo", "lead_ids": lead_ids}
            )
            assert res.status_code == 202, res.text

        # Mid-campaign: about half of the first emails are out.
        await asyncio.to_thread(
            _wait_for, lambda: len(provider.accepted) >= LEADS // 2, 60, "no sends"
        )
        kill9(stack, "temporal.db")
        await asyncio.to_thread(healthy, stack, 90)
        await asyncio.sleep(2)
        kill9(stack, "postgres -D")
        await asyncio.to_thread(healthy, stack, 90)

        url = (stack.data_dir / DATABASE_URL_FILE).read_text().strip()
        db = Database(url)
        client = await connect(f"127.0.0.1:{stack.temporal_port}")
        ids = [uuid.UUID(i) for i in lead_ids]
        ops = Ops(db, client, TASK_QUEUE, provider, set(ids))
        answering = asyncio.create_task(ops.run())
        try:
            await wait_until_finished(db, ids, within=FINISH_WITHIN)
        finally:
            answering.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await answering
            await db.dispose()
        log = stack.log.read_text()
        assert stack.stop(signal.SIGTERM) == 0
        assert stack.leftovers() == []

    result = tally("dev-stack-restarts", provider, ids, STEPS)
    result.report(
        leads=len(ids),
        unknown_outcomes_to_ops=ops.unknown,
        ops_skipped=ops.unknown_skipped,
        ops_retried=ops.unknown_retried,
        other_dead_letters=sum(ops.other.values()),
        seconds=round(time.monotonic() - started),
    )
    assert "temporal exited" in log and "PostgreSQL stopped; restarting it" in log
    assert (result.duplicates, result.missing, result.unexpected) == (0, 0, 0)
    assert dict(ops.other) == {}
