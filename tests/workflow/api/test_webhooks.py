"""SendGrid Inbound Parse end to end: the real app, database and workflows (time-skipping)."""

from __future__ import annotations

import base64
import uuid

import httpx
import pytest
from sqlmodel import select
from temporalio.testing import WorkflowEnvironment

from adapters.channels.email import message_id_for
from config.settings import Settings
from models.db import Database
from models.enums import DeliveryStatus, Direction, EventType
from models.tables import EventLog, Message
from tests.fakes.webhooks import (
    INBOUND_TOKEN,
    inbound_fields,
    multipart,
    post_inbound,
    snapshot,
    webhook_settings,
)
from tests.helpers import api_lead, events, eventually, lead_row, outbound, run_to_end


@pytest.fixture
def settings(database_url: str, task_queue: str) -> Settings:
    return webhook_settings(database_url, task_queue)


async def _inbound(db: Database, lead_id: uuid.UUID) -> list[str]:
    rows = await events(db, lead_id, EventType.REPLY_RECEIVED)
    return [str(e.details["provider_message_id"]) for e in rows]


async def _enrolled_and_emailed(api: httpx.AsyncClient, db: Database) -> uuid.UUID:
    """A lead in a `demo` campaign whose first email has gone out."""
    lead_id = uuid.UUID(await api_lead(api))
    res = await api.post(
        "/api/campaigns", json={"name": "c", "sequence": "demo", "lead_ids": [str(lead_id)]}
    )
    assert res.status_code == 202, res.text

    async def first_sent() -> bool:
        return len(await events(db, lead_id, EventType.EMAIL_SENT)) == 1

    await eventually(first_sent)
    return lead_id


async def test_reply_threads_back_by_in_reply_to_and_stops_the_sequence(
    api: httpx.AsyncClient, ts_env: WorkflowEnvironment, clean_db: Database
) -> None:
    lead_id = await _enrolled_and_emailed(api, clean_db)
    [first] = await outbound(clean_db, lead_id)
    assert first.idempotency_key is not None
    # Answered from another address (an assistant): only the thread can find the lead.
    fields = inbound_fields(
        sender="Ada's Assistant <assistant@other.example>",
        text="Yes, interested. Let's talk Tuesday.\n\nOn Mon, Ada wrote:\n> Quick question",
        in_reply_to=message_id_for(first.idempotency_key),
    )
    res = await post_inbound(api, fields)
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["status"] == "recorded"
    assert body["matched_by"] == "thread"
    assert body["lead_id"] == str(lead_id)
    assert body["duplicate"] is False

    again = await post_inbound(api, fields)  # SendGrid redelivers
    assert again.status_code == 200
    assert again.json()["duplicate"] is True

    await run_to_end(ts_env, ts_env.client.get_workflow_handle(f"lead-{lead_id}"))
    assert len(await outbound(clean_db, lead_id)) == 1
    assert await _inbound(clean_db, lead_id) == ["<reply-1@mail.example.com>"]
    assert (await lead_row(clean_db, lead_id)).status == "REPLIED"
    detail = (await api.get(f"/api/leads/{lead_id}")).json()
    [reply] = [t for t in detail["timeline"] if t["direction"] == "INBOUND"]
    assert reply["content"] == "Yes, interested. Let's talk Tuesday."  # quoted history cut


async def test_reply_without_thread_headers_matches_the_sender_case_insensitively(
    api: httpx.AsyncClient, clean_db: Database
) -> None:
    lead_id = uuid.UUID(await api_lead(api))
    res = await post_inbound(api, inbound_fields(sender="Ada <ADA@Example.COM>"))
    assert res.status_code == 200, res.text
    assert res.json()["matched_by"] == "sender"
    assert (await lead_row(clean_db, lead_id)).status == "REPLIED"


async def test_a_reference_further_up_the_thread_still_matches(
    api: httpx.AsyncClient, clean_db: Database
) -> None:
    lead_id = uuid.UUID(await api_lead(api))
    async with clean_db.session() as session:
        session.add(
            Message(
                lead_id=lead_id,
                direction=Direction.OUTBOUND,
                content="intro",
                idempotency_key="lead-x:enrollment-y:step-1",
                delivery_status=DeliveryStatus.SENT,
            )
        )
        await session.commit()
    ours = message_id_for("lead-x:enrollment-y:step-1")
    fields = inbound_fields(
        sender="someone@elsewhere.example",
        in_reply_to="<forwarded-7@elsewhere.example>",
        references=f"{ours} <forwarded-7@elsewhere.example>",
    )
    res = await post_inbound(api, fields)
    assert res.json()["matched_by"] == "thread", res.text
    assert res.json()["lead_id"] == str(lead_id)


async def test_token_is_required_and_nothing_changes_without_it(
    api: httpx.AsyncClient, clean_db: Database
) -> None:
    uuid.UUID(await api_lead(api))
    before = await snapshot(clean_db)
    for token in (None, "wrong-token", ""):
        res = await post_inbound(api, inbound_fields(), token=token)
        assert res.status_code == 403, res.text
    assert await snapshot(clean_db) == before

    # The token may come as the basic-auth password of the webhook URL instead.
    body, content_type = multipart(inbound_fields())
    credentials = base64.b64encode(f"sendgrid:{INBOUND_TOKEN}".encode()).decode()
    res = await api.post(
        "/webhooks/sendgrid/inbound",
        content=body,
        headers={"Content-Type": content_type, "Authorization": f"Basic {credentials}"},
    )
    assert res.status_code == 200, res.text
    assert res.json()["status"] == "recorded"


async def test_unknown_sender_is_kept_for_ops(api: httpx.AsyncClient, clean_db: Database) -> None:
    fields = inbound_fields(
        sender="Stranger <stranger@nowhere.example>",
        text="Who are you?\n\nOn Mon, you wrote:\n> hello",
        message_id="<stranger-1@nowhere.example>",
    )
    res = await post_inbound(api, fields, files=2)
    assert res.status_code == 200, res.text
    assert res.json()["status"] == "unmatched"
    assert (await post_inbound(api, fields)).json()["duplicate"] is True

    assert (await api.get("/api/ops/unmatched", headers={"Authorization": ""})).status_code == 401
    listing = (await api.get("/api/ops/unmatched")).json()
    assert listing["total"] == 1
    [item] = listing["items"]
    assert item["sender"] == "stranger@nowhere.example"
    assert item["channel"] == "EMAIL"
    assert item["subject"] == "Re: Quick question, Ada"
    assert item["provider_message_id"] == "<stranger-1@nowhere.example>"
    assert item["content"].startswith("Who are you?\n\nOn Mon, you wrote:")  # kept whole
    assert (await api.get("/api/ops/unmatched?channel=SMS")).json()["total"] == 0


async def test_ops_assign_an_unmatched_reply_and_the_leads_sequence_handles_it(
    api: httpx.AsyncClient, ts_env: WorkflowEnvironment, clean_db: Database
) -> None:
    """Assigned: the reply becomes the lead's (event, timeline), its sequence stops on it and
    it leaves the list; a retry answers the same; another lead, or discarding it now, is 409."""
    lead_id = await _enrolled_and_emailed(api, clean_db)
    fields = inbound_fields(
        sender="Ada at home <ada.private@elsewhere.example>",
        text="Interested, let's talk Tuesday.",
        message_id="<private-1@elsewhere.example>",
    )
    assert (await post_inbound(api, fields)).json()["status"] == "unmatched"
    [item] = (await api.get("/api/ops/unmatched")).json()["items"]

    assign = f"/api/ops/unmatched/{item['id']}/assign"
    res = await api.post(assign, json={"lead_id": str(lead_id)})
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["message_id"] == item["id"]
    assert body["duplicate"] is False
    assert body["sequence"]["delivered"] == "update"

    await run_to_end(ts_env, ts_env.client.get_workflow_handle(f"lead-{lead_id}"))
    assert len(await outbound(clean_db, lead_id)) == 1  # nothing sent after the reply
    assert await _inbound(clean_db, lead_id) == ["<private-1@elsewhere.example>"]
    [received] = await events(clean_db, lead_id, EventType.REPLY_RECEIVED)
    assert received.details["assigned_by"] == "ops"
    assert (await lead_row(clean_db, lead_id)).status == "REPLIED"
    detail = (await api.get(f"/api/leads/{lead_id}")).json()
    [reply] = [t for t in detail["timeline"] if t["direction"] == "INBOUND"]
    assert reply["content"] == "Interested, let's talk Tuesday."
    assert (await api.get("/api/ops/unmatched")).json()["total"] == 0

    again = await api.post(assign, json={"lead_id": str(lead_id)})  # a client's retry
    assert again.status_code == 200, again.text
    assert again.json()["duplicate"] is True
    assert again.json()["sequence"]["action"] == "already handled"
    assert len(await events(clean_db, lead_id, EventType.REPLY_RECEIVED)) == 1

    other = uuid.UUID(await api_lead(api, email="grace@example.com"))
    refused = await api.post(assign, json={"lead_id": str(other)})
    assert refused.status_code == 409, refused.text
    assert str(lead_id) in refused.json()["error"]
    discard = await api.post(f"/api/ops/unmatched/{item['id']}/discard")
    assert discard.status_code == 409, discard.text
    assert (await lead_row(clean_db, other)).status == "NEW"


async def test_ops_discard_an_unmatched_reply(api: httpx.AsyncClient, clean_db: Database) -> None:
    """Discarded: off the list, kept on record with an event; again is harmless; it cannot be
    assigned afterwards. Unknown replies and leads are 404s; a bad body a 422."""
    fields = inbound_fields(sender="spam@nowhere.example", message_id="<spam-1@nowhere.example>")
    assert (await post_inbound(api, fields)).json()["status"] == "unmatched"
    [item] = (await api.get("/api/ops/unmatched")).json()["items"]
    lead_id = await api_lead(api)

    assert (await api.post(f"/api/ops/unmatched/{uuid.uuid4()}/discard")).status_code == 404
    missing_lead = await api.post(
        f"/api/ops/unmatched/{item['id']}/assign", json={"lead_id": str(uuid.uuid4())}
    )
    assert missing_lead.status_code == 404, missing_lead.text
    assert "lead" in missing_lead.json()["error"]
    bad = await api.post(f"/api/ops/unmatched/{item['id']}/assign", json={"lead": lead_id})
    assert bad.status_code == 422, bad.text

    for _ in range(2):
        res = await api.post(f"/api/ops/unmatched/{item['id']}/discard")
        assert res.status_code == 204, res.text
    assert (await api.get("/api/ops/unmatched")).json()["total"] == 0
    async with clean_db.session() as session:
        kept = await session.get(Message, uuid.UUID(item["id"]))
        assert kept is not None and kept.lead_id is None
        assert kept.delivery_status == DeliveryStatus.DISCARDED
        discarded = await session.exec(
            select(EventLog).where(EventLog.event_type == EventType.UNMATCHED_DISCARDED)
        )
        assert [e.details["message_id"] for e in discarded.all()] == [item["id"]]

    res = await api.post(f"/api/ops/unmatched/{item['id']}/assign", json={"lead_id": lead_id})
    assert res.status_code == 409, res.text
    assert "discarded" in res.json()["error"]


async def test_malformed_post_is_kept_and_answered_200(
    api: httpx.AsyncClient, clean_db: Database
) -> None:
    """Inbound Parse retries only 5xx: a 4xx would drop the mail for good."""
    res = await api.post(
        f"/webhooks/sendgrid/inbound?token={INBOUND_TOKEN}",
        content=b"--broken\r\nthis is not multipart at all",
        headers={"Content-Type": "multipart/form-data; boundary=other", "Authorization": ""},
    )
    assert res.status_code == 200, res.text
    assert res.json()["status"] == "unmatched"
    [item] = (await api.get("/api/ops/unmatched")).json()["items"]
    assert "this is not multipart at all" in item["content"]


async def test_fields_in_another_charset_are_decoded(
    api: httpx.AsyncClient, clean_db: Database
) -> None:
    lead_id = uuid.UUID(await api_lead(api, "jose@example.com"))
    fields = inbound_fields(sender="José <jose@example.com>")
    text = "Sí, me interesa — ¿cuesta 5 €? Llámame el martes."
    fields["text"] = text.encode("windows-1252")
    fields["charsets"] = '{"text": "windows-1252", "from": "UTF-8", "subject": "UTF-8"}'
    res = await post_inbound(api, fields)
    assert res.status_code == 200, res.text
    detail = (await api.get(f"/api/leads/{lead_id}")).json()
    [reply] = [t for t in detail["timeline"] if t["direction"] == "INBOUND"]
    assert reply["content"] == text


async def test_inbound_is_refused_when_no_token_is_configured(
    api: httpx.AsyncClient, settings: Settings
) -> None:
    settings.sendgrid.inbound_token = None
    res = await post_inbound(api, inbound_fields())
    assert res.status_code == 503  # SendGrid keeps retrying until it is configured
