"""POST /webhooks/leads: signed lead capture, upsert, replay, enrollment into a campaign."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import func
from sqlmodel import select

from config.settings import Settings
from models.db import Database
from models.enums import EventType
from models.tables import Campaign, EventLog, Lead
from services.errors import ServiceUnavailable
from tests.conftest import _api, make_settings
from tests.fakes.gateway import RecordingGateway
from tests.helpers import api_lead, enrolled_campaign_now, events

SECRET = "lead-capture-test-secret-0123456789abcdef"
NO_KEY = {"Authorization": ""}  # a webhook never needs the API key


@pytest.fixture
def settings(database_url: str, task_queue: str) -> Settings:
    configured = make_settings(database_url, task_queue)
    return configured.model_copy(update={"lead_capture_secret": SecretStr(SECRET)})


def signed(body: bytes, *, at: float | None = None, secret: str = SECRET) -> dict[str, str]:
    t = str(int(time.time() if at is None else at))
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return {
        **NO_KEY,
        "Content-Type": "application/json",
        "X-SalesPad-Signature": f"t={t},sha256={mac}",
    }


async def post(api: httpx.AsyncClient, payload: Any, **sign: Any) -> httpx.Response:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return await api.post("/webhooks/leads", content=body, headers=signed(body, **sign))


async def lead_count(db: Database) -> int:
    async with db.session() as session:
        return (await session.exec(select(func.count()).select_from(Lead))).one()


async def event_count(db: Database) -> int:
    async with db.session() as session:
        return (await session.exec(select(func.count()).select_from(EventLog))).one()


ADA = {"name": "Ada Lovelace", "email": "Ada@Example.com", "company": "AE", "metadata": {"f": 1}}


async def test_a_signed_lead_is_stored_and_its_exact_replay_changes_nothing(
    api: httpx.AsyncClient, clean_db: Database
) -> None:
    body = json.dumps(ADA).encode()
    headers = signed(body)
    first = await api.post("/webhooks/leads", content=body, headers=headers)
    assert first.status_code == 201, first.text
    assert first.json()["created"] is True
    lead_id = uuid.UUID(first.json()["lead_id"])
    async with clean_db.session() as session:
        lead = await session.get(Lead, lead_id)
        assert lead is not None
        assert (lead.email, lead.company, lead.meta) == ("ada@example.com", "AE", {"f": 1})
    [created] = await events(clean_db, lead_id, EventType.LEAD_CREATED)
    assert created.details == {"source": "lead_capture"}

    replay = await api.post("/webhooks/leads", content=body, headers=headers)
    assert replay.status_code == 200, replay.text
    assert replay.json() == {**first.json(), "created": False}
    assert await lead_count(clean_db) == 1
    assert [e.event_type for e in await events(clean_db, lead_id)] == [EventType.LEAD_CREATED]

    # A later post with news updates the same lead, as POST /api/leads does.
    update = await post(api, {"name": "Ada King", "email": "ada@example.com"})
    assert update.status_code == 200, update.text
    assert update.json()["lead_id"] == str(lead_id)
    assert [e.event_type for e in await events(clean_db, lead_id)] == [
        EventType.LEAD_CREATED,
        EventType.LEAD_UPDATED,
    ]
    listing = (await api.get("/api/leads")).json()
    assert [(i["name"], i["company"]) for i in listing["items"]] == [("Ada King", "AE")]


async def test_a_lead_without_email_is_upserted_by_phone(
    api: httpx.AsyncClient, clean_db: Database
) -> None:
    first = await post(api, {"name": "Bo", "phone": "+44 20 7946 0958"})
    assert first.status_code == 201, first.text
    again = await post(api, {"name": "Bo B", "phone": "+442079460958"})
    assert again.status_code == 200, again.text
    assert again.json()["lead_id"] == first.json()["lead_id"]
    assert await lead_count(clean_db) == 1


def _tampered(headers: dict[str, str]) -> dict[str, str]:
    sig = headers["X-SalesPad-Signature"]
    flipped = sig[:-1] + ("0" if sig[-1] != "0" else "1")
    return {**headers, "X-SalesPad-Signature": flipped}


@pytest.mark.parametrize(
    "case",
    [
        "wrong secret",
        "one character off",
        "body changed",
        "timestamp changed",
        "missing header",
        "no timestamp",
        "no signature",
        "garbage header",
        "330 s old",
        "330 s ahead",
    ],
)
async def test_a_forged_stale_or_missing_signature_is_403_and_stores_nothing(
    api: httpx.AsyncClient, clean_db: Database, case: str
) -> None:
    body = json.dumps(ADA).encode()
    now = time.time()
    headers = signed(body, at=now)
    t, _, mac = headers["X-SalesPad-Signature"].partition(",")
    sent = body
    if case == "wrong secret":
        headers = signed(body, at=now, secret="another-secret")
    elif case == "one character off":
        headers = _tampered(headers)
    elif case == "body changed":
        sent = json.dumps({**ADA, "name": "Mallory"}).encode()
    elif case == "timestamp changed":
        headers["X-SalesPad-Signature"] = f"t={int(now) - 1},{mac}"
    elif case == "missing header":
        del headers["X-SalesPad-Signature"]
    elif case == "no timestamp":
        headers["X-SalesPad-Signature"] = mac
    elif case == "no signature":
        headers["X-SalesPad-Signature"] = t
    elif case == "garbage header":
        headers["X-SalesPad-Signature"] = "t=soon,sha256=zz"
    # Well outside the 300 s tolerance: whole-second timestamps and a slow run cannot pull a
    # stale request back inside it.
    elif case == "330 s old":
        headers = signed(body, at=now - 330)
    elif case == "330 s ahead":
        headers = signed(body, at=now + 330)
    res = await api.post("/webhooks/leads", content=sent, headers=headers)
    assert res.status_code == 403, res.text
    assert set(res.json()) == {"error", "detail"}
    assert "X-SalesPad-Signature" in res.json()["error"] or "300 s" in res.json()["error"]
    assert await lead_count(clean_db) == 0
    assert await event_count(clean_db) == 0


async def test_a_timestamp_inside_the_window_is_accepted(api: httpx.AsyncClient) -> None:
    old = await post(api, ADA, at=time.time() - 290)
    assert old.status_code == 201, old.text
    ahead = await post(api, {**ADA, "email": "b@example.com"}, at=time.time() + 290)
    assert ahead.status_code == 201, ahead.text


async def test_unconfigured_lead_capture_is_503_and_accepts_nothing(
    database_url: str,
    task_queue: str,
    clean_db: Database,
    no_temporal: Any,
    gateway: RecordingGateway,
) -> None:
    unconfigured = make_settings(database_url, task_queue)
    assert unconfigured.lead_capture_secret is None
    async for http in _api(unconfigured, clean_db, no_temporal, gateway):
        body = json.dumps(ADA).encode()
        for headers in (signed(body), {**NO_KEY, "Content-Type": "application/json"}):
            res = await http.post("/webhooks/leads", content=body, headers=headers)
            assert res.status_code == 503, res.text
            assert res.json()["error"] == "lead capture is not configured"
    assert await lead_count(clean_db) == 0


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        (b"{not json", ["body"]),
        (b'{"name": "A", "email": "a@example.com", "metadata": {"x": NaN}}', ["body"]),
        (b"\xff\xfe", ["body"]),
        (b'["a list"]', ["body"]),
        ({"name": "X", "email": "not-an-email"}, ["email"]),
        ({"name": "X"}, ["body"]),  # neither email nor phone
        ({"name": "N\x00L", "email": "a@example.com"}, ["name"]),
        ({"name": "A", "email": "a@example.com", "metadata": {"k": "v\x00"}}, ["metadata"]),
        ({"name": "A", "email": "a@example.com", "company": "\ud800"}, ["company"]),
        ({"name": "A", "email": "a@example.com", "favourite": "colour"}, ["favourite"]),
        ({"name": "A", "email": "a@example.com", "campaign": 7}, ["campaign"]),
        ({"name": "A", "email": "a@example.com", "campaign": "c\x00"}, ["campaign"]),
        ({"name": "A", "email": "bad", "campaign": ""}, ["campaign", "email"]),
    ],
)
async def test_invalid_bodies_are_422_naming_the_field_and_store_nothing(
    api: httpx.AsyncClient, clean_db: Database, payload: Any, fields: list[str]
) -> None:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    res = await api.post("/webhooks/leads", content=body, headers=signed(body))
    assert res.status_code == 422, res.text
    assert [e["field"] for e in res.json()["detail"]] == fields
    assert await lead_count(clean_db) == 0


async def test_an_unknown_or_ambiguous_campaign_is_422_and_stores_nothing(
    api: httpx.AsyncClient, clean_db: Database, gateway: RecordingGateway
) -> None:
    other = await api_lead(api, "other@example.com")
    await enrolled_campaign_now(api, gateway, clean_db, [other], name="twice")
    await enrolled_campaign_now(api, gateway, clean_db, [other], name="twice")
    before = await lead_count(clean_db)
    for ref, says in [
        ("spring-promo", "no campaign has the id or name 'spring-promo'"),
        (str(uuid.uuid4()), "no campaign has the id or name"),
        ("twice", "2 campaigns are named 'twice': use the campaign id"),
    ]:
        res = await post(api, {**ADA, "campaign": ref})
        assert res.status_code == 422, res.text
        assert res.json()["detail"][0]["field"] == "campaign"
        assert says in res.json()["error"]
    assert await lead_count(clean_db) == before


async def test_a_named_campaign_enrolls_the_lead_once(
    api: httpx.AsyncClient, clean_db: Database, gateway: RecordingGateway
) -> None:
    seed = await api_lead(api, "seed@example.com")
    campaign = await enrolled_campaign_now(api, gateway, clean_db, [seed], name="spring-promo")
    assert [s.input.lead_id for s in gateway.started] == [seed]

    body = json.dumps({**ADA, "campaign": "spring-promo"}).encode()
    headers = signed(body)
    first = await api.post("/webhooks/leads", content=body, headers=headers)
    assert first.status_code == 201, first.text
    lead_id = first.json()["lead_id"]
    assert first.json() == {
        "lead_id": lead_id,
        "created": True,
        "campaign_id": campaign["id"],
        "enrolled": True,
        "skipped_reason": None,
    }
    assert [s.input.lead_id for s in gateway.started] == [seed, lead_id]
    start = gateway.started[-1]
    assert (start.input.campaign_id, start.lead_email) == (campaign["id"], "ada@example.com")
    async with clean_db.session() as session:
        snapshot = await session.get(Campaign, uuid.UUID(campaign["id"]))
        assert snapshot is not None
    assert start.input.spec.version == snapshot.sequence_version

    replay = await api.post("/webhooks/leads", content=body, headers=headers)
    assert replay.status_code == 200, replay.text
    assert replay.json()["enrolled"] is False
    assert replay.json()["skipped_reason"] == "already in campaign"
    assert len(gateway.started) == 2
    kinds = [e.event_type for e in await events(clean_db, uuid.UUID(lead_id))]
    assert kinds == [EventType.LEAD_CREATED, EventType.ENROLLED]

    by_id = await post(
        api, {"name": "Grace", "email": "grace@example.com", "campaign": campaign["id"]}
    )
    assert by_id.status_code == 201, by_id.text
    assert by_id.json()["enrolled"] is True
    assert gateway.started[-1].input.lead_id == by_id.json()["lead_id"]


async def test_a_paused_campaign_keeps_the_lead_but_does_not_enroll_it(
    api: httpx.AsyncClient, clean_db: Database, gateway: RecordingGateway
) -> None:
    campaign = await enrolled_campaign_now(
        api, gateway, clean_db, [await api_lead(api, "seed@example.com")], name="held"
    )
    async with clean_db.session() as session:
        row = await session.get(Campaign, uuid.UUID(campaign["id"]))
        assert row is not None
        row.state = "paused"
        await session.commit()
    res = await post(api, {**ADA, "campaign": "held"})
    assert res.status_code == 201, res.text
    assert (res.json()["enrolled"], res.json()["skipped_reason"]) == (False, "campaign is paused")
    assert len(gateway.started) == 1


async def test_temporal_down_with_a_campaign_is_503_before_anything_is_stored(
    api: httpx.AsyncClient,
    clean_db: Database,
    gateway: RecordingGateway,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    campaign = await enrolled_campaign_now(
        api, gateway, clean_db, [await api_lead(api, "seed@example.com")], name="live"
    )
    before = await lead_count(clean_db)

    async def unreachable() -> None:
        raise ServiceUnavailable("Temporal is not reachable")

    monkeypatch.setattr(gateway, "ensure_connected", unreachable)
    res = await post(api, {**ADA, "campaign": campaign["id"]})
    assert res.status_code == 503, res.text
    assert await lead_count(clean_db) == before
    without_campaign = await post(api, ADA)
    assert without_campaign.status_code == 201, without_campaign.text
