"""`salespad dev`: the whole stack on one laptop, supervised.

Embedded PostgreSQL and the Temporal dev server (state under .salespad/), migrations, then the
API and a worker as child processes: the SDK's native core does not mix well with a web
server's threads, and production runs them apart too. Every part is watched: a child that
dies (API, worker, the Temporal dev server) is restarted, and so is PostgreSQL; Ctrl-C or
SIGTERM stops everything in order and leaves no process behind. A child that exits on a
configuration error (exit code 2 and its one `configuration error:` line) is not restarted:
restarting cannot fix it, so the line is shown once and the stack stops. Children also die with the
supervisor itself, so even a SIGKILLed `salespad dev` leaves no port taken for the next one.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO, ClassVar

import httpx

import sequences
from config.checks import CONFIG_ERROR_EXIT, CONFIG_ERROR_MARKER
from config.settings import Settings
from config.temporal import connect, ensure_search_attributes
from models.db import redact_url
from models.migrate import upgrade
from salespad.local import (
    DATABASE_URL_FILE,
    EmbeddedPostgres,
    port_in_use,
    temporal_dev_server_args,
)


class DevError(RuntimeError):
    """A problem the user can fix; printed without a traceback."""


class ChildConfigError(DevError):
    """A child stopped on a configuration error; the message is its one line, as it wrote it."""


@dataclass
class Restarts:
    """When to bring a dead part back: after a backoff that grows with each recent attempt
    (0.5 s, 1 s, 2 s ... 8 s: a server whose old processes still hold its port or shared
    memory gets time to let go), and never more than ten times in two minutes: past that,
    something is wrong that restarting only hides."""

    attempts: list[float] = field(default_factory=list)
    next_at: float = 0.0

    WINDOW: ClassVar[float] = 120.0
    LIMIT: ClassVar[int] = 10

    def due(self, now: float) -> bool:
        return now >= self.next_at

    def record(self, now: float) -> bool:
        """Count an attempt now; False when the limit is reached (give up)."""
        self.attempts = [t for t in self.attempts if now - t < self.WINDOW] + [now]
        self.next_at = now + min(8.0, 0.5 * 2 ** (len(self.attempts) - 1))
        return len(self.attempts) <= self.LIMIT


@dataclass
class Child:
    name: str
    args: list[str]
    env: dict[str, str]
    log: Path | None = None
    # With a log: also show the output on the terminal (the API and the worker), not only in
    # the file (the Temporal dev server's chatter).
    tee: bool = False
    proc: subprocess.Popen[bytes] | None = None
    restarts: Restarts = field(default_factory=Restarts)
    # The child's `salespad <part>: configuration error: ...` line, held back from the relay
    # so that the supervisor prints it once, however many children hit it.
    config_error: str | None = None
    relay: threading.Thread | None = None

    def start(self) -> None:
        self.config_error = None
        out = open(self.log, "ab") if self.log else None  # noqa: SIM115  (lives with the child)
        self.proc = subprocess.Popen(
            # Through a shim that makes it die with the supervisor (no Python between fork
            # and exec here: see salespad/deathsig.py).
            [sys.executable, "-m", "salespad.deathsig", str(os.getpid()), *self.args],
            env=self.env,
            # The API and the worker (tee) go through a pipe the supervisor reads: their lines
            # reach the terminal and the log, all but a configuration-error line, which is
            # kept (and logged) for the supervisor to print once. Without a log, stderr is
            # relayed the same way; the Temporal dev server writes to its log only.
            stdout=subprocess.PIPE if out and self.tee else out,
            stderr=subprocess.STDOUT if out else subprocess.PIPE,
            # Own session: a terminal Ctrl-C reaches only the supervisor, which stops the
            # children in order.
            start_new_session=True,
        )
        pipe = self.proc.stdout if out and self.tee else self.proc.stderr
        if pipe is not None:
            self.relay = threading.Thread(
                target=self._relay,
                args=(pipe, out if self.tee else None),
                name=f"{self.name} output",
                daemon=True,
            )
            self.relay.start()
        elif out is not None:
            out.close()  # the child holds its own copy

    def _relay(self, stream: IO[bytes], log: IO[bytes] | None) -> None:
        """Pass the child's output to the terminal (and its log), all but its
        configuration-error line, which is kept for the supervisor to show once."""
        with stream:
            for raw in iter(stream.readline, b""):
                if log is not None:
                    log.write(raw)
                    log.flush()
                line = raw.decode(errors="replace")
                if line.startswith("salespad ") and CONFIG_ERROR_MARKER in line:
                    self.config_error = line.strip()
                    continue
                target = sys.stdout if log is not None else sys.stderr
                target.write(line)
                target.flush()
        if log is not None:
            log.close()

    def configuration_error(self) -> str | None:
        """The line of a child that exited on a configuration error (else None)."""
        if self.proc is None or self.proc.poll() != CONFIG_ERROR_EXIT:
            return None
        if self.relay is not None:
            self.relay.join(5)  # its output is read to the end
        return self.config_error

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 15) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        if self.relay is not None:
            self.relay.join(5)


class SequenceWatch:
    """Notices a change under sequences/ (a file added, edited or removed), by polling mtimes:
    the API and the worker load the sequences at start, so `salespad dev` restarts them."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.seen = self._scan()

    def _scan(self) -> dict[Path, int]:
        return {p: p.stat().st_mtime_ns for p in self.root.rglob("*.py") if p.is_file()}

    def changed(self) -> bool:
        now = self._scan()
        if now == self.seen:
            return False
        self.seen = now
        return True


def sequences_valid(env: dict[str, str]) -> tuple[bool, str]:
    """`salespad sequences validate` in a fresh process (the edited modules as they are now)."""
    done = subprocess.run(
        [sys.executable, "-m", "salespad.cli", "sequences", "validate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.returncode == 0, (done.stdout + done.stderr).strip()


class DevStack:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.data_dir = settings.data_dir.resolve()
        self.logs = self.data_dir / "logs"
        self.postgres: EmbeddedPostgres | None = None
        self.temporal: Child | None = None
        # Stops PostgreSQL when the supervisor dies, even by SIGKILL (salespad/pgguard.py).
        self.pg_guard: Child | None = None
        self.children: list[Child] = []
        self._stopping = False
        self.sequences = SequenceWatch(Path(sequences.__file__).parent)

    # -- start -------------------------------------------------------------------------

    def check_ports(self) -> None:
        s = self.settings
        wanted = [(s.api_port, "the API", "SALESPAD_API_PORT")]
        if s.temporal_address is None:
            wanted += [
                (s.temporal_port, "Temporal", "SALESPAD_TEMPORAL_PORT"),
                (s.temporal_ui_port, "the Temporal Web UI", "SALESPAD_TEMPORAL_UI_PORT"),
            ]
        taken = [(p, what, env) for p, what, env in wanted if port_in_use(p)]
        if taken:
            lines = [
                f"  port {p} ({what}) is already in use; set {env} to another port"
                for p, what, env in taken
            ]
            raise DevError(
                "cannot start: ports are taken (is another `salespad dev` running?)\n"
                + "\n".join(lines)
            )

    def start_postgres(self) -> str:
        if self.settings.database_url:
            return self.settings.database_url
        self.postgres = EmbeddedPostgres(self.data_dir / "pg").start()
        self.pg_guard = Child(
            "postgres guard",
            [sys.executable, "-m", "salespad.pgguard", str(self.postgres.pgdata)],
            env=dict(os.environ),
        )
        self.pg_guard.start()
        url = self.postgres.url("salespad")
        # For the CLI beside the stack (`salespad import`): the same database, no URL to copy.
        url_file = self.data_dir / DATABASE_URL_FILE
        url_file.write_text(url + "\n")
        url_file.chmod(0o600)
        return url

    def start_temporal(self) -> str:
        s = self.settings
        if s.temporal_address:
            return s.temporal_address
        self.temporal = Child(
            "temporal",
            temporal_dev_server_args(
                self.data_dir / "temporal.db", s.temporal_port, s.temporal_ui_port
            )
            # The dev server has only `default`; it creates another one asked for at start.
            + (["--namespace", s.temporal_namespace] if s.temporal_namespace != "default" else []),
            env=dict(os.environ),
            log=self.logs / "temporal.log",
        )
        self.temporal.start()
        return f"127.0.0.1:{s.temporal_port}"

    async def wait_for_temporal(self, address: str, within: float = 60) -> None:
        deadline = time.monotonic() + within
        last: Exception | None = None
        while time.monotonic() < deadline:
            if self.temporal is not None and not self.temporal.alive():
                raise DevError(f"the Temporal dev server exited; see {self.logs / 'temporal.log'}")
            try:
                # A cluster of the user's own: with its TLS and API key; else the dev server.
                client = await (
                    connect(self.settings)
                    if self.settings.temporal_address
                    else connect(address, self.settings.temporal_namespace)
                )
                await ensure_search_attributes(client, self.settings.temporal_namespace)
                return
            except Exception as exc:
                last = exc
                await asyncio.sleep(0.5)
        raise DevError(f"Temporal at {address} did not answer within {within:.0f}s: {last}")

    def api_key(self) -> str:
        if self.settings.api_key is not None:
            return self.settings.api_key.get_secret_value()
        key_file = self.data_dir / "api_key"
        if key_file.exists():
            return key_file.read_text().strip()
        key = "sp_dev_" + secrets.token_urlsafe(24)
        key_file.write_text(key + "\n")
        key_file.chmod(0o600)
        return key

    def start_children(self, database_url: str, temporal_address: str, api_key: str) -> None:
        env = {
            **os.environ,
            "SALESPAD_DATABASE_URL": database_url,
            "SALESPAD_TEMPORAL_ADDRESS": temporal_address,
            "SALESPAD_API_KEY": api_key,
            "SALESPAD_TEMPORAL_UI_URL": self.settings.temporal_ui,
            "PYTHONUNBUFFERED": "1",
        }
        cli = [sys.executable, "-m", "salespad.cli"]
        # Their output goes to the terminal and to .salespad/logs/{worker,api}.log.
        self.children = [
            Child("worker", [*cli, "worker"], env, log=self.logs / "worker.log", tee=True),
            Child(
                "api",
                [*cli, "api", "--log-level", "warning"],
                env,
                log=self.logs / "api.log",
                tee=True,
            ),
        ]
        for child in self.children:
            child.start()

    def wait_for_api(self, timeout: float = 60) -> None:
        url = f"http://{self.settings.api_host}:{self.settings.api_port}/healthz"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.raise_config_error()
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise DevError(f"the API did not become healthy at {url} within {timeout:.0f}s")

    def banner(self, database_url: str, temporal_address: str, api_key: str) -> str:
        s = self.settings
        api = f"http://{s.api_host}:{s.api_port}"
        return "\n".join(
            [
                "",
                "SalesPad is running",
                f"  Dashboard   {api}/   (sign in with the API key below)",
                f"  API         {api}/api   (docs: {api}/docs)",
                f"  API key     {api_key}",
                f"  Temporal    {temporal_address}   Web UI: {s.temporal_ui}",
                f"  PostgreSQL  {redact_url(database_url)}",
                f"  Data        {self.data_dir}   (logs in {self.logs})",
                "  Channels    outbox: messages are recorded and printed here, nothing leaves",
                "",
                "Try it:",
                f"  export SALESPAD_API_KEY={api_key}",
                f'  curl -s -H "Authorization: Bearer $SALESPAD_API_KEY" {api}/api/sequences',
                "",
                "Ctrl-C stops everything.",
                "",
            ]
        )

    def raise_config_error(self) -> None:
        for child in self.children:
            line = child.configuration_error()
            if line:
                raise ChildConfigError(line)

    # -- run and stop --------------------------------------------------------------------

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self._stopping = True

    def reload_sequences(self) -> None:
        """sequences/ changed: restart the API and the worker on the new sequences, once they
        validate (else say why and keep the running ones)."""
        if not self.children:
            return
        print("sequences/ changed: validating ...", file=sys.stderr, flush=True)
        ok, output = sequences_valid(self.children[0].env)
        if not ok:
            print(
                f"{output}\nthe API and the worker keep the previous sequences; fix and save",
                file=sys.stderr,
                flush=True,
            )
            return
        print("restarting the API and the worker on the new sequences", file=sys.stderr)
        for child in self.children:
            child.stop()
            child.start()

    def supervise(self) -> int:
        pg_restarts = Restarts()
        while not self._stopping:
            now = time.monotonic()
            if self.sequences.changed() and not self._stopping:
                self.reload_sequences()
            if self.postgres is not None and not self.postgres.running() and pg_restarts.due(now):
                if not pg_restarts.record(now):
                    print("PostgreSQL keeps stopping; stopping", file=sys.stderr)
                    return 1
                print("PostgreSQL stopped; restarting it", file=sys.stderr)
                try:
                    self.postgres.restart()
                except Exception as exc:  # e.g. its old processes still hold shared memory
                    print(f"PostgreSQL did not start yet ({exc}); trying again", file=sys.stderr)
            watched = [c for c in (self.temporal, self.pg_guard) if c is not None] + self.children
            for child in watched:
                if child.alive() or self._stopping:
                    continue
                line = child.configuration_error()
                if line:  # restarting cannot fix it: say it once and stop
                    print(line, file=sys.stderr, flush=True)
                    return CONFIG_ERROR_EXIT
                if not child.restarts.due(now):
                    continue
                if not child.restarts.record(now):
                    print(f"{child.name} keeps crashing; stopping", file=sys.stderr)
                    return 1
                code = child.proc.returncode if child.proc else None
                print(f"{child.name} exited ({code}); restarting", file=sys.stderr)
                child.start()
            time.sleep(0.5)
        return 0

    def shutdown(self) -> None:
        self._stopping = True
        for child in reversed(self.children):
            child.stop()
        if self.temporal is not None:
            self.temporal.stop()
        if self.postgres is not None:
            self.postgres.stop()
        if self.pg_guard is not None:
            self.pg_guard.stop()

    def run(self) -> int:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._on_signal)
        self.check_ports()
        self.logs.mkdir(parents=True, exist_ok=True)
        try:
            print("starting PostgreSQL ...", flush=True)
            database_url = self.start_postgres()
            print("applying migrations ...", flush=True)
            upgrade(database_url)
            print("starting Temporal ...", flush=True)
            temporal_address = self.start_temporal()
            asyncio.run(self.wait_for_temporal(temporal_address))
            api_key = self.api_key()
            print("starting the API and a worker ...", flush=True)
            self.start_children(database_url, temporal_address, api_key)
            self.wait_for_api()
            if self._stopping:
                return 0
            print(self.banner(database_url, temporal_address, api_key), flush=True)
            return self.supervise()
        finally:
            print("stopping ...", flush=True)
            self.shutdown()
            print("stopped.", flush=True)
