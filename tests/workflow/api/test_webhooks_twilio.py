"""Twilio webhooks: signed like Twilio signs them, against the real database and workflows."""

from __future__ import annotations

import uuid

import httpx
import pytest
from pydantic import SecretStr
from sqlmodel import select
from twilio.request_validator import RequestValidator

from config.settings import Settings
from models.db import Database
from models.enums import DeliveryStatus, Direction, EventType
from models.tables import Message, Suppression
from tests.fakes.webhooks import (
    PUBLIC_URL,
    TWILIO_SID,
    snapshot,
    twilio_signed,
    webhook_settings,
)
from tests.helpers import add_lead, events, lead_row

PHONE = "+14155552671"
INBOUND = "/webhooks/twilio/inbound"
STATUS = "/webhooks/twilio/status"


@pytest.fixture
def settings(database_url: str, task_queue: str) -> Settings:
    return webhook_settings(database_url, task_queue)


def incoming(body: str, sender: str = f"whatsapp:{PHONE}", sid: str = "SM" + "1" * 32) -> dict:  # type: ignore[type-arg]
    """The parameters Twilio posts for an incoming message."""
    return {
        "ToCountry": "US",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "SmsSid": sid,
        "SmsStatus": "received",
        "Body": body,
        "To": "whatsapp:+14155550123",
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": TWILIO_SID,
        "From": sender,
        "ApiVersion": "2010-04-01",
    }


async def _post(
    api: httpx.AsyncClient, path: str, params: dict[str, str], **sign: str
) -> httpx.Response:
    headers = {**twilio_signed(path, params, **sign), "Authorization": ""}
    return await api.post(path, data=params, headers=headers)


async def _suppressed_phones(db: Database) -> list[str | None]:
    async with db.session() as session:
        return [s.phone for s in (await session.exec(select(Suppression))).all()]


@pytest.mark.parametrize("keyword", ["STOP", " stop ", "Unsubscribe", "optout"])
async def test_stop_suppresses_the_number_and_unsubscribes_the_lead(
    api: httpx.AsyncClient, clean_db: Database, keyword: str
) -> None:
    lead = await add_lead(clean_db, phone=PHONE, status="OUTREACHED")
    res = await _post(api, INBOUND, incoming(keyword))
    assert res.status_code == 200, res.text
    assert res.headers["content-type"].startswith("text/xml")
    assert res.text.endswith("<Response/>")
    assert (await lead_row(clean_db, lead.id)).status == "UNSUBSCRIBED"
    assert await _suppressed_phones(clean_db) == [PHONE]

    before = await snapshot(clean_db)
    assert (await _post(api, INBOUND, incoming(keyword))).status_code == 200  # redelivery
    assert await snapshot(clean_db) == before
    assert len(await events(clean_db, lead.id, EventType.UNSUBSCRIBED)) == 1


async def test_a_reply_from_a_known_number_is_recorded_once(
    api: httpx.AsyncClient, clean_db: Database
) -> None:
    lead = await add_lead(clean_db, phone=PHONE, status="OUTREACHED")
    params = incoming("Yes please, call me tomorrow")
    assert (await _post(api, INBOUND, params)).status_code == 200
    assert (await _post(api, INBOUND, params)).status_code == 200
    [reply] = await events(clean_db, lead.id, EventType.REPLY_RECEIVED)
    assert reply.details["channel"] == "WHATSAPP"
    assert reply.details["provider_message_id"] == params["MessageSid"]
    assert (await lead_row(clean_db, lead.id)).status == "REPLIED"


async def test_an_unknown_number_is_kept_for_ops(
    api: httpx.AsyncClient, clean_db: Database
) -> None:
    res = await _post(api, INBOUND, incoming("hello?", sender="+447911123456"))
    assert res.status_code == 200
    [item] = (await api.get("/api/ops/unmatched")).json()["items"]
    assert item["channel"] == "SMS"
    assert item["sender"] == "+447911123456"
    assert item["content"] == "hello?"


@pytest.mark.parametrize("forgery", ["wrong token", "other url", "changed body", "unsigned"])
async def test_bad_signatures_are_refused_and_change_nothing(
    api: httpx.AsyncClient, clean_db: Database, forgery: str
) -> None:
    await add_lead(clean_db, phone=PHONE, status="OUTREACHED")
    params = incoming("STOP")
    headers = twilio_signed(INBOUND, params)
    if forgery == "wrong token":
        headers = twilio_signed(INBOUND, params, token="not-the-token")
    elif forgery == "other url":
        headers = twilio_signed(STATUS, params)
    elif forgery == "changed body":
        params = {**params, "From": "whatsapp:+14155559999"}
    else:
        headers = {}
    before = await snapshot(clean_db)
    res = await api.post(INBOUND, data=params, headers={**headers, "Authorization": ""})
    assert res.status_code == 403, res.text
    assert await snapshot(clean_db) == before


async def _outbound_sms(db: Database, lead_id: uuid.UUID, sid: str) -> Message:
    message = Message(
        lead_id=lead_id,
        direction=Direction.OUTBOUND,
        content="Hi Ada, quick question?",
        provider_message_id=sid,
        idempotency_key=f"lead-{lead_id}:enrollment-e:{sid}",
        delivery_status=DeliveryStatus.SENT,
    )
    async with db.session() as session:
        session.add(message)
        await session.commit()
    return message


def status(sid: str, state: str, error_code: str | None = None) -> dict[str, str]:
    params = {
        "MessageSid": sid,
        "SmsSid": sid,
        "MessageStatus": state,
        "SmsStatus": state,
        "AccountSid": TWILIO_SID,
        "From": "+14155550123",
        "To": PHONE,
        "ApiVersion": "2010-04-01",
    }
    if error_code:
        params["ErrorCode"] = error_code
    return params


async def test_status_callbacks_update_the_message_once(
    api: httpx.AsyncClient, clean_db: Database
) -> None:
    lead = await add_lead(clean_db, phone=PHONE, status="OUTREACHED")
    sid = "SM" + "2" * 32
    message = await _outbound_sms(clean_db, lead.id, sid)
    for state in ("queued", "sent", "delivered", "delivered"):
        res = await _post(api, STATUS, status(sid, state))
        assert res.status_code == 204, res.text
    [delivered] = await events(clean_db, lead.id, EventType.DELIVERED)
    assert delivered.details["message_id"] == str(message.id)
    async with clean_db.session() as session:
        stored = await session.get(Message, message.id)
    assert stored is not None and stored.delivery_status == DeliveryStatus.DELIVERED


async def test_undelivered_is_recorded_and_21610_suppresses(
    api: httpx.AsyncClient, clean_db: Database
) -> None:
    lead = await add_lead(clean_db, phone=PHONE, status="OUTREACHED")
    first, second = "SM" + "3" * 32, "SM" + "4" * 32
    await _outbound_sms(clean_db, lead.id, first)
    await _post(api, STATUS, status(first, "undelivered", "30003"))
    [failed] = await events(clean_db, lead.id, EventType.DELIVERY_FAILED)
    assert failed.details["error_code"] == "30003"
    assert (await lead_row(clean_db, lead.id)).status == "OUTREACHED"

    await _outbound_sms(clean_db, lead.id, second)
    await _post(api, STATUS, status(second, "failed", "21610"))
    await _post(api, STATUS, status(second, "failed", "21610"))
    assert (await lead_row(clean_db, lead.id)).status == "UNSUBSCRIBED"
    assert await _suppressed_phones(clean_db) == [PHONE]
    assert len(await events(clean_db, lead.id, EventType.UNSUBSCRIBED)) == 1


async def test_signature_is_checked_against_the_public_url_with_its_query(
    api: httpx.AsyncClient, clean_db: Database
) -> None:
    """Behind a proxy the app sees another host; Twilio signed SALESPAD_PUBLIC_URL."""
    path = f"{INBOUND}?tenant=acme"
    params = incoming("hello", sender="+447911123456")
    res = await api.post(
        path, data=params, headers={**twilio_signed(path, params), "Authorization": ""}
    )
    assert res.status_code == 200, res.text


async def test_a_webhook_rule_may_sign_with_a_shared_key(
    api: httpx.AsyncClient, clean_db: Database, settings: Settings
) -> None:
    """Twilio's Webhook Rules sign with a SharedKey and name the algorithm in a header."""
    params = incoming("hello", sender="+447911123456")
    rule = {
        "X-Twilio-Webhooks-Signature-Settings": "key=webhooks_sharedkey_1,algorithm=HMAC_SHA256"
    }
    shared = RequestValidator("the-shared-key").compute_signature(
        PUBLIC_URL + INBOUND, params, "HMAC_SHA256"
    )
    signed = {**rule, "X-Twilio-Signature": shared, "Authorization": ""}

    unconfigured = await api.post(INBOUND, data=params, headers=signed)
    assert unconfigured.status_code == 503  # ours to fix; Twilio tries its fallback URL

    settings.twilio.webhook_shared_key = SecretStr("the-shared-key")
    assert (await api.post(INBOUND, data=params, headers=signed)).status_code == 200
    # With the rule's header, the Auth Token signature no longer counts.
    token_signed = {**rule, **twilio_signed(INBOUND, params), "Authorization": ""}
    assert (await api.post(INBOUND, data=params, headers=token_signed)).status_code == 403


async def test_a_json_body_without_its_hash_is_refused_not_a_500(api: httpx.AsyncClient) -> None:
    for path in (INBOUND, STATUS):
        params = incoming("hi")
        headers = {**twilio_signed(path, params), "Authorization": ""}
        res = await api.post(path, json=params, headers=headers)
        assert res.status_code == 403, res.text
        assert "bodySHA256" in res.json()["error"]
        signed_json = await api.post(f"{path}?bodySHA256=00", json=params, headers=headers)
        assert signed_json.status_code == 403
