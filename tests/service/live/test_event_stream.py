"""The live event stream on the real database: commit order with no loss and no repeat,
resuming from a cursor or an old event id, one LISTEN per process fanned out, and a LISTEN
connection killed under it. The hub is read directly where timing matters; the SSE wire is
read from the real app under uvicorn on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from models.db import Database, libpq_url
from salespad.local import free_port
from services.live import queries
from services.live.cursor import Cursor
from services.live.hub import EventHub
from tests.conftest import API_KEY
from tests.helpers import eventually

# The slow safety re-check is pushed out of the way: whatever arrives within a test's few
# seconds was woken by NOTIFY (or by the LISTEN connection coming back), not by a timer.
NO_RECHECK = 60.0


async def _insert(conn: psycopg.AsyncConnection[Any], kind: str) -> int:
    cur = await conn.execute(
        "INSERT INTO event_log (event_type, details) VALUES (%s, '{}') RETURNING id", (kind,)
    )
    row = await cur.fetchone()
    assert row is not None
    return int(row[0])


@contextlib.asynccontextmanager
async def _conn(url: str, *, autocommit: bool) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
    conn = await psycopg.AsyncConnection.connect(libpq_url(url), autocommit=autocommit)
    async with conn:
        yield conn


async def _commit_one(url: str, kind: str) -> int:
    async with _conn(url, autocommit=True) as conn:
        return await _insert(conn, kind)


async def _tail(db: Database) -> Cursor:
    async with db.session() as session:
        return await queries.tail(session)


class _Reader:
    """Follows the hub from a cursor in the background, keeping every event it is given."""

    def __init__(self, hub: EventHub, cursor: Cursor) -> None:
        self.events: list[queries.Logged] = []
        self._arrived = asyncio.Event()
        self._task = asyncio.create_task(self._run(hub, cursor))

    async def _run(self, hub: EventHub, cursor: Cursor) -> None:
        async with contextlib.aclosing(hub.follow(cursor, idle_seconds=NO_RECHECK)) as batches:
            async for batch in batches:
                if batch is not None:
                    self.events += batch.events
                    self._arrived.set()

    @property
    def ids(self) -> list[int | None]:
        return [e.event.id for e in self.events]

    async def until(self, n: int, within: float) -> float:
        """Seconds until at least n events arrived; fails after `within`."""
        started = time.monotonic()
        async with asyncio.timeout(within):
            while len(self.events) < n:
                self._arrived.clear()
                await self._arrived.wait()
        return time.monotonic() - started

    async def aclose(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


@pytest.fixture
async def hub(clean_db: Database) -> AsyncIterator[EventHub]:
    events = EventHub(clean_db, recheck_seconds=NO_RECHECK, reconnect_seconds=0.2)
    yield events
    await events.aclose()


async def test_an_event_committed_late_is_delivered_in_commit_order_and_once(
    hub: EventHub, clean_db: Database, database_url: str
) -> None:
    start = await _tail(clean_db)
    reader = _Reader(hub, start)
    try:
        async with _conn(database_url, autocommit=False) as a:
            a_id = await _insert(a, "A")  # transaction A stays open
            b_id = await _commit_one(database_url, "B")
            assert a_id < b_id
            # B is committed, but an id cursor that moved past it would skip A for ever.
            held = await hub.read(start)
            assert held.events == [] and held.held_back
            await asyncio.sleep(0.5)
            assert reader.ids == [], "B was delivered while A could still commit behind it"
            await a.commit()
        await reader.until(2, within=3)
        await asyncio.sleep(0.3)  # a repeat would show up here
        assert reader.ids == [a_id, b_id]
    finally:
        await reader.aclose()
    after = await hub.read(start)
    assert [e.event.id for e in after.events] == [a_id, b_id] and not after.held_back
    assert (await hub.read(after.cursor)).events == []


async def test_events_held_back_by_a_transaction_that_writes_none_follow_when_it_ends(
    hub: EventHub, clean_db: Database, database_url: str
) -> None:
    """The blocker sends no NOTIFY when it ends: the stream retries on its own, quickly."""
    reader = _Reader(hub, await _tail(clean_db))
    try:
        async with _conn(database_url, autocommit=False) as blocker:
            await blocker.execute("SELECT pg_current_xact_id()")  # holds an xid, writes nothing
            b_id = await _commit_one(database_url, "B")
            await asyncio.sleep(0.5)
            assert reader.ids == []
            await blocker.rollback()
            waited = await reader.until(1, within=3)
        assert reader.ids == [b_id]
        assert waited < 1.5, f"held-back event took {waited:.2f}s after the blocker ended"
    finally:
        await reader.aclose()


async def test_a_killed_listen_connection_reconnects_and_loses_nothing(
    hub: EventHub, clean_db: Database, database_url: str
) -> None:
    reader = _Reader(hub, await _tail(clean_db))
    try:
        await asyncio.wait_for(hub.connected.wait(), 5)
        first_pid = hub.listener_pid
        async with _conn(database_url, autocommit=True) as admin:
            await admin.execute("SELECT pg_terminate_backend(%s)", (first_pid,))
            lost_id = await _insert(admin, "WHILE_DOWN")  # committed with nobody listening
        await reader.until(1, within=3)

        async def reconnected() -> bool:
            return hub.listener_pid not in (None, first_pid)

        await eventually(reconnected, within=5, every=0.05, what="LISTEN did not come back")
        after_id = await _commit_one(database_url, "AFTER")
        waited = await reader.until(2, within=3)
        assert reader.ids == [lost_id, after_id]
        assert waited < 2
    finally:
        await reader.aclose()


async def test_many_streams_share_one_listen_connection(
    hub: EventHub, clean_db: Database, database_url: str
) -> None:
    start = await _tail(clean_db)
    readers = [_Reader(hub, start) for _ in range(20)]
    try:
        await asyncio.wait_for(hub.connected.wait(), 5)
        event_id = await _commit_one(database_url, "FAN_OUT")
        for reader in readers:
            await reader.until(1, within=3)
            assert reader.ids == [event_id]
        async with _conn(database_url, autocommit=True) as admin:
            cur = await admin.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
                ("salespad event stream",),
            )
            assert await cur.fetchone() == (1,)
    finally:
        for reader in readers:
            await reader.aclose()


# -- the wire -----------------------------------------------------------------------------


def _frames(text: str) -> list[dict[str, str]]:
    """SSE messages as {field: value}; comment lines under ":"."""
    out = []
    for block in text.split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.splitlines():
            name, _, value = line.partition(":")
            fields[name] = fields.get(name, "") + value.removeprefix(" ")
        if fields:
            out.append(fields)
    return out


async def test_resuming_sends_exactly_the_events_after_the_cursor(
    api: httpx.AsyncClient, clean_db: Database, database_url: str
) -> None:
    ids = [await _commit_one(database_url, f"E{n}") for n in range(4)]
    res = await api.get("/api/events/stream", params={"since": 0, "follow": "false"})
    assert res.status_code == 200, res.text
    frames = _frames(res.text)
    assert frames[0] == {"retry": "1000", "": "connected"}
    messages = frames[1:]
    assert [json.loads(m["data"])["id"] for m in messages] == ids
    second = messages[1]
    xact, _, event_id = second["id"].partition("-")
    assert int(event_id) == ids[1] and int(xact) > 0
    assert second["event"] == "E1"
    data = json.loads(second["data"])
    assert data.keys() == {
        "id",
        "lead_id",
        "lead_name",
        "campaign_id",
        "event_type",
        "timestamp",
        "details",
    }
    assert data["lead_id"] is None and data["lead_name"] is None and data["campaign_id"] is None

    for resume in (
        {"headers": {"Last-Event-ID": second["id"]}},
        {"headers": {"Last-Event-ID": str(ids[1])}},  # an old client's plain event id
        {"params": {"since": second["id"]}},
        {"params": {"since": str(ids[1])}},
    ):
        params = {"follow": "false", **resume.get("params", {})}
        res = await api.get("/api/events/stream", params=params, headers=resume.get("headers"))
        got = [json.loads(m["data"])["id"] for m in _frames(res.text)[1:]]
        assert got == ids[2:], resume


async def test_rows_from_before_the_cursor_resume_by_id_as_they_always_did(
    api: httpx.AsyncClient, clean_db: Database, database_url: str
) -> None:
    """Migration 0008 gives existing rows xact 0: an old client's id still means `after it`."""
    async with _conn(database_url, autocommit=True) as conn:
        cur = await conn.execute(
            "INSERT INTO event_log (event_type, details, xact) "
            "VALUES ('OLD1', '{}', '0'), ('OLD2', '{}', '0') RETURNING id"
        )
        old = [int(row[0]) for row in await cur.fetchall()]
    new = await _commit_one(database_url, "NEW")
    res = await api.get("/api/events/stream", params={"since": old[0], "follow": "false"})
    messages = [m for m in _frames(res.text) if "data" in m]
    assert [json.loads(m["data"])["id"] for m in messages] == [old[1], new]
    assert messages[0]["id"] == f"0-{old[1]}"


async def test_no_cursor_starts_at_the_tail(
    api: httpx.AsyncClient, clean_db: Database, database_url: str
) -> None:
    await _commit_one(database_url, "BEFORE")
    res = await api.get("/api/events/stream", params={"follow": "false"})
    assert [f for f in _frames(res.text) if "data" in f] == []


@pytest.mark.parametrize(
    ("headers", "params", "field"),
    [
        ({"Last-Event-ID": "abc"}, {}, "header.last-event-id"),
        ({"Last-Event-ID": "12-"}, {}, "header.last-event-id"),
        ({"Last-Event-ID": "1-2-3"}, {}, "header.last-event-id"),
        ({"Last-Event-ID": "-5"}, {}, "header.last-event-id"),
        ({"Last-Event-ID": "9" * 19}, {}, "header.last-event-id"),
        ({}, {"since": "x-1"}, "query.since"),
        ({}, {"since": "1.5"}, "query.since"),
    ],
)
async def test_a_malformed_cursor_is_a_422_naming_it(
    api: httpx.AsyncClient, headers: dict[str, str], params: dict[str, str], field: str
) -> None:
    res = await api.get("/api/events/stream", headers=headers, params=params)
    assert res.status_code == 422, res.text
    assert [e["field"] for e in res.json()["detail"]] == [field]


@contextlib.contextmanager
def _api_process(database_url: str, log: Path) -> Iterator[str]:
    """`salespad api` as production runs it: its own process, its own EventHub."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SALESPAD_")}
    env.update(
        SALESPAD_DATABASE_URL=database_url,
        SALESPAD_API_KEY=API_KEY,
        SALESPAD_TEMPORAL_ADDRESS=f"127.0.0.1:{free_port()}",  # reads need no Temporal
    )
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "salespad.cli", "api", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=out,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code in (200, 503):
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


async def _sse_lines(http: httpx.AsyncClient, url: str, out: list[str]) -> None:
    async with http.stream("GET", f"{url}/api/events/stream") as res:
        assert res.status_code == 200
        async for line in res.aiter_lines():
            out.append(line)


async def test_two_api_processes_both_push_an_event_committed_elsewhere(
    clean_db: Database, database_url: str, tmp_path: Path
) -> None:
    """Two API replicas (real processes, each with its hub and its 30 s safety re-check) push
    an event committed by a third connection in under two seconds: NOTIFY, not a poll."""
    with (
        _api_process(database_url, tmp_path / "one.log") as one,
        _api_process(database_url, tmp_path / "two.log") as two,
    ):
        async with httpx.AsyncClient(
            headers={"Authorization": f"Bearer {API_KEY}"}, timeout=10
        ) as http:
            lines: list[list[str]] = [[], []]
            readers = [
                asyncio.create_task(_sse_lines(http, url, out))
                for url, out in zip((one, two), lines, strict=True)
            ]
            try:

                async def listening() -> bool:
                    async with _conn(database_url, autocommit=True) as admin:
                        cur = await admin.execute(
                            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
                            ("salespad event stream",),
                        )
                        row = await cur.fetchone()
                    return all(": connected" in out for out in lines) and row == (2,)

                async def delivered() -> bool:
                    return all(any(line.startswith("data:") for line in out) for out in lines)

                await eventually(listening, within=10, every=0.05, what="streams did not open")
                committed = time.monotonic()
                event_id = await _commit_one(database_url, "ELSEWHERE")
                await eventually(delivered, within=2, every=0.01, what="not pushed to both")
                took = time.monotonic() - committed
            finally:
                for reader in readers:
                    reader.cancel()
                await asyncio.gather(*readers, return_exceptions=True)
    for out in lines:
        [data] = [json.loads(line.removeprefix("data: ")) for line in out if line[:5] == "data:"]
        assert data["id"] == event_id and data["event_type"] == "ELSEWHERE"
        assert "retry: 1000" in out
    assert took < 2
