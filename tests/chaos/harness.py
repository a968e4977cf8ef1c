"""What the chaos scenarios share: a SIGKILLable worker process, ops who answer dead letters
from what the provider really received, and the ledger that counts duplicates and misses.

Sizes scale with the environment: CHAOS_LEADS (leads per campaign), CHAOS_KILLS (worker
kills), CHAOS_SEED (the random kill points and provider faults; printed with every figure).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import col, select
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from models.db import Database
from models.enums import DeliveryStatus, Direction, EnrollmentState, EventType
from models.tables import Enrollment, EventLog, Lead, Message
from sequences import Email, Sequence, Wait
from services.gateway import LeadWorkflows
from services.ops.service import ops_command
from tests.fakes.sendgrid import FakeSendGrid, send_key
from tests.helpers import start_spec
from workflows.errors import SEND_OUTCOME_UNKNOWN

ROOT = Path(__file__).resolve().parents[2]
LEADS = int(os.environ.get("CHAOS_LEADS", "50"))
SEED = int(os.environ.get("CHAOS_SEED", str(random.randrange(1 << 30))))
# A scenario's campaign must finish within this (real time).
FINISH_WITHIN = float(os.environ.get("CHAOS_FINISH_WITHIN", "300"))


def scaled(default: int, env: str) -> int:
    return int(os.environ.get(env, str(default)))


class WorkerProcess:
    """tests/chaos/worker.py as a process: started, SIGKILLed and started again."""

    def __init__(self, target: str, database_url: str, task_queue: str, sendgrid_url: str,
                 log: Path, env: dict[str, str] | None = None) -> None:  # fmt: skip
        self.args = [sys.executable, "-m", "tests.chaos.worker", target, database_url,
                     task_queue, sendgrid_url]  # fmt: skip
        self.log = log
        self.extra_env = env or {}
        self.proc: subprocess.Popen[bytes] | None = None
        self.kills = 0

    def start(self, within: float = 120) -> None:
        since = self.log.stat().st_size if self.log.exists() else 0
        out = open(self.log, "ab")  # noqa: SIM115  (lives with the process)
        env = {**os.environ, "SALESPAD_TEST_SEND_TIMEOUT_SECONDS": "8", "PYTHONUNBUFFERED": "1"}
        # A worker that hangs on its way up dumps every thread's stack on SIGABRT (below).
        env.update(self.extra_env, PYTHONFAULTHANDLER="1")
        self.proc = subprocess.Popen(self.args, cwd=ROOT, env=env, stdout=out, stderr=out)
        deadline = time.monotonic() + within
        while b"chaos worker ready" not in self.log.read_bytes()[since:]:
            assert self.proc.poll() is None, self.log.read_text()[-3000:]
            if time.monotonic() > deadline:
                self.proc.send_signal(signal.SIGABRT)
                self.proc.wait(10)
                where = self.log.read_bytes()[since:].decode(errors="replace")[-4000:]
                raise AssertionError(f"the chaos worker did not start within {within}s:\n{where}")
            time.sleep(0.1)

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self.kills += 1

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


async def add_leads(db: Database, count: int) -> list[uuid.UUID]:
    run = uuid.uuid4().hex[:6]
    leads = [Lead(name=f"Lead {n}", email=f"chaos-{run}-{n}@example.com") for n in range(count)]
    async with db.session() as session:
        session.add_all(leads)
        await session.commit()
        return [lead.id for lead in leads]


@dataclass
class Ops:
    """Answers dead letters the way the runbook says: an unknown outcome is checked against the
    provider (it has the message: skip; it does not: retry, which sends it); anything else is
    retried. A command the workflow drops (it arrived before the workflow waits for ops) is
    sent again while the same dead letter stands."""

    db: Database
    client: Client
    task_queue: str
    provider: FakeSendGrid
    lead_ids: set[uuid.UUID]
    unknown_skipped: int = 0
    unknown_retried: int = 0
    other: Counter[str] = field(default_factory=Counter)
    resent: int = 0
    _answered: dict[int, float] = field(default_factory=dict)
    _retried: set[tuple[uuid.UUID, int]] = field(default_factory=set)

    @property
    def unknown(self) -> int:
        return self.unknown_skipped + self.unknown_retried

    async def run(self, every: float = 0.5) -> None:
        while True:
            await self.answer_once()
            await asyncio.sleep(every)

    async def answer_once(self) -> None:
        async with self.db.session() as session:
            flagged = (
                await session.exec(
                    select(Enrollment.lead_id).where(Enrollment.state == EnrollmentState.ATTENTION)
                )
            ).all()
            for lead_id in flagged:
                if lead_id not in self.lead_ids:
                    continue
                dead = (
                    await session.exec(
                        select(EventLog)
                        .where(
                            EventLog.lead_id == lead_id,
                            EventLog.event_type == EventType.DEAD_LETTERED,
                        )
                        .order_by(col(EventLog.id).desc())
                    )
                ).first()
                if dead is None:
                    continue  # an overdue task, not a dead letter: not ours
                first = dead.id not in self._answered
                if not first and time.monotonic() - self._answered[dead.id] < 3:
                    continue
                action = await self._decide(lead_id, dead, count=first)
                if not first:
                    self.resent += 1
                self._answered[dead.id] = time.monotonic()
                try:
                    await ops_command(
                        session,
                        LeadWorkflows(self.client, self.task_queue),
                        lead_id,
                        action,
                        "chaos ops",
                    )
                except Exception as exc:  # the state moved on under us: look again next round
                    print(f"ops command for {lead_id}: {exc!r}")

    async def _decide(self, lead_id: uuid.UUID, dead: EventLog, *, count: bool) -> str:
        error_type = dead.details.get("error_type", "")
        step = int(dead.details.get("step") or 0)
        if error_type != SEND_OUTCOME_UNKNOWN:
            if count:
                self.other[f"{error_type}: {dead.details.get('error', '')[:80]}"] += 1
            # Once: a failure that a retry does not fix is skipped, not retried for ever.
            seen = (lead_id, step) in self._retried
            self._retried.add((lead_id, step))
            return "skip" if seen else "retry"
        landed = {send_key(r) for r in self.provider.accepted}
        if (str(lead_id), step) in landed:
            self.unknown_skipped += count
            return "skip"
        self.unknown_retried += count
        return "retry"


async def states(db: Database, lead_ids: Iterable[uuid.UUID]) -> Counter[str]:
    async with db.session() as session:
        rows = await session.exec(
            select(Enrollment.state).where(col(Enrollment.lead_id).in_(list(lead_ids)))
        )
        return Counter(str(s) for s in rows.all())


async def wait_until_finished(db: Database, lead_ids: list[uuid.UUID], *, within: float) -> None:
    deadline = time.monotonic() + within
    while True:
        seen = await states(db, lead_ids)
        if seen.get(EnrollmentState.COMPLETED, 0) == len(lead_ids):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"campaign did not finish: {dict(seen)}\n{await stuck(db)}")
        await asyncio.sleep(1)


async def stuck(db: Database, show: int = 5) -> str:
    """The story of a few unfinished leads, for a failure message."""
    lines = []
    async with db.session() as session:
        open_ = (
            await session.exec(
                select(Enrollment).where(Enrollment.state != EnrollmentState.COMPLETED)
            )
        ).all()
        for enrollment in open_[:show]:
            evs = (
                await session.exec(
                    select(EventLog)
                    .where(EventLog.lead_id == enrollment.lead_id)
                    .order_by(col(EventLog.id))
                )
            ).all()
            msgs = (
                await session.exec(select(Message).where(Message.lead_id == enrollment.lead_id))
            ).all()
            story = ", ".join(f"{e.event_type}{e.details or ''}"[:160] for e in evs)
            sent = ", ".join(f"{m.step}:{m.delivery_status}" for m in msgs)
            lines.append(f"{enrollment.lead_id} {enrollment.state}: {story} | messages {sent}")
    return "\n".join(lines)


@dataclass
class Tally:
    scenario: str
    expected: set[tuple[str, int]]
    landed: Counter[tuple[str, int]]

    @property
    def duplicates(self) -> int:
        return sum(n - 1 for n in self.landed.values() if n > 1)

    @property
    def missing(self) -> int:
        return len(self.expected - set(self.landed))

    @property
    def unexpected(self) -> int:
        return len(set(self.landed) - self.expected)

    def report(self, **figures: object) -> str:
        extra = " ".join(f"{k}={v}" for k, v in figures.items())
        line = (
            f"CHAOS {self.scenario}: expected={len(self.expected)} "
            f"landed={sum(self.landed.values())} duplicates={self.duplicates} "
            f"missing={self.missing} unexpected={self.unexpected} {extra} seed={SEED}"
        )
        print(line, flush=True)
        return line


def tally(
    scenario: str, provider: FakeSendGrid, lead_ids: list[uuid.UUID], steps: Iterable[int]
) -> Tally:
    expected = {(str(lead), step) for lead in lead_ids for step in steps}
    landed = Counter(send_key(r) for r in provider.accepted)
    return Tally(scenario, expected, landed)


async def db_sent(db: Database, lead_ids: list[uuid.UUID]) -> Counter[tuple[str, int]]:
    """What our own database says went out (sent, or unknown and skipped by ops)."""
    async with db.session() as session:
        rows = await session.exec(
            select(Message.lead_id, Message.step).where(
                col(Message.lead_id).in_(lead_ids),
                Message.direction == Direction.OUTBOUND,
                col(Message.delivery_status).in_([DeliveryStatus.SENT, DeliveryStatus.SENDING]),
            )
        )
        return Counter((str(lead), int(step or 0)) for lead, step in rows.all())


SPEC = Sequence(
    "chaos",
    Email("a", subject="Hello {{ lead.first_name }}", body="one"),
    Wait(seconds=2),
    Email("b", body="two", thread=True),
    Wait(seconds=2),
    Email("c", body="three", thread=True),
).compile()
STEPS = (1, 3, 5)


@dataclass
class Run:
    lead_ids: list[uuid.UUID]
    ops: Ops
    worker: WorkerProcess
    seconds: float


async def run_campaign(
    env: WorkflowEnvironment,
    db: Database,
    database_url: str,
    task_queue: str,
    provider: FakeSendGrid,
    log: Path,
    leads: int,
    chaos: Callable[[WorkerProcess], None] | None = None,
) -> Run:
    """SPEC over `leads` new leads, sent by a worker process through `provider`, with ops
    answering dead letters; `chaos(worker)` runs in a thread meanwhile. Returns when every
    enrollment has completed (or fails with the story of a few that did not)."""
    started = time.monotonic()
    target = env.client.service_client.config.target_host
    worker = WorkerProcess(target, database_url, task_queue, provider.url, log)
    await asyncio.to_thread(worker.start)
    lead_ids = await add_leads(db, leads)
    ops = Ops(db, env.client, task_queue, provider, set(lead_ids))
    answering = asyncio.create_task(ops.run())
    try:
        meddling = asyncio.create_task(asyncio.to_thread(chaos or (lambda _w: None), worker))
        await start_spec(env.client, db, task_queue, SPEC, lead_ids)
        await meddling
        await wait_until_finished(db, lead_ids, within=FINISH_WITHIN)
    finally:
        answering.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await answering
        worker.stop()
    return Run(lead_ids, ops, worker, time.monotonic() - started)
