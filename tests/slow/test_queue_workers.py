"""Two real `salespad worker` processes on different sets of queues share a campaign on the
Temporal dev server: one runs the workflows and email sends (`--queues main,email`), the other
email sends only (`--queues email`); each email goes out once, and both sent some."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import time
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from config.settings import Settings
from models.db import Database
from salespad.local import find_binary
from tests.conftest import _api
from tests.helpers import enrolled_campaign
from tests.processes import stop_processes

LEADS = 4
EMAILS = 3 * LEADS  # the demo sequence: three emails, ten seconds apart
SENT = re.compile(r"\[outbox\] EMAIL step \d+ -> .* <(lead\d+@example\.com)>")


def _worker(queues: str, env: dict[str, str], cwd: Path, log: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:
        return subprocess.Popen(
            [find_binary("salespad"), "worker", "--queues", queues],
            env=env,
            cwd=cwd,
            stdout=out,
            stderr=out,
        )


async def test_a_main_and_an_email_only_worker_share_a_campaigns_emails(
    tmp_path: Path,
    dev_env: WorkflowEnvironment,
    clean_db: Database,
    settings: Settings,
    database_url: str,
    task_queue: str,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SALESPAD_")}
    env.update(
        SALESPAD_DATABASE_URL=database_url,
        SALESPAD_TEMPORAL_ADDRESS=dev_env.client.service_client.config.target_host,
        SALESPAD_TASK_QUEUE=task_queue,
        # One email at a time per worker: a worker busy with one leaves the next to the other.
        SALESPAD_QUEUE_EMAIL_CONCURRENCY="1",
        PYTHONUNBUFFERED="1",
    )
    logs = {name: tmp_path / f"{name}.log" for name in ("main-email", "email")}
    procs: dict[str, subprocess.Popen[bytes]] = {}

    def said() -> str:
        return "\n".join(f"--- {n}:\n{p.read_text()[-3000:]}" for n, p in logs.items())

    try:
        for name, queues in (("main-email", "main,email"), ("email", "email")):
            procs[name] = _worker(queues, env, tmp_path, logs[name])
        deadline = time.monotonic() + 60
        while not all("worker polling" in p.read_text() for p in logs.values()):
            for name, proc in procs.items():
                assert proc.poll() is None, f"{name} exited {proc.returncode}\n{said()}"
            assert time.monotonic() < deadline, said()
            await asyncio.sleep(0.3)
        assert f"'{task_queue}-email'" in logs["email"].read_text()
        assert f"'{task_queue}'" not in logs["email"].read_text()  # no main queue there

        async for api in _api(settings, clean_db, dev_env.client):
            ids = []
            for i in range(LEADS):
                res = await api.post(
                    "/api/leads", json={"name": f"Lead {i}", "email": f"lead{i}@example.com"}
                )
                assert res.status_code == 201, res.text
                ids.append(res.json()["id"])
            res = await api.post(
                "/api/campaigns", json={"name": "queues", "sequence": "demo", "lead_ids": ids}
            )
            assert res.status_code == 202, res.text
            await enrolled_campaign(api, res.json()["id"], within=60)

        def sent(name: str) -> list[str]:
            return SENT.findall(logs[name].read_text())

        deadline = time.monotonic() + 120
        while len(sent("main-email")) + len(sent("email")) < EMAILS:
            for name, proc in procs.items():
                assert proc.poll() is None, f"{name} exited {proc.returncode}\n{said()}"
            assert time.monotonic() < deadline, said()
            await asyncio.sleep(0.5)
        await asyncio.sleep(2)  # nothing more goes out
        both = sent("main-email") + sent("email")
        assert len(both) == EMAILS, said()
        assert {both.count(f"lead{i}@example.com") for i in range(LEADS)} == {3}
        # The load was shared: each worker of the email queue sent some.
        assert sent("main-email") and sent("email"), said()
    finally:
        stop_processes(procs.values(), within=40)
