"""GET /api/webhook-deliveries: filters, cursor pages, bounded parameters."""

from __future__ import annotations

import httpx
import pytest

from models.db import Database
from models.enums import EventType
from tests.service.webhooks_out.conftest import a_lead, emit, subscribe


async def test_filters_and_cursor_pages(api: httpx.AsyncClient, clean_db: Database) -> None:
    crm = await subscribe(api, "http://127.0.0.1:9/crm", ["*"])
    ops = await subscribe(api, "http://127.0.0.1:9/ops", ["lead.dead_lettered"])
    lead = await a_lead(clean_db)
    for _ in range(3):
        await emit(clean_db, lead, EventType.EMAIL_SENT, step=1)
    dead = await emit(clean_db, lead, EventType.DEAD_LETTERED, error="x")

    everything = (await api.get("/api/webhook-deliveries")).json()
    assert len(everything["items"]) == 5 and everything["next_cursor"] is None
    # Newest event first.
    assert [d["event_id"] for d in everything["items"]][:2] == [dead, dead]

    only_ops = await api.get("/api/webhook-deliveries", params={"subscription_id": ops["id"]})
    assert [d["event"] for d in only_ops.json()["items"]] == ["lead.dead_lettered"]
    sent = await api.get(
        "/api/webhook-deliveries", params={"event": "message.sent", "status": "pending"}
    )
    assert {d["subscription_id"] for d in sent.json()["items"]} == {crm["id"]}
    assert len(sent.json()["items"]) == 3
    delivered = await api.get("/api/webhook-deliveries", params={"status": "delivered"})
    assert delivered.json()["items"] == []

    seen: list[str] = []
    cursor = ""
    while True:
        page = await api.get("/api/webhook-deliveries", params={"limit": 2, "cursor": cursor})
        body = page.json()
        seen += [d["id"] for d in body["items"]]
        if body["next_cursor"] is None:
            break
        cursor = body["next_cursor"]
        await emit(clean_db, lead, EventType.EMAIL_SENT, step=2)  # new ones never shift a page
    assert seen == [d["id"] for d in everything["items"]]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "query.limit"),
        ({"limit": 501}, "query.limit"),
        ({"limit": "many"}, "query.limit"),
        ({"status": "lost"}, "query.status"),
        ({"event": "lead.exploded"}, "query.event"),
        ({"subscription_id": "42"}, "query.subscription_id"),
        ({"cursor": "not-a-cursor"}, "query.cursor"),
        ({"cursor": "x" * 201}, "query.cursor"),
    ],
)
async def test_bad_parameters_are_a_422_naming_them(
    api: httpx.AsyncClient, params: dict[str, object], field: str
) -> None:
    res = await api.get("/api/webhook-deliveries", params=params)
    assert res.status_code == 422, res.text
    assert [d["field"] for d in res.json()["detail"]] == [field]
