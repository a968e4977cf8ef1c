"""POST/GET/PATCH/DELETE /api/webhook-subscriptions: input rules, and a secret shown once."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlmodel import select

from config.settings import Settings
from models.db import Database
from models.secrets import unseal_value
from models.tables import WebhookSubscription
from tests.service.webhooks_out.conftest import subscribe

URL = "https://crm.example.com/hooks/salespad"


def fields(res: httpx.Response) -> list[str]:
    return [d["field"] for d in res.json()["detail"]]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://crm.example.com/x", "events": ["*"]}, "url"),
        ({"url": "crm.example.com/hooks", "events": ["*"]}, "url"),
        ({"url": "https:///no-host", "events": ["*"]}, "url"),
        ({"url": URL, "events": ["lead.exploded"]}, "events"),
        ({"url": URL, "events": []}, "events"),
        ({"url": URL, "events": "*"}, "events"),
        ({"url": URL, "events": ["*"], "secret": "too-short"}, "secret"),
        ({"url": URL, "events": ["*"], "surprise": 1}, "surprise"),
        ({"events": ["*"]}, "url"),
    ],
)
async def test_bad_input_is_a_422_naming_the_field(
    api: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    res = await api.post("/api/webhook-subscriptions", json=body)
    assert res.status_code == 422, res.text
    assert fields(res) == [field]


async def test_an_unknown_event_names_the_known_ones(api: httpx.AsyncClient) -> None:
    res = await api.post("/api/webhook-subscriptions", json={"url": URL, "events": ["sent"]})
    assert "message.sent" in res.json()["detail"][0]["message"]


async def test_a_generated_secret_is_returned_once_and_stored_sealed(
    api: httpx.AsyncClient, clean_db: Database, settings: Settings
) -> None:
    created = await subscribe(api, URL, ["reply.received", "lead.bounced"], description="CRM")
    secret = created["secret"]
    assert secret.startswith("whsec_") and len(secret) >= 40
    assert created["events"] == ["reply.received", "lead.bounced"]
    assert created["active"] is True

    one = await api.get(f"/api/webhook-subscriptions/{created['id']}")
    listed = await api.get("/api/webhook-subscriptions")
    patched = await api.patch(f"/api/webhook-subscriptions/{created['id']}", json={})
    for res in (one, listed, patched):
        assert res.status_code == 200, res.text
        assert secret not in res.text and "secret" not in res.text
    assert one.json()["url"] == URL

    async with clean_db.session() as session:
        row = (await session.exec(select(WebhookSubscription))).one()
    assert secret not in row.secret
    assert unseal_value(row.secret, settings.secret_key.get_secret_value()) == secret


async def test_a_given_secret_is_kept(api: httpx.AsyncClient, clean_db: Database) -> None:
    created = await subscribe(api, URL, secret="my-own-secret-0123456789")
    assert created["secret"] == "my-own-secret-0123456789"


async def test_patch_changes_what_was_sent_and_checks_it(api: httpx.AsyncClient) -> None:
    created = await subscribe(api, URL, ["*"], description="CRM")
    path = f"/api/webhook-subscriptions/{created['id']}"
    res = await api.patch(path, json={"active": False, "events": ["lead.unsubscribed"]})
    assert res.status_code == 200, res.text
    body = res.json()
    assert (body["active"], body["events"], body["url"]) == (False, ["lead.unsubscribed"], URL)
    assert body["description"] == "CRM"

    res = await api.patch(path, json={"url": "http://127.0.0.1:9/x", "description": None})
    assert (res.json()["url"], res.json()["description"]) == ("http://127.0.0.1:9/x", None)

    bad = await api.patch(path, json={"url": "mailto:ops@example.com"})
    assert bad.status_code == 422 and fields(bad) == ["url"]
    bad = await api.patch(path, json={"secret": "a-new-secret-0123456789"})
    assert bad.status_code == 422 and fields(bad) == ["secret"]


async def test_delete_removes_it(api: httpx.AsyncClient) -> None:
    created = await subscribe(api, URL)
    path = f"/api/webhook-subscriptions/{created['id']}"
    assert (await api.delete(path)).status_code == 204
    assert (await api.get(path)).status_code == 404
    assert (await api.delete(path)).status_code == 404
    assert (await api.get("/api/webhook-subscriptions")).json() == []


async def test_unknown_ids_are_404(api: httpx.AsyncClient) -> None:
    missing = "00000000-0000-0000-0000-000000000000"
    assert (await api.get(f"/api/webhook-subscriptions/{missing}")).status_code == 404
    assert (await api.get(f"/api/webhook-deliveries/{missing}")).status_code == 404
    res = await api.post(f"/api/webhook-deliveries/{missing}/redeliver")
    assert res.status_code == 404
    assert res.json()["error"] == f"webhook delivery {missing} not found"


async def test_the_api_key_is_required(api: httpx.AsyncClient) -> None:
    res = await api.get("/api/webhook-subscriptions", headers={"Authorization": ""})
    assert res.status_code == 401
