"""Workers for the benchmarks: SalesPad's real worker (worker.build_worker, channels on the
outbox writing to /dev/null) or the bare baseline's, in this process or in a process of its own
(`spawn`: its RSS and CPU are then its own, and the load driver does not share its core).

As a process: python -m _harness.workers --kind salespad|bare --db URL --temporal HOST:PORT
--queue Q [--max-cached N]; it prints READY once polling and stops on SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Literal, TextIO

import httpx
from temporalio.client import Client
from temporalio.worker import Worker

from _harness.bare import BareActivities, BareShape, BenchNoop, create_table
from adapters.channels.base import OutboundContent, Recipient, SendResult
from adapters.channels.outbox import OutboxChannel
from adapters.channels.registry import CHANNEL_TYPES, ChannelRouter
from config.settings import Settings
from config.temporal import connect
from models.db import Database
from worker import QueueWorkers, build_worker

Kind = Literal["salespad", "bare"]
API_KEY = "bench-key"
BENCH_DIR = Path(__file__).resolve().parent.parent


def quiet_channels(send_log: str | None = None) -> ChannelRouter:
    """The outbox for every channel type, printing to /dev/null (a StringIO would grow); with
    `send_log`, each send also appends "<wall-clock time>\t<sender>" to that file."""
    sink = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the worker
    if send_log is not None:
        log = open(send_log, "a", buffering=1)  # noqa: SIM115 - lives as long as the worker
        return ChannelRouter({t: StampedOutbox(t, sink, log) for t in CHANNEL_TYPES})
    return ChannelRouter({t: OutboxChannel(t, sink) for t in CHANNEL_TYPES})


class StampedOutbox(OutboxChannel):
    """The outbox, noting when each send really reached the "provider" and from whom: the
    mailbox bench reads the gaps a provider would see."""

    def __init__(
        self, channel_type: str, sink: TextIO, log: TextIO, sender: str | None = None
    ) -> None:
        super().__init__(channel_type, sink, sender)
        self._sink, self._log = sink, log

    def with_sender(self, address: str, name: str | None) -> StampedOutbox:
        return StampedOutbox(self.channel_type, self._sink, self._log, address)

    async def send(self, lead: Recipient, content: OutboundContent) -> SendResult:
        self._log.write(f"{time.time():.6f}\t{self.sender or '-'}\n")
        return await super().send(lead, content)


async def worker_for(
    kind: Kind,
    client: Client,
    db: Database,
    queue: str,
    *,
    send_log: str | None = None,
    **options: Any,
) -> Worker | QueueWorkers:
    if kind == "salespad":
        return build_worker(client, db, queue, quiet_channels(send_log), **options)
    await create_table(db)
    return Worker(
        client,
        task_queue=queue,
        workflows=[BareShape, BenchNoop],
        activities=[BareActivities(db).bare_step],
        **options,
    )


def settings(database_url: str, queue: str, **overrides: Any) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        env="test",
        database_url=database_url,
        api_key=API_KEY,  # type: ignore[arg-type]
        task_queue=queue,
        **overrides,
    )


@contextlib.asynccontextmanager
async def api_client(
    settings: Settings, db: Database, client: Client
) -> AsyncIterator[httpx.AsyncClient]:
    """The real FastAPI app in this process, called through ASGI (no sockets)."""
    from api.app import create_app  # the benches stand where the composition root does

    app = create_app(settings, db=db, temporal=client)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://bench",
            headers={"Authorization": f"Bearer {API_KEY}"},
            timeout=120,
        ) as http,
    ):
        yield http


class Spawned:
    """A worker in a process of its own; `stop()` ends it with SIGTERM, and SIGKILL if it has
    not exited 10 s later (a worker's shutdown can wait out its long polls; the benches stop
    workers only once their work is done)."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.pid = proc.pid

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


async def spawn(
    kind: Kind,
    database_url: str,
    target: str,
    queue: str,
    *,
    max_cached: int | None = None,
    send_log: str | None = None,
) -> Spawned:
    """Start a worker process and wait until it polls."""
    # Through salespad.deathsig: the worker dies with this process, even when it is killed.
    args = [sys.executable, "-m", "salespad.deathsig", str(os.getpid())]
    args += [sys.executable, "-m", "_harness.workers", "--kind", kind, "--db", database_url]
    args += ["--temporal", target, "--queue", queue]
    if max_cached is not None:
        args += ["--max-cached", str(max_cached)]
    if send_log is not None:
        args += ["--send-log", send_log]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(BENCH_DIR), os.environ.get("PYTHONPATH", "")]),
    }
    # Started from this (the main) thread: the death signal follows the thread that forked.
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True, env=env)  # noqa: ASYNC220
    assert proc.stdout is not None
    line = await asyncio.to_thread(proc.stdout.readline)
    if line.strip() != "READY":
        proc.kill()
        raise RuntimeError(f"the {kind} worker did not start (said {line!r})")
    return Spawned(proc)


@contextlib.asynccontextmanager
async def spawned(
    kind: Kind,
    database_url: str,
    target: str,
    queue: str,
    *,
    max_cached: int | None = None,
    send_log: str | None = None,
) -> AsyncIterator[Spawned]:
    worker = await spawn(
        kind, database_url, target, queue, max_cached=max_cached, send_log=send_log
    )
    try:
        yield worker
    finally:
        await asyncio.to_thread(worker.stop)


async def _serve(
    kind: Kind,
    database_url: str,
    target: str,
    queue: str,
    max_cached: int | None,
    send_log: str | None,
) -> None:
    client = await connect(target)
    db = Database(database_url)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    options: dict[str, Any] = {}
    if max_cached is not None:
        options["max_cached_workflows"] = max_cached
    try:
        async with await worker_for(kind, client, db, queue, send_log=send_log, **options):
            print("READY", flush=True)
            # The bench reads only that line: from here on, stdout goes where stderr goes
            # (a pipe nobody drains would fill and block whatever prints next).
            os.dup2(2, 1)
            await stop.wait()
    finally:
        await db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--kind", choices=["salespad", "bare"], required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--temporal", required=True)
    parser.add_argument("--queue", required=True)
    parser.add_argument("--max-cached", type=int)
    parser.add_argument("--send-log")
    a = parser.parse_args()
    asyncio.run(_serve(a.kind, a.db, a.temporal, a.queue, a.max_cached, a.send_log))
