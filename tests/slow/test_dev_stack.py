"""`salespad dev` as a newcomer runs it: the whole stack as processes, then stopped cleanly.

Slow (about a minute): it starts embedded PostgreSQL, the Temporal dev server, the API and a
worker, runs the demo sequence in real time, and checks nothing is left running afterwards.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from config.temporal import connect
from salespad.local import free_port
from services import signing
from tests.fakes.http_server import FakeHTTPServer, RecordedRequest, ScriptedResponse

pytestmark = pytest.mark.slow
KEY = "e2e-key"


class Stack:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
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

    def http(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.api, headers={"Authorization": f"Bearer {KEY}"}, timeout=10
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


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    s = Stack(tmp_path / "salespad-data")
    yield s
    if s.proc is not None and s.proc.poll() is None:
        # A failed assertion must not leave PostgreSQL and Temporal running: stop it properly.
        s.proc.send_signal(signal.SIGTERM)
        try:
            s.proc.wait(60)
        except subprocess.TimeoutExpired:
            s.proc.kill()


@pytest.fixture
def receiver() -> Iterator[FakeHTTPServer]:
    with FakeHTTPServer(lambda _request: ScriptedResponse(status=200)) as server:
        yield server


def _sent_hooks(receiver: FakeHTTPServer) -> list[RecordedRequest]:
    return [r for r in receiver.requests if r.headers["X-SalesPad-Event"] == "message.sent"]


def _sent_emails(http: httpx.Client, lead_id: str) -> int:
    timeline = http.get(f"/api/leads/{lead_id}").json()["timeline"]
    return sum(1 for t in timeline if t["event_type"] == "EMAIL_SENT")


def test_dev_stack_runs_the_demo_stops_cleanly_and_keeps_data(
    stack: Stack, receiver: FakeHTTPServer
) -> None:
    stack.start()
    with stack.http() as http:
        # The worker `salespad dev` runs also posts outgoing webhooks.
        hook = http.post(
            "/api/webhook-subscriptions", json={"url": f"{receiver.url}/h", "events": ["*"]}
        )
        assert hook.status_code == 201, hook.text
        lead = http.post("/api/leads", json={"name": "Ada Lovelace", "email": "ada@example.com"})
        lead_id = lead.json()["id"]
        enrolled = http.post(
            "/api/campaigns", json={"name": "tour", "sequence": "demo", "lead_ids": [lead_id]}
        )
        assert enrolled.status_code == 202, enrolled.text
        campaign_url = f"/api/campaigns/{enrolled.json()['id']}"
        deadline = time.monotonic() + 30
        while http.get(campaign_url).json()["status"] != "enrolled":
            assert time.monotonic() < deadline, http.get(campaign_url).json()
            time.sleep(0.2)
        assert http.get(campaign_url).json()["enrolled"] == 1

        deadline = time.monotonic() + 60
        while _sent_emails(http, lead_id) < 3 and time.monotonic() < deadline:
            time.sleep(1)
        assert _sent_emails(http, lead_id) == 3
        while len(_sent_hooks(receiver)) < 3 and time.monotonic() < deadline + 10:
            time.sleep(0.2)
        sent = _sent_hooks(receiver)
        assert [r.json["data"]["step"] for r in sent] == [1, 3, 5]
        assert len({r.headers["X-SalesPad-Delivery"] for r in sent}) == 3
        for r in sent:
            signing.verify(hook.json()["secret"], r.headers["X-SalesPad-Signature"], r.body)

        def state() -> str:
            enrollment: dict[str, str] = http.get(f"/api/leads/{lead_id}").json()["enrollment"]
            return enrollment["state"]

        # The enrollment closes a moment after the last send (its own activity).
        while state() != "completed" and time.monotonic() < deadline + 10:
            time.sleep(0.5)
        assert state() == "completed"

    async def visible() -> list[str]:
        client = await connect(f"127.0.0.1:{stack.temporal_port}")
        for _ in range(60):
            ids = [w.id async for w in client.list_workflows('LeadStatus = "OUTREACHED"')]
            if ids:
                return ids
            await asyncio.sleep(0.5)
        return []

    assert asyncio.run(visible()) == [f"lead-{lead_id}"]
    assert httpx.get(f"http://127.0.0.1:{stack.ui_port}/", timeout=10).status_code == 200
    assert "outbox] EMAIL step 5" in stack.log.read_text()

    assert stack.stop(signal.SIGTERM) == 0
    assert stack.leftovers() == []

    stack.start()  # restart: same data
    with stack.http() as http:
        assert _sent_emails(http, lead_id) == 3
    assert stack.stop(signal.SIGINT) == 0
    assert stack.leftovers() == []


def _kill9(stack: Stack, marker: str) -> int:
    """SIGKILL the stack's process whose command line has `marker`; its pid."""
    for proc in psutil.process_iter(["pid", "cmdline"]):
        cmd = " ".join(proc.info["cmdline"] or [])
        if marker in cmd and str(stack.data_dir) in cmd:
            proc.kill()
            return int(proc.pid)
    raise AssertionError(f"no process with {marker!r}")


def _healthy(stack: Stack, within: float = 60) -> dict[str, str]:
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
    logs = [stack.data_dir / "logs" / "temporal.log", stack.data_dir / "pg" / "log"]
    tails = [f"--- {p.name}:\n{p.read_text()[-1500:]}" for p in logs if p.exists()]
    raise AssertionError("not healthy again:\n" + "\n".join(said[-40:] + tails))


def _enrolls(stack: Stack, email: str) -> None:
    with stack.http() as http:
        lead_id = http.post("/api/leads", json={"name": "Ada", "email": email}).json()["id"]
        res = http.post(
            "/api/campaigns", json={"name": email, "sequence": "demo", "lead_ids": [lead_id]}
        )
        url = f"/api/campaigns/{res.json()['id']}"
        deadline = time.monotonic() + 60
        while http.get(url).json()["status"] != "enrolled":
            assert time.monotonic() < deadline, http.get(url).json()
            time.sleep(0.3)


def test_a_dead_temporal_server_or_postgres_is_restarted(stack: Stack) -> None:
    stack.start()
    _kill9(stack, "temporal.db")  # the Temporal dev server (its SQLite file is in the data dir)
    time.sleep(1)
    _kill9(stack, "postgres -D")  # the embedded PostgreSQL server
    assert _healthy(stack)["status"] == "ok"
    _enrolls(stack, "after-restarts@example.com")  # both really work again
    text = stack.log.read_text()
    assert "temporal exited" in text and "PostgreSQL stopped; restarting it" in text
    assert stack.stop(signal.SIGTERM) == 0
    assert stack.leftovers() == []


def test_a_sigkilled_supervisor_takes_its_children_along(stack: Stack) -> None:
    stack.start()
    assert stack.proc is not None
    stack.proc.kill()
    stack.proc.wait(10)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(
        _port_taken(p) for p in (stack.api_port, stack.temporal_port, stack.ui_port)
    ):
        time.sleep(0.5)
    assert not _port_taken(stack.api_port) and not _port_taken(stack.temporal_port)
    stack.start()  # the next `salespad dev` starts on the same ports and data
    _enrolls(stack, "after-kill@example.com")
    assert stack.stop(signal.SIGINT) == 0
    assert stack.leftovers() == []


def _port_taken(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_dev_says_clearly_when_a_port_is_taken(stack: Stack) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", stack.api_port))
        busy.listen()
        run = subprocess.run(
            [sys.executable, "-m", "salespad.cli", "dev"],
            env=stack.env(),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert run.returncode == 1
    assert f"port {stack.api_port} (the API) is already in use" in run.stderr
    assert "SALESPAD_API_PORT" in run.stderr
    assert stack.leftovers() == []
