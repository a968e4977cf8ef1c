"""Real processes for the slow and chaos tiers: `salespad dev` as a user runs it, and the
helpers that SIGKILL its parts and wait for it to be healthy again."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx
import psutil

from salespad.local import free_port

KEY = "e2e-key"


class Stack:
    def __init__(self, data_dir: Path, extra_env: Mapping[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.extra_env = dict(extra_env or {})
        self.api_port, self.temporal_port, self.ui_port = free_port(), free_port(), free_port()
        self.api = f"http://127.0.0.1:{self.api_port}"
        self.log = data_dir.parent / "dev.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SALESPAD_", "SENDGRID_"))}
        env.update(
            SALESPAD_DATA_DIR=str(self.data_dir),
            SALESPAD_API_PORT=str(self.api_port),
            SALESPAD_TEMPORAL_PORT=str(self.temporal_port),
            SALESPAD_TEMPORAL_UI_PORT=str(self.ui_port),
            SALESPAD_API_KEY=KEY,
        )
        env.update(self.extra_env)
        return env

    def start(self) -> None:
        out = open(self.log, "ab")  # noqa: SIM115
        since = self.log.stat().st_size  # this start's lines only (the log is appended to)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "salespad.cli", "dev"], env=self.env(), stdout=out, stderr=out
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text()
            # Up when healthy *and* the supervisor says so (from then on it watches its parts).
            try:
                healthy = httpx.get(f"{self.api}/healthz", timeout=2).status_code == 200
            except httpx.HTTPError:
                healthy = False
            if healthy and b"SalesPad is running" in self.log.read_bytes()[since:]:
                return
            time.sleep(0.5)
        raise AssertionError(f"stack did not come up:\n{self.log.read_text()}")

    def stop(self, sig: int = signal.SIGTERM) -> int:
        assert self.proc is not None
        self.proc.send_signal(sig)
        return self.proc.wait(90)

    def http(self, timeout: float = 10) -> httpx.Client:
        return httpx.Client(
            base_url=self.api, headers={"Authorization": f"Bearer {KEY}"}, timeout=timeout
        )

    def leftovers(self) -> list[str]:
        """Processes still using this stack's data dir (postgres, temporal) after the stop."""
        marker = str(self.data_dir)
        found = []
        for proc in psutil.process_iter(["pid", "cmdline"]):
            cmd = " ".join(proc.info["cmdline"] or [])
            if marker in cmd and proc.pid != os.getpid():
                found.append(cmd)
        return found


@contextmanager
def running_stack(data_dir: Path, extra_env: Mapping[str, str] | None = None) -> Iterator[Stack]:
    """A Stack that is stopped properly on the way out: a failed assertion must not leave
    PostgreSQL and Temporal running."""
    s = Stack(data_dir, extra_env)
    try:
        yield s
    finally:
        if s.proc is not None and s.proc.poll() is None:
            s.proc.send_signal(signal.SIGTERM)
            try:
                s.proc.wait(60)
            except subprocess.TimeoutExpired:
                s.proc.kill()


def kill9(stack: Stack, marker: str) -> int:
    """SIGKILL the stack's process whose command line has `marker`; its pid."""
    for proc in psutil.process_iter(["pid", "cmdline"]):
        cmd = " ".join(proc.info["cmdline"] or [])
        if marker in cmd and str(stack.data_dir) in cmd:
            proc.kill()
            return int(proc.pid)
    raise AssertionError(f"no process with {marker!r}")


def healthy(stack: Stack, within: float = 60) -> dict[str, str]:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            res = httpx.get(f"{stack.api}/healthz", timeout=2)
            if res.status_code == 200:
                body: dict[str, str] = res.json()
                return body
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    words = ("restart", "exited", "PostgreSQL", "crashing", "stopping", "Traceback", "Error")
    said = [ln for ln in stack.log.read_text().splitlines() if any(w in ln for w in words)]
    # Why a restart failed, first and last (tracebacks of the children would drown it).
    said = [ln for ln in said if "did not start yet" in ln][:3] + said
    logs = [stack.data_dir / "logs" / "temporal.log", stack.data_dir / "pg" / "log"]
    tails = [f"--- {p.name}:\n{p.read_text()[-1500:]}" for p in logs if p.exists()]
    raise AssertionError("not healthy again:\n" + "\n".join(said[-40:] + tails))


def port_taken(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def stop_processes(procs: Iterable[subprocess.Popen[bytes]], within: float = 60) -> None:
    """SIGTERM every process still running, then wait for each (SIGKILL after `within`)."""
    procs = list(procs)
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(within)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
