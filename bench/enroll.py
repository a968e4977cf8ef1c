"""Enrollment throughput: SalesPad's background enrollment against bare workflow starts.

Starts its own Temporal dev server and embedded PostgreSQL (bench/_harness), then measures in
the same run, two rounds each, in the order a, b, b, a (the server slows as it fills; this
order shares that drift evenly):

  (a) bare `client.start_workflow` of a trivial workflow for 10,000 ids, 50 at a time (the
      gateway's bounded concurrency), with no worker;
  (b) a 10,000-lead campaign over the real API (fresh leads each round): from POST
      /api/campaigns to the campaign saying "enrolled" (checks, inserts, and the 10,000
      lead-workflow starts; no worker polls the lead workflows' task queue, so only the
      starts are timed).

Prints both rates, their ratio (target >= 0.8) and the POST latency. Never asserts.
Usage: .venv/bin/python bench/enroll.py [--leads 10000]
"""

from __future__ import annotations

import asyncio
import time
import uuid

from _harness.bare import BenchNoop
from _harness.cli import bench_main
from _harness.leads import Enrolled, enroll, insert_leads
from _harness.stack import database, temporal_client
from _harness.stats import verdict
from _harness.workers import api_client, settings
from temporalio.client import Client
from temporalio.worker import Worker

from activities.campaigns import CampaignActivities
from models.db import Database
from services.gateway import BATCH, LeadWorkflows
from workflows.enroll_campaign import EnrollCampaignWorkflow

LEAD_QUEUE = "bench-leads-no-worker"


async def bare_starts(client: Client, n: int) -> float:
    """Seconds to start n trivial workflows, BATCH at a time."""
    run_id = uuid.uuid4().hex[:6]
    began = time.perf_counter()
    for first in range(0, n, BATCH):
        await asyncio.gather(
            *(
                client.start_workflow(
                    BenchNoop.run, i, id=f"bare-{run_id}-{i}", task_queue="bench-bare-no-worker"
                )
                for i in range(first, min(n, first + BATCH))
            )
        )
    return time.perf_counter() - began


async def salespad_enrollment(client: Client, db: Database, url: str, cohort: str) -> Enrolled:
    queue = f"bench-enroll-{uuid.uuid4().hex[:6]}"
    # The enrollment worker starts the lead workflows on a queue no worker polls.
    campaigns = CampaignActivities(db, LeadWorkflows(client, LEAD_QUEUE))
    enrollment_worker = Worker(
        client,
        task_queue=queue,
        workflows=[EnrollCampaignWorkflow],
        activities=[
            campaigns.next_enrollment_batch,
            campaigns.enroll_batch,
            campaigns.finish_campaign_batch,
        ],
    )
    async with enrollment_worker, api_client(settings(url, queue), db, client) as http:
        return await enroll(http, cohort, "demo")


async def measure(n: int, url: str, target: str) -> None:
    """Rounds in the order bare, SalesPad, SalesPad, bare: the server slows as its store fills
    with the open workflows of earlier rounds, and this order gives both sides the same share
    of that drift (each side's rate is over its two rounds)."""
    async with database(url) as db:
        client = await temporal_client(target)
        print(f"{n} leads a round; dev server on {target}; starts {BATCH} at a time")
        bare_s, ours_s = 0.0, 0.0
        for round_no, kind in enumerate(("bare", "salespad", "salespad", "bare"), start=1):
            if kind == "bare":
                took = await bare_starts(client, n)
                bare_s += took
                print(f"round {round_no} (a) bare start_workflow: {n} in {took:6.1f} s"
                      f" = {n / took:6.1f}/s")  # fmt: skip
                continue
            cohort = f"bench-{round_no}"
            await insert_leads(db, n, cohort)
            done = await salespad_enrollment(client, db, url, cohort)
            took, body = done.seconds, done.campaign
            ours_s += took
            print(f"round {round_no} (b) SalesPad enrollment: {n} in {took:6.1f} s"
                  f" = {n / took:6.1f}/s (enrolled {body['enrolled']}, skipped"
                  f" {body['skipped']}; POST {done.post_seconds * 1000:.0f} ms)")  # fmt: skip
        bare_rate, ours_rate = 2 * n / bare_s, 2 * n / ours_s
        print(f"(a) bare, both rounds:      {bare_rate:6.1f}/s")
        print(f"(b) SalesPad, both rounds:  {ours_rate:6.1f}/s")
        r = ours_rate / bare_rate
        print(f"ratio (b)/(a): {r:.2f} ({verdict(r, 0.8, at_most=False)})")


if __name__ == "__main__":
    bench_main(
        __doc__,
        lambda a, s: measure(a.leads, s.database_url, s.temporal_target),
        leads=10_000,
        timeout=900,
    )
