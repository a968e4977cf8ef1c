"""A lead's preferred channel: set over the API, learned from the channel it replies on."""

from __future__ import annotations

import httpx

from models.db import Database
from models.enums import EventType
from tests.helpers import events, lead_row


async def _reply(api: httpx.AsyncClient, lead_id: str, channel: str, text: str = "Hi") -> None:
    res = await api.post(
        f"/api/leads/{lead_id}/replies", json={"content": text, "channel": channel}
    )
    assert res.status_code == 200, res.text


async def test_preferred_channel_is_set_checked_and_shown(api: httpx.AsyncClient) -> None:
    created = await api.post(
        "/api/leads",
        json={"name": "Ada", "email": "ada@example.com", "preferred_channel": "whatsapp"},
    )
    assert created.status_code == 201, created.text
    assert created.json()["preferred_channel"] == "WHATSAPP"
    lead_id = created.json()["id"]
    shown = (await api.get(f"/api/leads/{lead_id}")).json()
    assert shown["lead"]["preferred_channel"] == "WHATSAPP"

    # An upsert that does not mention it keeps it; one that does changes it.
    kept = await api.post("/api/leads", json={"name": "Ada", "email": "ada@example.com"})
    assert kept.json()["preferred_channel"] == "WHATSAPP"
    changed = await api.post(
        "/api/leads", json={"name": "Ada", "email": "ada@example.com", "preferred_channel": "SMS"}
    )
    assert changed.json()["preferred_channel"] == "SMS"

    bad = await api.post(
        "/api/leads", json={"name": "Bo", "email": "bo@example.com", "preferred_channel": "FAX"}
    )
    assert bad.status_code == 422
    assert "preferred_channel" in bad.text
    linkedin = await api.post(
        "/api/leads",
        json={"name": "Bo", "email": "bo@example.com", "preferred_channel": "LINKEDIN"},
    )
    assert linkedin.status_code == 422


async def test_a_reply_on_sms_teaches_sms_once(api: httpx.AsyncClient, clean_db: Database) -> None:
    res = await api.post(
        "/api/leads", json={"name": "Ada", "email": "ada@example.com", "phone": "+14155552671"}
    )
    lead_id = res.json()["id"]

    await _reply(api, lead_id, "SMS")
    await _reply(api, lead_id, "SMS", "Still here")

    lead = await lead_row(clean_db, lead_id)
    assert lead.preferred_channel == "SMS"
    [learned] = await events(clean_db, lead.id, EventType.PREFERRED_CHANNEL_LEARNED)
    assert learned.details["channel"] == "SMS"
    assert learned.details["previous"] is None
    timeline = (await api.get(f"/api/leads/{lead_id}")).json()["timeline"]
    assert [e["event_type"] for e in timeline].count("PREFERRED_CHANNEL_LEARNED") == 1


async def test_an_explicit_setting_holds_until_the_lead_replies_elsewhere(
    api: httpx.AsyncClient, clean_db: Database
) -> None:
    res = await api.post(
        "/api/leads",
        json={"name": "Ada", "email": "ada@example.com", "preferred_channel": "WHATSAPP"},
    )
    lead_id = res.json()["id"]

    await _reply(api, lead_id, "WHATSAPP")
    assert await events(clean_db, lead_id, EventType.PREFERRED_CHANNEL_LEARNED) == []

    await _reply(api, lead_id, "LINKEDIN")  # not a channel a sequence sends on by itself
    assert (await lead_row(clean_db, lead_id)).preferred_channel == "WHATSAPP"

    await _reply(api, lead_id, "EMAIL")
    assert (await lead_row(clean_db, lead_id)).preferred_channel == "EMAIL"
    [learned] = await events(clean_db, lead_id, EventType.PREFERRED_CHANNEL_LEARNED)
    assert (learned.details["previous"], learned.details["channel"]) == ("WHATSAPP", "EMAIL")
