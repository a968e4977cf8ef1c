"""`salespad dev` as a newcomer runs it: the whole stack as processes, then stopped cleanly.

Slow (about a minute): it starts embedded PostgreSQL, the Temporal dev server, the API and a
worker, runs the demo sequence in real time, and checks nothing is left running afterwards.
"""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from config.temporal import connect
from services import signing
from tests.fakes.http_server import FakeHTTPServer, RecordedRequest, ScriptedResponse
from tests.processes import Stack, healthy, kill9, port_taken, running_stack

pytestmark = pytest.mark.slow


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    with running_stack(tmp_path / "salespad-data") as s:
        yield s


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
    # The worker's and the API's output is also kept in .salespad/logs/.
    assert "outbox] EMAIL step 5" in (stack.data_dir / "logs" / "worker.log").read_text()
    assert (stack.data_dir / "logs" / "api.log").exists()

    assert stack.stop(signal.SIGTERM) == 0
    assert stack.leftovers() == []

    stack.start()  # restart: same data
    with stack.http() as http:
        assert _sent_emails(http, lead_id) == 3
    assert stack.stop(signal.SIGINT) == 0
    assert stack.leftovers() == []


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
    kill9(stack, "temporal.db")  # the Temporal dev server (its SQLite file is in the data dir)
    time.sleep(1)
    kill9(stack, "postgres -D")  # the embedded PostgreSQL server
    assert healthy(stack)["status"] == "ok"
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
        port_taken(p) for p in (stack.api_port, stack.temporal_port, stack.ui_port)
    ):
        time.sleep(0.5)
    assert not port_taken(stack.api_port) and not port_taken(stack.temporal_port)
    # PostgreSQL too (it daemonizes: a guard stops it), and nothing else of the run is left.
    deadline = time.monotonic() + 30
    while stack.leftovers() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert stack.leftovers() == []
    stack.start()  # the next `salespad dev` starts on the same ports and data
    _enrolls(stack, "after-kill@example.com")
    assert stack.stop(signal.SIGINT) == 0
    assert stack.leftovers() == []


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
