"""GET /api/leads: filters, cursor pages, and the bounds on every numeric query parameter."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from models.db import Database
from models.tables import Lead
from tests.fakes.gateway import RecordingGateway
from tests.helpers import add_lead, enrolled_campaign_now

T0 = datetime(2021, 3, 1, 12, 0, tzinfo=UTC)  # before any lead the API creates now


async def _lead(db: Database, name: str, minutes: int, **fields: Any) -> Lead:
    slug = name.lower().replace(" ", ".")
    fields.setdefault("email", f"{slug}@example.com")
    return await add_lead(db, name=name, created_at=T0 + timedelta(minutes=minutes), **fields)


async def _names(api: httpx.AsyncClient, **params: Any) -> list[str]:
    res = await api.get("/api/leads", params=params)
    assert res.status_code == 200, res.text
    return [item["name"] for item in res.json()["items"]]


async def test_filters_alone_and_combined(
    api: httpx.AsyncClient, clean_db: Database, gateway: RecordingGateway
) -> None:
    ada = await _lead(clean_db, "Ada Lovelace", 1, owner="Alice", company="Analytical Engines")
    await _lead(clean_db, "Grace Hopper", 2, owner="bob", company="Navy", status="REPLIED")
    await _lead(clean_db, "Alan Turing", 3, owner="alice", company="Bletchley", status="CONVERTED")
    await _lead(clean_db, "Katherine Johnson", 4, email="kj@nasa.gov", company="NASA")
    await _lead(clean_db, "Edsger Dijkstra", 5, email=None, phone="+31201234567", owner="ALICE")
    await _lead(clean_db, "Percent Man", 6, email="p@example.com", company="100% Sure_Co")
    campaign = await enrolled_campaign_now(api, gateway, clean_db, [str(ada.id)])

    assert await _names(api) == [
        "Percent Man",
        "Edsger Dijkstra",
        "Katherine Johnson",
        "Alan Turing",
        "Grace Hopper",
        "Ada Lovelace",
    ]
    assert await _names(api, status="REPLIED") == ["Grace Hopper"]
    assert await _names(api, status=["REPLIED", "CONVERTED"]) == ["Alan Turing", "Grace Hopper"]
    assert await _names(api, campaign=campaign["id"]) == ["Ada Lovelace"]
    assert await _names(api, campaign=str(uuid.uuid4())) == []
    assert await _names(api, owner="alice") == ["Edsger Dijkstra", "Alan Turing", "Ada Lovelace"]
    assert await _names(api, company="nasa") == ["Katherine Johnson"]
    # q: name, email or company, case-insensitive substring.
    assert await _names(api, q="AL") == ["Alan Turing", "Ada Lovelace"]  # Alan, AnALytical
    assert await _names(api, q="nasa.GOV") == ["Katherine Johnson"]
    assert await _names(api, q="bletch") == ["Alan Turing"]
    # % and _ are literal characters, not wildcards.
    assert await _names(api, q="%") == ["Percent Man"]
    assert await _names(api, q="a_a") == []  # as a wildcard it would match "ada", "nasa"
    assert await _names(api, q="e_co") == ["Percent Man"]
    # created_after is inclusive, created_before exclusive; a time without a zone is UTC.
    window = {
        "created_after": (T0 + timedelta(minutes=2)).isoformat(),
        "created_before": "2021-03-01T12:05:00",
    }
    assert await _names(api, **window) == ["Katherine Johnson", "Alan Turing", "Grace Hopper"]
    combined = await api.get(
        "/api/leads",
        params={"status": ["NEW", "CONVERTED"], "owner": "ALICE", "q": "a", **window},
    )
    assert combined.status_code == 200, combined.text
    assert [i["name"] for i in combined.json()["items"]] == ["Alan Turing"]
    assert combined.json()["total"] == 1
    total = (await api.get("/api/leads", params={"owner": "alice", "limit": 1})).json()
    assert (len(total["items"]), total["total"]) == (1, 3)


async def test_cursor_pages_cover_every_lead_once_while_leads_are_added(
    api: httpx.AsyncClient, clean_db: Database
) -> None:
    existing = [await _lead(clean_db, f"Lead {n:02}", n) for n in range(17)]
    # Three leads created in the same microsecond: the id breaks the tie.
    existing += [await _lead(clean_db, f"Twin {n}", 100) for n in range(3)]
    expected = [
        str(lead.id) for lead in sorted(existing, key=lambda r: (r.created_at, r.id), reverse=True)
    ]

    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        res = await api.get("/api/leads", params=params)
        assert res.status_code == 200, res.text
        body = res.json()
        seen += [item["id"] for item in body["items"]]
        pages += 1
        # New leads arrive between pages; they sort before the cursor and never shift it.
        add = await api.post(
            "/api/leads", json={"name": f"Newcomer {pages}", "email": f"new{pages}@example.com"}
        )
        assert add.status_code == 201, add.text
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == expected
    assert pages == 7  # 20 leads, 3 a page: the last page has 2 and no next cursor


async def test_cursor_pages_keep_the_filter(api: httpx.AsyncClient, clean_db: Database) -> None:
    for n in range(10):
        await _lead(clean_db, f"Lead {n}", n, status="REPLIED" if n % 2 else "NEW")
    first = (await api.get("/api/leads", params={"status": "REPLIED", "limit": 3})).json()
    assert [i["name"] for i in first["items"]] == ["Lead 9", "Lead 7", "Lead 5"]
    assert first["total"] == 5
    second = (
        await api.get(
            "/api/leads", params={"status": "REPLIED", "limit": 3, "cursor": first["next_cursor"]}
        )
    ).json()
    assert [i["name"] for i in second["items"]] == ["Lead 3", "Lead 1"]
    assert second["next_cursor"] is None
    assert second["total"] == 5


async def test_offset_pages_and_the_old_response_shape_still_work(
    api: httpx.AsyncClient, clean_db: Database
) -> None:
    for n in range(5):
        await _lead(clean_db, f"Lead {n}", n)
    res = await api.get("/api/leads", params={"limit": 2, "offset": 1})
    assert res.status_code == 200, res.text
    body = res.json()
    assert set(body) == {"items", "total", "limit", "offset", "next_cursor"}
    assert [i["name"] for i in body["items"]] == ["Lead 3", "Lead 2"]
    assert (body["total"], body["limit"], body["offset"]) == (5, 2, 1)
    after = (await api.get("/api/leads", params={"limit": 5, "cursor": body["next_cursor"]})).json()
    assert [i["name"] for i in after["items"]] == ["Lead 1", "Lead 0"]
    first_page = await api.get("/api/leads", params={"limit": 2, "cursor": ""})
    assert [i["name"] for i in first_page.json()["items"]] == ["Lead 4", "Lead 3"]
    by_email = await api.get("/api/leads", params={"email": "LEAD.3@example.com"})
    assert [i["name"] for i in by_email.json()["items"]] == ["Lead 3"]


HUGE = 10**30


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/api/leads", {"limit": HUGE}, "query.limit"),
        ("/api/leads", {"limit": 0}, "query.limit"),
        ("/api/leads", {"limit": 501}, "query.limit"),
        ("/api/leads", {"offset": HUGE}, "query.offset"),
        ("/api/leads", {"offset": -1}, "query.offset"),
        ("/api/leads", {"offset": 1_000_001}, "query.offset"),
        ("/api/leads", {"cursor": "bm90IGEgY3Vyc29y"}, "query.cursor"),
        ("/api/leads", {"cursor": "%%%"}, "query.cursor"),
        ("/api/leads", {"q": "a\x00b"}, "query.q"),
        ("/api/leads", {"owner": "x\x00"}, "query.owner"),
        ("/api/leads", {"q": "x" * 201}, "query.q"),
        ("/api/leads", {"status": ["NEW", "NOPE"]}, "query.status.1"),
        ("/api/leads", {"campaign": "not-a-uuid"}, "query.campaign"),
        ("/api/leads", {"created_after": "yesterday"}, "query.created_after"),
        ("/api/ops/unmatched", {"offset": HUGE}, "query.offset"),
        ("/api/ops/unmatched", {"limit": HUGE}, "query.limit"),
        ("/api/tasks", {"limit": HUGE}, "query.limit"),
        ("/api/events/stream", {"since": HUGE}, "query.since"),
        ("/api/events/stream", {"since": -1}, "query.since"),
        ("/api/events/stream", {"poll_seconds": HUGE}, "query.poll_seconds"),
    ],
)
async def test_out_of_range_parameters_are_a_422_naming_them(
    api: httpx.AsyncClient, path: str, params: dict[str, Any], field: str
) -> None:
    res = await api.get(path, params=params)
    assert res.status_code == 422, res.text
    body = res.json()
    assert body["error"] == "invalid request"
    assert [e["field"] for e in body["detail"]] == [field]
    assert all(e["message"] for e in body["detail"])


async def test_a_huge_last_event_id_header_is_a_422(api: httpx.AsyncClient) -> None:
    res = await api.get("/api/events/stream", headers={"Last-Event-ID": str(HUGE)})
    assert res.status_code == 422, res.text
    assert [e["field"] for e in res.json()["detail"]] == ["header.last-event-id"]


async def test_the_largest_offset_allowed_is_an_empty_page(
    api: httpx.AsyncClient, clean_db: Database
) -> None:
    await _lead(clean_db, "Only One", 0)
    res = await api.get("/api/leads", params={"offset": 1_000_000, "limit": 500})
    assert res.status_code == 200, res.text
    assert res.json()["items"] == []
    assert res.json()["total"] == 1
    assert res.json()["next_cursor"] is None
