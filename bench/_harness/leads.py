"""Leads for the benchmarks: inserted set-based, enrolled through the real API, and counted
while their workflows run."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import text
from temporalio.client import Client

from models.db import Database


async def insert_leads(
    db: Database, n: int, cohort: str, *, phone: bool = False, timezone: str | None = None
) -> list[uuid.UUID]:
    """n fresh leads tagged metadata.cohort = cohort (a campaign filter picks them); their ids."""
    async with db.engine.begin() as conn:
        rows = await conn.execute(
            text(
                "INSERT INTO lead (id, name, email, phone, timezone, status, metadata,"
                " created_at, updated_at)"
                " SELECT gen_random_uuid(), 'Lead ' || i, :cohort || '-' || i || '@example.com',"
                " CASE WHEN :phone THEN '+1555' || lpad(i::text, 7, '0') END, :tz, 'NEW',"
                " jsonb_build_object('cohort', :cohort), now(), now()"
                " FROM generate_series(1, :n) AS i RETURNING id"
            ),
            {"n": n, "cohort": cohort, "phone": phone, "tz": timezone},
        )
        return [r[0] for r in rows]


@dataclass
class Enrolled:
    seconds: float  # from the POST to the campaign saying "enrolled"
    post_seconds: float  # the POST's own latency
    campaign: dict[str, Any]  # the campaign's final body


async def enroll(http: httpx.AsyncClient, cohort: str, sequence: str) -> Enrolled:
    """POST a campaign over the cohort and wait until it says "enrolled"."""
    began = time.perf_counter()
    res = await http.post(
        "/api/campaigns",
        json={"name": cohort, "sequence": sequence, "filter": {"metadata": {"cohort": cohort}}},
    )
    post = time.perf_counter() - began
    if res.status_code != 202:
        raise RuntimeError(f"POST /api/campaigns answered {res.status_code}: {res.text}")
    campaign_id = res.json()["id"]
    while True:
        body = (await http.get(f"/api/campaigns/{campaign_id}")).json()
        if body["status"] == "enrolled":
            return Enrolled(time.perf_counter() - began, post, body)
        await asyncio.sleep(0.25)


async def running(client: Client, queue: str) -> int:
    """How many workflows on `queue` are still running (the dev server's visibility)."""
    count = await client.count_workflows(f"TaskQueue = '{queue}' AND ExecutionStatus = 'Running'")
    return count.count


async def wait_until_none_running(
    client: Client, queue: str, *, every: float = 0.5, settle: int = 2
) -> float:
    """The perf_counter() time at which no workflow on `queue` was seen running any more
    (`settle` polls in a row: visibility trails the histories by a moment)."""
    quiet_since: float | None = None
    quiet = 0
    while quiet < settle:
        await asyncio.sleep(every)
        if await running(client, queue) == 0:
            quiet_since = quiet_since or time.perf_counter()
            quiet += 1
        else:
            quiet_since, quiet = None, 0
    assert quiet_since is not None
    return quiet_since


async def _outbound(db: Database, cohorts: list[str], what: str) -> list[Any]:
    async with db.engine.connect() as conn:
        rows = await conn.execute(
            text(
                f"SELECT {what} FROM message m JOIN lead l ON l.id = m.lead_id"
                " WHERE m.direction = 'OUTBOUND' AND l.metadata->>'cohort' = ANY(:c)"
            ),
            {"c": cohorts},
        )
        return [r[0] for r in rows]


async def sent(db: Database, cohorts: list[str]) -> int:
    """Outbound messages recorded for the leads of these cohorts."""
    [count] = await _outbound(db, cohorts, "count(*)")
    return int(count)


async def sent_times(db: Database, cohorts: list[str]) -> list[datetime]:
    """When each of those messages went out (when it was recorded, if it has no sent_at)."""
    return await _outbound(db, cohorts, "coalesce(m.sent_at, m.created_at)")


async def until_sent(db: Database, cohorts: list[str], n: int, *, every: float = 1.0) -> float:
    """Seconds until the cohorts' leads have n outbound messages (for `cold-outbound`: every
    lead has sent its intro and sleeps in the two-day wait)."""
    began = time.perf_counter()
    while True:
        if await sent(db, cohorts) >= n:
            return time.perf_counter() - began
        await asyncio.sleep(every)
