"""Pacing set over REST takes effect on the next send."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest
from pydantic import SecretStr
from sqlmodel import select

from config.settings import Settings
from models.db import Database
from models.enums import EventType
from models.secrets import SecretError
from models.tables import Channel
from services.channels.wiring import build_channels
from tests.helpers import api_campaign, count_events, eventually


async def test_pacing_is_validated_and_applied(api: httpx.AsyncClient, clean_db: Database) -> None:
    bad = await api.put(
        "/api/channels/EMAIL/pacing", json={"daily_cap": 0, "send_window": {"start": "9am"}}
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["detail"]} == {"daily_cap", "send_window.start"}
    huge = await api.put("/api/channels/EMAIL/pacing", json={"daily_cap": 10**30})
    assert huge.status_code == 422
    assert [e["field"] for e in huge.json()["detail"]] == ["daily_cap"]

    ok = await api.put("/api/channels/EMAIL/pacing", json={"daily_cap": 1})
    assert ok.status_code == 200, ok.text
    assert [(c["type"], c["daily_cap"]) for c in ok.json()] == [("EMAIL", 1)]

    ids = []
    for n in range(2):
        res = await api.post("/api/leads", json={"name": f"L{n}", "email": f"l{n}@example.com"})
        ids.append(res.json()["id"])
    await api_campaign(api, ids)

    async def one_sent_one_deferred() -> bool:
        sent = [await count_events(clean_db, uuid.UUID(i), EventType.EMAIL_SENT) for i in ids]
        deferred = [
            await count_events(clean_db, uuid.UUID(i), EventType.SEND_DEFERRED) for i in ids
        ]
        return sorted(sent) == [0, 1] and sorted(deferred) == [0, 1]

    await eventually(one_sent_one_deferred)


async def test_provider_secrets_are_encrypted_at_rest_and_never_returned(
    api: httpx.AsyncClient, clean_db: Database, settings: Settings
) -> None:
    missing = await api.post(
        "/api/channels", json={"type": "EMAIL", "provider": "sendgrid", "config": {}}
    )
    assert missing.status_code == 422
    assert {e["field"] for e in missing.json()["detail"]} == {
        "config.api_key",
        "config.from_email",
    }
    wrong = await api.post(
        "/api/channels", json={"type": "SMS", "provider": "sendgrid", "config": {}}
    )
    assert wrong.status_code == 422
    assert wrong.json()["detail"][0]["field"] == "provider"

    res = await api.post(
        "/api/channels",
        json={
            "type": "EMAIL",
            "provider": "sendgrid",
            "config": {"api_key": "SG.very-secret", "from_email": "ada@salespad.example"},
        },
    )
    assert res.status_code == 200, res.text
    assert res.json()["config"] == {"api_key": "********", "from_email": "ada@salespad.example"}
    assert "very-secret" not in (await api.get("/api/channels")).text

    async with clean_db.session() as session:
        rows = list((await session.exec(select(Channel))).all())
    [row] = [r for r in rows if r.provider == "sendgrid"]
    assert row.config["api_key"].startswith("enc:v1:")
    assert "very-secret" not in json.dumps(row.config)

    channels = build_channels(settings, rows)  # the worker decrypts with the same secret key
    assert channels.for_type("EMAIL").provider == "sendgrid"
    other_key = settings.model_copy(update={"secret_key": SecretStr("another-key-" * 3)})
    with pytest.raises(SecretError, match="SALESPAD_SECRET_KEY"):
        build_channels(other_key, rows)


async def test_smtp_configured_over_the_api_serves_email(
    api: httpx.AsyncClient, clean_db: Database, settings: Settings
) -> None:
    res = await api.post(
        "/api/channels",
        json={
            "type": "EMAIL",
            "provider": "smtp",
            "config": {
                "host": "127.0.0.1",
                "port": 2525,
                "from_email": "ada@salespad.example",
                "username": "ada",
                "password": "smtp-secret",
            },
        },
    )
    assert res.status_code == 200, res.text
    assert res.json()["config"]["password"] == "********"
    async with clean_db.session() as session:
        rows = list((await session.exec(select(Channel))).all())
    assert build_channels(settings, rows).for_type("EMAIL").provider == "smtp"
