"""docker-compose.yml's SalesPad services as real processes, without Docker.

The environment each gets is read from docker-compose.yml, with .env as a user fills it from
.env.example (the secrets set, everything else empty) and compose's interpolation applied. Only
the database URL and the Temporal address are changed, to this test's PostgreSQL and a real
Temporal dev server. Then, as `docker compose up` would: the migrate job (migrations and the
search attributes), the API and two workers; all stay up and run the demo sequence end to end.
The API also gets `--host 127.0.0.1 --port <free>` on its command line: the container's
0.0.0.0:8000 is neither allowed nor free here.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest

from config.settings import environment_variables
from config.temporal import connect
from salespad.local import find_binary, free_port, temporal_dev_server_args
from tests import compose_env
from tests.helpers import empty_database
from tests.processes import stop_processes
from workflows.search_attributes import ALL_KEYS

SECRETS = {
    "POSTGRES_PASSWORD": "pg-password-1",
    "SALESPAD_API_KEY": "sp-key-for-the-compose-test",
    "SALESPAD_SECRET_KEY": "compose-test-secret-" + "x" * 24,
}
PROVIDER_PREFIXES = ("SALESPAD_", "SENDGRID_", "TWILIO_", "OPENAI_")


@pytest.fixture
def compose_database(database_url: str) -> Iterator[str]:
    """A fresh, empty database on the test PostgreSQL, so the migrate job really migrates."""
    with empty_database(database_url, "salespad_compose") as url:
        yield url


@pytest.fixture
def temporal_server(tmp_path: Path) -> Iterator[str]:
    """A Temporal dev server: its `default` namespace stands for what temporal-namespace
    creates; no search attributes are registered here (the migrate job must)."""
    port = free_port()
    log = open(tmp_path / "temporal.log", "wb")  # noqa: SIM115
    args = temporal_dev_server_args(tmp_path / "temporal.db", port, free_port(), headless=True)
    proc = subprocess.Popen(args, stdout=log, stderr=log)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _service_env(service: str, database_url: str, temporal_address: str) -> dict[str, str]:
    compose = compose_env.load()
    dotenv = {**compose_env.env_example(), **SECRETS}  # `cp .env.example .env`, secrets filled
    env = compose_env.service_environment(compose, service, dotenv)
    env.update(SALESPAD_DATABASE_URL=database_url, SALESPAD_TEMPORAL_ADDRESS=temporal_address)
    # The process environment of a container: PATH and the like, none of our settings.
    base = {k: v for k, v in os.environ.items() if not k.startswith(PROVIDER_PREFIXES)}
    return {**base, **env, "PYTHONUNBUFFERED": "1"}


def _command(service: str) -> list[str]:
    compose = compose_env.load()
    entrypoint = compose_env.dockerfile_entrypoint()
    assert entrypoint == ["salespad"]
    return [find_binary("salespad"), *compose_env.service_command(compose, service, SECRETS)]


async def _search_attributes(address: str) -> set[str]:
    client = await connect(address)
    listed = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace="default")
    )
    return set(listed.custom_attributes)


def _sent_emails(http: httpx.Client, lead_id: str) -> int:
    timeline = http.get(f"/api/leads/{lead_id}").json()["timeline"]
    return sum(1 for t in timeline if t["event_type"] == "EMAIL_SENT")


def test_composes_salespad_services_run_the_demo_with_composes_environment(
    tmp_path: Path, compose_database: str, temporal_server: str
) -> None:
    compose = compose_env.load()
    env = {
        s: _service_env(s, compose_database, temporal_server) for s in ("migrate", "api", "worker")
    }
    # What compose passes: every setting, the unset ones empty (today's bug was one of those).
    assert env["worker"]["SENDGRID_API_KEY"] == ""
    assert env["worker"]["SALESPAD_ENV"] == "prod"
    assert set(environment_variables()) <= set(env["worker"])

    migrate = subprocess.run(
        _command("migrate"), env=env["migrate"], cwd=tmp_path, capture_output=True, timeout=240
    )
    out = (migrate.stdout + migrate.stderr).decode()
    assert migrate.returncode == 0, out
    assert "search attributes registered" in out
    assert {k.name for k in ALL_KEYS} <= asyncio.run(_search_attributes(temporal_server))

    api_port = free_port()
    procs: dict[str, subprocess.Popen[bytes]] = {}
    logs: dict[str, Path] = {}

    def start(name: str, command: list[str], service: str) -> None:
        logs[name] = tmp_path / f"{name}.log"
        out = open(logs[name], "wb")  # noqa: SIM115
        procs[name] = subprocess.Popen(
            command, env=env[service], cwd=tmp_path, stdout=out, stderr=out
        )

    def said() -> str:
        return "\n".join(f"--- {n}:\n{p.read_text()[-3000:]}" for n, p in logs.items())

    try:
        start("api", [*_command("api"), "--host", "127.0.0.1", "--port", str(api_port)], "api")
        for i in range(compose_env.replicas(compose, "worker")):
            start(f"worker-{i + 1}", _command("worker"), "worker")
        assert len(procs) == 3

        base = f"http://127.0.0.1:{api_port}"
        deadline = time.monotonic() + 90
        while True:
            for name, proc in procs.items():
                assert proc.poll() is None, f"{name} exited {proc.returncode}\n{said()}"
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, said()
            time.sleep(0.5)
        # Both workers connected and polling, then all still up a few seconds on.
        deadline = time.monotonic() + 60
        while not all("worker polling" in logs[n].read_text() for n in procs if "worker" in n):
            assert time.monotonic() < deadline, said()
            time.sleep(0.5)
        time.sleep(3)
        for name, proc in procs.items():
            assert proc.poll() is None, f"{name} exited {proc.returncode}\n{said()}"

        headers = {"Authorization": f"Bearer {SECRETS['SALESPAD_API_KEY']}"}
        with httpx.Client(base_url=base, headers=headers, timeout=15) as http:
            lead = http.post(
                "/api/leads", json={"name": "Ada Lovelace", "email": "ada@example.com"}
            )
            assert lead.status_code == 201, lead.text
            lead_id = lead.json()["id"]
            campaign = http.post(
                "/api/campaigns",
                json={"name": "compose", "sequence": "demo", "lead_ids": [lead_id]},
            )
            assert campaign.status_code == 202, campaign.text
            deadline = time.monotonic() + 90
            while _sent_emails(http, lead_id) < 3 and time.monotonic() < deadline:
                time.sleep(1)
            assert _sent_emails(http, lead_id) == 3, said()

        worker_logs = "\n".join(logs[n].read_text() for n in procs if "worker" in n)
        # No SendGrid in the compose env: email goes through the outbox, which logs each send.
        assert "EMAIL goes through outbox" in worker_logs
        assert "outbox] EMAIL step 5" in worker_logs
        for name, proc in procs.items():
            assert proc.poll() is None, f"{name} exited {proc.returncode}\n{said()}"
    finally:
        stop_processes(procs.values(), within=60)
    # A clean stop: exit 0, or (uvicorn, once shut down) the SIGTERM re-raised.
    for name, proc in procs.items():
        assert proc.returncode in (0, -signal.SIGTERM), f"{name}: {proc.returncode}\n{said()}"
