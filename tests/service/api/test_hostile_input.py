"""Input PostgreSQL cannot store, or too much of it, is refused before any route runs: a 422
naming the field (or the row of a list), a 413 for an oversized body, never a 500."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from models.db import Database
from tests.helpers import api_lead

pytestmark = pytest.mark.service

NUL = "x\x00y"


async def _lead_count(api: httpx.AsyncClient) -> int:
    return len((await api.get("/api/leads", params={"limit": 500})).json()["items"])


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/leads/{lead}/replies", {"content": NUL}, "body.content"),
        ("/api/leads/{lead}/replies", {"content": "hi", "headers": {"X": NUL}}, "body.headers.X"),
        ("/api/campaigns", {"name": NUL, "sequence": "demo", "lead_ids": ["{lead}"]}, "body.name"),
        (
            "/api/campaigns",
            {"name": "c", "sequence": "demo", "filter": {"metadata": {"k": NUL}}},
            "body.filter.metadata.k",
        ),
        ("/api/leads/{lead}/stop", {"reason": NUL}, "body.reason"),
        (
            "/api/channels",
            {"type": "EMAIL", "provider": "smtp", "name": "n", "config": {"host": NUL}},
            "body.config.host",
        ),
        ("/api/leads", [{"name": "ok", "email": "ok@example.com"}, {"name": NUL}], "body[1].name"),
        ("/api/leads", {"name": "A", "metadata": {NUL: 1}}, "body.metadata.'x\\x00y'"),
    ],
)
async def test_nul_characters_are_a_422_naming_the_field(
    api: httpx.AsyncClient, clean_db: Database, path: str, body: Any, field: str
) -> None:
    lead = await api_lead(api)
    before = await _lead_count(api)
    raw = json.dumps(body).replace("{lead}", lead)
    res = await api.post(
        path.replace("{lead}", lead), content=raw, headers={"Content-Type": "application/json"}
    )
    assert res.status_code == 422, res.text
    assert {"field": field, "message": res.json()["detail"][0]["message"]} in res.json()["detail"]
    assert "NUL" in res.json()["detail"][0]["message"]
    assert await _lead_count(api) == before  # nothing half-stored


async def test_a_lone_surrogate_and_a_nul_in_the_query_are_422s(api: httpx.AsyncClient) -> None:
    res = await api.post(
        "/api/leads",
        content=b'{"name": "\\ud800", "email": "s@example.com"}',
        headers={"Content-Type": "application/json"},
    )
    assert res.status_code == 422
    assert res.json()["detail"] == [{"field": "body.name", "message": "must be valid Unicode text"}]
    res = await api.get("/api/tasks", params={"owner": NUL})
    assert res.status_code == 422
    assert res.json()["detail"][0]["field"] == "query.owner"


async def test_an_oversized_body_is_a_413_declared_or_streamed(
    api: httpx.AsyncClient, clean_db: Database
) -> None:
    rows = [{"name": f"L{i}", "email": f"l{i}@example.com"} for i in range(40_000)]
    raw = json.dumps(rows).encode()
    assert len(raw) > 2_000_000
    res = await api.post("/api/leads", content=raw, headers={"Content-Type": "application/json"})
    assert res.status_code == 413
    assert "POST /api/imports" in res.json()["error"]

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it arrives
        for start in range(0, len(raw), 65536):
            yield raw[start : start + 65536]

    res = await api.post(
        "/api/leads", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert res.status_code == 413
    assert await _lead_count(api) == 0


async def test_a_non_ascii_api_key_is_a_401(api: httpx.AsyncClient) -> None:
    res = await api.get("/api/leads", headers={"Authorization": "Bearer ключ".encode()})
    assert res.status_code == 401
    assert res.json()["error"] == "invalid API key"
