"""GET /api/events on the real database: the most recent deliverable events, newest commit
first, with their lead's name, and a cursor the stream resumes at with no gap and no repeat."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import psycopg
import pytest

from models.db import libpq_url

STREAM_KEYS = {"id", "lead_id", "lead_name", "campaign_id", "event_type", "timestamp", "details"}


@contextlib.asynccontextmanager
async def _conn(url: str, *, autocommit: bool) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
    conn = await psycopg.AsyncConnection.connect(libpq_url(url), autocommit=autocommit)
    async with conn:
        yield conn


async def _insert(
    conn: psycopg.AsyncConnection[Any],
    kind: str,
    lead_id: str | None = None,
    campaign_id: str | None = None,
) -> int:
    cur = await conn.execute(
        "INSERT INTO event_log (event_type, details, lead_id, campaign_id) "
        "VALUES (%s, '{\"n\": 1}', %s, %s) RETURNING id",
        (kind, lead_id, campaign_id),
    )
    row = await cur.fetchone()
    assert row is not None
    return int(row[0])


async def _commit(url: str, kind: str, **ids: str | None) -> int:
    async with _conn(url, autocommit=True) as conn:
        return await _insert(conn, kind, **ids)


async def _recent(api: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    res = await api.get("/api/events", params=params)
    assert res.status_code == 200, res.text
    body: dict[str, Any] = res.json()
    return body


async def _stream(api: httpx.AsyncClient, since: str) -> list[tuple[str, dict[str, Any]]]:
    """(cursor, data) of every message the stream sends after `since` (follow=false)."""
    res = await api.get("/api/events/stream", params={"since": since, "follow": "false"})
    assert res.status_code == 200, res.text
    out = []
    for block in res.text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "data" in fields:
            out.append((fields["id"], json.loads(fields["data"])))
    return out


async def _lead(api: httpx.AsyncClient, name: str, email: str) -> str:
    res = await api.post("/api/leads", json={"name": name, "email": email})
    assert res.status_code == 201, res.text
    return str(res.json()["id"])


async def test_newest_first_with_the_lead_name_and_the_stream_payload(
    api: httpx.AsyncClient, database_url: str
) -> None:
    ada = await _lead(api, "Ada Lovelace", "ada@example.com")
    ids = [await _commit(database_url, f"E{n}") for n in range(3)]
    sent = await _commit(database_url, "EMAIL_SENT", lead_id=ada)

    body = await _recent(api)
    items = body["items"]
    assert [i["event_type"] for i in items] == ["EMAIL_SENT", "E2", "E1", "E0", "LEAD_CREATED"]
    assert [i["id"] for i in items[:4]] == [sent, *reversed(ids)]
    assert items[0]["lead_name"] == "Ada Lovelace" and items[0]["lead_id"] == ada
    assert items[-1]["lead_name"] == "Ada Lovelace"
    assert items[1]["lead_name"] is None and items[1]["lead_id"] is None
    assert body["cursor"] == items[0]["cursor"]

    # Each item is the stream message's data plus that message's id as `cursor`.
    streamed = await _stream(api, "0")
    assert [data["id"] for _, data in streamed] == [i["id"] for i in reversed(items)]
    for (cursor, data), item in zip(streamed, reversed(items), strict=True):
        assert set(data) == STREAM_KEYS and set(item) == STREAM_KEYS | {"cursor"}
        assert item["cursor"] == cursor
        assert {k: item[k] for k in ("id", "lead_id", "lead_name", "event_type", "details")} == {
            k: data[k] for k in ("id", "lead_id", "lead_name", "event_type", "details")
        }
    assert streamed[-1][1]["lead_name"] == "Ada Lovelace"
    assert streamed[-2][1]["lead_name"] is None


async def test_limit(api: httpx.AsyncClient, database_url: str) -> None:
    ids = [await _commit(database_url, f"E{n}") for n in range(60)]
    assert [i["id"] for i in (await _recent(api))["items"]] == ids[::-1][:50]
    two = await _recent(api, limit=2)
    assert [i["id"] for i in two["items"]] == [ids[-1], ids[-2]]
    assert len((await _recent(api, limit=500))["items"]) == 60


@pytest.mark.parametrize("limit", ["0", "501", "-1", "many", "1.5"])
async def test_a_bad_limit_is_a_422_naming_it(api: httpx.AsyncClient, limit: str) -> None:
    res = await api.get("/api/events", params={"limit": limit})
    assert res.status_code == 422, res.text
    assert [e["field"] for e in res.json()["detail"]] == ["query.limit"]


async def test_an_event_of_an_open_transaction_is_listed_once_it_commits(
    api: httpx.AsyncClient, database_url: str
) -> None:
    before = await _commit(database_url, "BEFORE")
    async with _conn(database_url, autocommit=False) as a:
        a_id = await _insert(a, "A")  # transaction A stays open
        b_id = await _commit(database_url, "B")  # committed, but A may still commit before it
        held = await _recent(api)
        assert [i["id"] for i in held["items"]] == [before]
        await a.commit()
    after = await _recent(api)
    assert [i["id"] for i in after["items"]] == [b_id, a_id, before]
    # What was held back is exactly what the stream sends after the first answer's cursor.
    assert [data["id"] for _, data in await _stream(api, held["cursor"])] == [a_id, b_id]
    assert await _stream(api, after["cursor"]) == []


async def test_the_cursor_resumes_the_stream_with_exactly_the_next_events(
    api: httpx.AsyncClient, database_url: str
) -> None:
    empty = await _recent(api)
    assert empty["items"] == []
    first = [await _commit(database_url, f"E{n}") for n in range(3)]
    assert [d["id"] for _, d in await _stream(api, empty["cursor"])] == first

    listed = await _recent(api, limit=2)
    assert [i["id"] for i in listed["items"]] == [first[2], first[1]]
    assert await _stream(api, listed["cursor"]) == []
    later = [await _commit(database_url, f"L{n}") for n in range(2)]
    resumed = await _stream(api, listed["cursor"])
    assert [d["id"] for _, d in resumed] == later
    # ... and from the last of those, nothing again.
    assert await _stream(api, resumed[-1][0]) == []


async def test_filters_by_lead_and_campaign(api: httpx.AsyncClient, database_url: str) -> None:
    ada = await _lead(api, "Ada", "ada@example.com")
    bo = await _lead(api, "Bo", "bo@example.com")
    campaign = str(uuid.uuid4())
    ada_sent = await _commit(database_url, "X_SENT", lead_id=ada, campaign_id=campaign)
    await _commit(database_url, "X_SENT", lead_id=bo)
    await _commit(database_url, "OTHER")

    by_lead = await _recent(api, lead=ada)
    assert [(i["event_type"], i["lead_name"]) for i in by_lead["items"]] == [
        ("X_SENT", "Ada"),
        ("LEAD_CREATED", "Ada"),
    ]
    by_campaign = await _recent(api, campaign=campaign)
    assert [i["id"] for i in by_campaign["items"]] == [ada_sent]
    assert (await _recent(api, campaign=str(uuid.uuid4())))["items"] == []

    # Filtered, the cursor is the tail: the stream sends what commits from then on only.
    assert await _stream(api, by_lead["cursor"]) == []
    after = await _commit(database_url, "AFTER")
    assert [d["id"] for _, d in await _stream(api, by_lead["cursor"])] == [after]

    res = await api.get("/api/events", params={"lead": "not-a-uuid"})
    assert res.status_code == 422
    assert [e["field"] for e in res.json()["detail"]] == ["query.lead"]


async def test_needs_the_api_key(api: httpx.AsyncClient) -> None:
    res = await api.get("/api/events", headers={"Authorization": "Bearer wrong"})
    assert res.status_code == 401


async def test_a_reply_event_carries_a_preview_of_its_text(api: httpx.AsyncClient) -> None:
    ada = await _lead(api, "Ada", "ada@example.com")
    text = "Sounds  <b>great</b>,\n\n\tcall me   on Tuesday. " + "x" * 300
    res = await api.post(f"/api/leads/{ada}/replies", json={"content": text, "channel": "EMAIL"})
    assert res.status_code == 200, res.text
    [reply] = [i for i in (await _recent(api))["items"] if i["event_type"] == "REPLY_RECEIVED"]
    preview = reply["details"]["preview"]
    assert preview.startswith("Sounds <b>great</b>, call me on Tuesday. xxx")
    assert len(preview) == 200
    assert reply["lead_name"] == "Ada"
