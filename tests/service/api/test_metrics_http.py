"""GET /metrics: its token, request ids, and HTTP latency by route template (no Temporal)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr
from temporalio.client import Client

from config.settings import Settings
from models.db import Database
from tests.conftest import _api
from tests.fakes.gateway import RecordingGateway
from tests.helpers import api_lead

TOKEN = "metrics-token-0123456789"


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one series in Prometheus text (0 if absent)."""
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        series, _, value = line.rpartition(" ")
        if series.split("{")[0] != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', series))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(value)
    return 0.0


@pytest.fixture
def settings(database_url: str, task_queue: str) -> Settings:
    from tests.conftest import make_settings

    return make_settings(database_url, task_queue).model_copy(
        update={"metrics_token": SecretStr(TOKEN), "metrics_cache_seconds": 0}
    )


@pytest.fixture
async def api(
    settings: Settings, clean_db: Database, no_temporal: Client, gateway: RecordingGateway
) -> AsyncIterator[httpx.AsyncClient]:
    async for http in _api(settings, clean_db, no_temporal, gateway):
        yield http


async def test_metrics_want_the_token_when_one_is_set(api: httpx.AsyncClient) -> None:
    # The API key is not the metrics token.
    assert (await api.get("/metrics")).status_code == 401
    res = await api.get("/metrics", headers={"Authorization": "Bearer wrong"})
    assert res.status_code == 401
    assert res.headers["www-authenticate"] == "Bearer"
    assert "SALESPAD_METRICS_TOKEN" in res.json()["detail"]
    res = await api.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert res.status_code == 200
    assert res.headers["content-type"].startswith("text/plain")
    assert "salespad_sends_total" in res.text
    assert sample(res.text, "salespad_event_log_up") == 1


async def test_metrics_are_open_without_a_token(
    settings: Settings, clean_db: Database, no_temporal: Client, gateway: RecordingGateway
) -> None:
    open_settings = settings.model_copy(update={"metrics_token": None})
    async for http in _api(open_settings, clean_db, no_temporal, gateway):
        res = await http.get("/metrics", headers={"Authorization": ""})
        assert res.status_code == 200
        assert sample(res.text, "salespad_enrollments_total") == 0


async def test_a_request_id_is_made_or_reused_and_returned(api: httpx.AsyncClient) -> None:
    made = await api.get("/healthz")
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["x-request-id"])
    assert (await api.get("/healthz")).headers["x-request-id"] != made.headers["x-request-id"]
    reused = await api.get("/api/leads", headers={"X-Request-ID": "lb-7f3a.42"})
    assert reused.headers["x-request-id"] == "lb-7f3a.42"
    # Not sane (spaces, quotes, too long): replaced, never echoed.
    for bad in ['a "quoted" id', "x" * 200]:
        res = await api.get("/healthz", headers={"X-Request-ID": bad})
        assert res.headers["x-request-id"] != bad
        assert re.fullmatch(r"[0-9a-f]{32}", res.headers["x-request-id"])
    # Errors carry it too.
    missing = await api.get("/api/leads/not-a-uuid", headers={"X-Request-ID": "err-1"})
    assert missing.status_code == 422
    assert missing.headers["x-request-id"] == "err-1"


async def test_http_latency_is_counted_by_route_template_and_status(
    api: httpx.AsyncClient,
) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    before = (await api.get("/metrics", headers=auth)).text
    lead = await api_lead(api)
    assert (await api.get(f"/api/leads/{lead}")).status_code == 200
    assert (await api.get("/api/leads/00000000-0000-0000-0000-000000000000")).status_code == 404
    # The dashboard's fallback answers any other path (its client-side routes).
    assert (await api.get("/no/such/path/for/scanners")).status_code == 200
    after = (await api.get("/metrics", headers=auth)).text

    def delta(**labels: str) -> float:
        name = "salespad_http_request_duration_seconds_count"
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert delta(method="GET", route="/api/leads/{lead_id}", status="200") == 1
    assert delta(method="GET", route="/api/leads/{lead_id}", status="404") == 1
    assert delta(method="POST", route="/api/leads", status="201") == 1
    assert delta(method="GET", route="unmatched", status="200") == 1
    # No raw path becomes a label.
    assert "/no/such/path" not in after
    assert "/api/leads/" + lead not in after
