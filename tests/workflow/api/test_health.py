"""/healthz, which needs a Temporal server to report on (split from service/api/test_leads.py)."""

from __future__ import annotations

import httpx


async def test_healthz_reports_database_and_temporal(api: httpx.AsyncClient) -> None:
    res = await api.get("/healthz", headers={"Authorization": ""})
    assert res.status_code == 200
    body = res.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["temporal"]["ok"] is True
