"""Bare Temporal baselines, written by hand: what a workflow of SalesPad's shape costs on the
same server with none of SalesPad around it.

`BareShape` runs a list of steps: an activity (`bare_step`, which writes one row to PostgreSQL
in one transaction, as a send records its message), a timer, or a wait that an Update named
`reply` ends early (the Update answers at once), or a task wait that the signal `task_done`
ends (with the wait's length as its deadline). `BenchNoop` is the trivial workflow the
enrollment bench starts without a worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import timedelta
from typing import Literal

from temporalio import activity, workflow

# Passed through: the sandbox would otherwise import them afresh for every workflow run,
# which on a loaded machine is slow enough to time out first workflow tasks.
with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel
    from sqlalchemy import text
    from temporalio.client import Client

    from models.db import Database

Op = Literal["activity", "timer", "wait", "task"]
TABLE = "bench_bare_step"


class BareInput(BaseModel):
    key: str
    # (what, seconds): seconds is the timer's or the wait's length; ignored for an activity.
    steps: list[tuple[Op, float]]


class BareReply(BaseModel):
    message_id: str


@workflow.defn(name="BenchNoop")
class BenchNoop:
    @workflow.run
    async def run(self, n: int) -> int:
        return n


@workflow.defn(name="BenchBareShape")
class BareShape:
    def __init__(self) -> None:
        self.replied = False
        self.task_done = False

    @workflow.run
    async def run(self, inp: BareInput) -> int:
        done = 0
        for no, (op, seconds) in enumerate(inp.steps, start=1):
            if self.replied:
                break
            if op == "activity":
                await workflow.execute_activity(
                    "bare_step",
                    args=[inp.key, no],
                    start_to_close_timeout=timedelta(seconds=30),
                )
            elif op == "timer":
                await workflow.sleep(timedelta(seconds=seconds))
            elif op == "wait":
                with contextlib.suppress(TimeoutError):
                    await workflow.wait_condition(
                        lambda: self.replied, timeout=timedelta(seconds=seconds)
                    )
            else:
                with contextlib.suppress(TimeoutError):
                    await workflow.wait_condition(
                        lambda: self.task_done, timeout=timedelta(seconds=seconds)
                    )
            done += 1
        return done

    @workflow.signal(name="task_done")
    def done(self) -> None:
        self.task_done = True

    @workflow.update(name="reply")
    def reply(self, message: BareReply) -> str:
        self.replied = True
        return message.message_id


class BareActivities:
    def __init__(self, db: Database) -> None:
        self.db = db

    @activity.defn(name="bare_step")
    async def bare_step(self, key: str, step: int) -> None:
        async with self.db.engine.begin() as conn:
            await conn.execute(
                text(f"INSERT INTO {TABLE} (key, step) VALUES (:key, :step)"),
                {"key": key, "step": step},
            )


async def create_table(db: Database) -> None:
    async with db.engine.begin() as conn:
        await conn.execute(
            text(
                f"CREATE TABLE IF NOT EXISTS {TABLE} (id bigserial PRIMARY KEY, key text NOT NULL,"
                " step int NOT NULL, at timestamptz NOT NULL DEFAULT now())"
            )
        )


async def start_bare(
    client: Client, n: int, queue: str, steps: list[tuple[Op, float]], batch: int
) -> list[str]:
    """Start n BareShape workflows `batch` at a time (the gateway's concurrency); their ids."""
    run = uuid.uuid4().hex[:8]
    ids = [f"bare-{run}-{i}" for i in range(n)]
    for first in range(0, n, batch):
        await asyncio.gather(
            *(
                client.start_workflow(
                    BareShape.run,
                    BareInput(key=wid, steps=steps),
                    id=wid,
                    task_queue=queue,
                )
                for wid in ids[first : first + batch]
            )
        )
    return ids
