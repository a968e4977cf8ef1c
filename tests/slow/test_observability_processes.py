"""The real `salespad worker` and `salespad api` processes: the worker serves the Temporal
SDK's metrics on SALESPAD_WORKER_METRICS_ADDRESS, both log JSON lines (SALESPAD_LOG_FORMAT),
the API's carry the request id, and a secret never reaches either's output."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from temporalio.testing import WorkflowEnvironment

from salespad.local import free_port

SECRET = "sk-slowtest-0p3nai-secret-42"


@contextmanager
def _process(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "salespad.cli", *args], env=env, stderr=out, stdout=out
        )
        try:
            yield proc
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_for(url: str, proc: subprocess.Popen[bytes], log: Path, want: str) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()
        try:
            res = httpx.get(url, timeout=2, headers={"X-Request-ID": "slow-req-1"})
            if want in res.text:
                return res.text
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{url} never served {want!r}:\n{log.read_text()}")


def test_worker_sdk_metrics_and_json_logs_without_secrets(
    database_url: str, dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    metrics_port, api_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SALESPAD_", "OPENAI_"))}
    env.update(
        SALESPAD_DATABASE_URL=database_url,
        SALESPAD_TEMPORAL_ADDRESS=dev_env.client.service_client.config.target_host,
        SALESPAD_TASK_QUEUE=f"obs-{uuid.uuid4().hex[:8]}",
        SALESPAD_API_KEY="slow-api-key",
        SALESPAD_API_PORT=str(api_port),
        SALESPAD_LOG_FORMAT="json",
        SALESPAD_WORKER_METRICS_ADDRESS=f"127.0.0.1:{metrics_port}",
        SALESPAD_WEBHOOK_DISPATCH="false",
        # The LLM factory logs its endpoint at start: one that carries the key.
        OPENAI_API_KEY=SECRET,
        OPENAI_BASE_URL=f"http://127.0.0.1:9/v1/{SECRET}",
    )
    worker_log, api_log = tmp_path / "worker.log", tmp_path / "api.log"
    with _process(["worker"], env, worker_log) as worker:
        sdk = _wait_for(f"http://127.0.0.1:{metrics_port}/metrics", worker, worker_log, "temporal_")
        assert any(line.startswith("temporal_") for line in sdk.splitlines())
        with _process(["api"], env, api_log) as api:
            _wait_for(f"http://127.0.0.1:{api_port}/metrics", api, api_log, "salespad_sends_total")

    for log in (worker_log, api_log):
        text = log.read_text()
        assert SECRET not in text
        lines = [json.loads(line) for line in text.splitlines() if line.strip()]
        assert lines, f"{log.name} is empty"
        assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    worker_lines = [json.loads(line) for line in worker_log.read_text().splitlines()]
    assert any("[REDACTED]" in str(line["message"]) for line in worker_lines)
    api_lines = [json.loads(line) for line in api_log.read_text().splitlines()]
    served = [line for line in api_lines if line.get("request_id") == "slow-req-1"]
    assert served and served[0]["logger"] == "uvicorn.access", api_lines
