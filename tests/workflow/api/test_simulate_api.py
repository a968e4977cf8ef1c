"""POST /api/sequences/{name}/simulate: the same engine and timeline as `salespad simulate`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from config.settings import Settings
from models.db import Database
from salespad.simulate import simulate
from services.simulation.schemas import Simulation, SimulationRun
from tests.conftest import _api


@pytest.fixture
async def sim_api(
    settings: Settings, db: Database, ts_env: WorkflowEnvironment
) -> AsyncIterator[httpx.AsyncClient]:
    async for http in _api(settings, db, ts_env.client, simulator=simulate):
        yield http


async def _refuses(sim: Simulation) -> SimulationRun:
    raise FileNotFoundError("'temporal-test-server' not found")


@pytest.fixture
async def broken_api(
    settings: Settings, db: Database, ts_env: WorkflowEnvironment
) -> AsyncIterator[httpx.AsyncClient]:
    async for http in _api(settings, db, ts_env.client, simulator=_refuses):
        yield http


async def test_demo_without_replies_sends_three_emails(sim_api: httpx.AsyncClient) -> None:
    res = await sim_api.post("/api/sequences/demo/simulate")

    assert res.status_code == 200, res.text
    body = res.json()
    assert body["sequence"] == "demo"
    assert body["timezone"] == "UTC"
    sends = [e for e in body["timeline"] if e["kind"] == "send"]
    assert [(s["step"], s["channel"]) for s in sends] == [(1, "EMAIL"), (3, "EMAIL"), (5, "EMAIL")]
    assert sends[0]["subject"] == "Quick question, Ada"
    assert sends[1]["preview"].startswith("Hi Ada, just bumping")
    assert body["ended"]["outcome"] == "completed"
    assert body["ended"]["sends"] == 3
    assert not any(e["kind"] == "reply" for e in body["timeline"])


async def test_an_out_of_office_reply_pauses_in_the_leads_timezone(
    sim_api: httpx.AsyncClient,
) -> None:
    res = await sim_api.post(
        "/api/sequences/demo/simulate",
        json={
            "replies": [{"step": 1, "content": "I'm out of office until the 14th"}],
            "timezone": "Europe/Paris",
        },
    )

    assert res.status_code == 200, res.text
    body = res.json()
    timeline = body["timeline"]
    kinds = [(e["kind"], e["step"] or e["event"]) for e in timeline]
    reply = kinds.index(("reply", None))
    assert kinds[0] == ("send", 1)
    assert ("event", "INTENT_CLASSIFIED") in kinds[reply:]
    classified = next(e for e in timeline if e["event"] == "INTENT_CLASSIFIED")
    assert classified["detail"] == "out_of_office"
    paused = next(e for e in timeline if e["event"] == "SEQUENCE_PAUSED")
    resumed = next(e for e in timeline if e["event"] == "SEQUENCE_RESUMED")
    step3 = next(e for e in timeline if e["step"] == 3)
    at = {k: datetime.fromisoformat(v["at"]) for k, v in (("p", paused), ("r", resumed))}
    assert (at["r"] - at["p"]).days >= 1
    assert datetime.fromisoformat(step3["at"]) >= at["r"]
    # Every entry in UTC and in the lead's zone (CET/CEST), the same instant.
    for entry in timeline:
        local = datetime.fromisoformat(entry["local"])
        assert local == datetime.fromisoformat(entry["at"])
        assert local.utcoffset() is not None and local.utcoffset().total_seconds() in (3600, 7200)
        assert " CE" in entry["local_display"]
    assert body["ended"]["outcome"] == "completed"
    assert body["ended"]["days"] >= 1


async def test_an_unknown_sequence_is_404_listing_the_known_ones(
    broken_api: httpx.AsyncClient,
) -> None:
    res = await broken_api.post("/api/sequences/nope/simulate", json={})

    assert res.status_code == 404
    body = res.json()
    assert "nope" in body["error"]
    assert {"demo", "cold-outbound", "multichannel"} <= set(body["detail"]["known"])


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"replies": [{"step": 0, "content": "hi"}]}, "replies.0.step"),
        ({"replies": [{"step": 99, "content": "hi"}]}, "replies.0.step"),
        ({"replies": [{"step": 1, "content": "   "}]}, "replies.0.content"),
        ({"tasks": "maybe"}, "tasks"),
        ({"preferred_channel": "fax"}, "preferred_channel"),
        ({"start": "2001-01-01T00:00:00Z"}, "start"),
        ({"start": "2030-01-01T00:00:00"}, "start"),
        ({"when": "now"}, "when"),
    ],
)
async def test_bad_input_is_422_naming_the_field(
    broken_api: httpx.AsyncClient, payload: dict[str, object], field: str
) -> None:
    res = await broken_api.post("/api/sequences/demo/simulate", json=payload)

    assert res.status_code == 422, res.text
    assert field in [d["field"] for d in res.json()["detail"]]


async def test_a_simulator_that_cannot_start_is_503(broken_api: httpx.AsyncClient) -> None:
    res = await broken_api.post("/api/sequences/demo/simulate")

    assert res.status_code == 503
    body = res.json()
    assert "could not run" in body["error"]
    assert "temporal-test-server" in body["detail"]


async def test_a_later_start_enrolls_the_lead_then(sim_api: httpx.AsyncClient) -> None:
    start = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)

    res = await sim_api.post(
        "/api/sequences/demo/simulate", json={"start": start.isoformat(), "timezone": "Asia/Tokyo"}
    )

    assert res.status_code == 200, res.text
    first = res.json()["timeline"][0]
    assert first["step"] == 1
    assert start <= datetime.fromisoformat(first["at"]) < start + timedelta(minutes=5)
    assert first["local"].endswith("+09:00")
