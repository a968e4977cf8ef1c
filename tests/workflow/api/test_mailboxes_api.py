"""/api/mailboxes: validation that names the field, secrets sealed and never returned, a
campaign that names its mailboxes (unknown ones refused by name), a mailbox with its own
SendGrid credentials sending from its own address, and where each mailbox stands."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlmodel import select
from temporalio.testing import WorkflowEnvironment

from models.db import Database
from models.mailboxes import Mailbox, MailboxImapState
from models.secrets import PREFIX
from models.tables import Message
from tests.fakes.sendgrid import FakeSendGrid
from tests.helpers import enrolled_campaign, eventually
from workflows.mailbox_contracts import MailboxPollResult, mailbox_poll_workflow_id


def fields(res: httpx.Response) -> set[str]:
    return {e["field"] for e in res.json()["detail"]}


async def test_bad_mailboxes_get_a_422_naming_the_field(api: httpx.AsyncClient) -> None:
    cases: list[tuple[dict[str, Any], set[str]]] = [
        ({"name": "a b", "address": "a@x.example"}, {"name"}),
        ({"name": "a", "address": "not-an-address"}, {"address"}),
        ({"name": "a", "channel_type": "SMS", "address": "555-0100"}, {"address"}),
        ({"name": "a", "address": "a@x.example", "timezone": "Mars/Base"}, {"timezone"}),
        ({"name": "a", "address": "a@x.example", "daily_cap": 0}, {"daily_cap"}),
        ({"name": "a", "address": "a@x.example", "min_gap_seconds": -1}, {"min_gap_seconds"}),
        ({"name": "a", "address": "a@x.example", "ramp": {"start": 0}}, {"ramp.start"}),
        ({"name": "a", "address": "a@x.example", "send_window": {"start": "9am"}},
         {"send_window.start"}),
        ({"name": "a", "address": "a@x.example", "provider": "twilio"}, {"provider"}),
        ({"name": "a", "address": "a@x.example", "provider": "twilio", "channel_type": "SMS"},
         {"address"}),
        ({"name": "a", "channel_type": "SMS", "address": "+14155550100", "provider": "twilio",
          "config": {"account_sid": "AC1"}}, {"config.auth_token"}),
        ({"name": "a", "address": "a@x.example", "config": {"imap_host": "127.0.0.1"}},
         {"config.imap_password"}),
        ({"name": "a", "address": "a@x.example", "unknown": 1}, {"unknown"}),
    ]  # fmt: skip
    for body, expected in cases:
        res = await api.post("/api/mailboxes", json=body)
        assert res.status_code == 422, (body, res.text)
        assert fields(res) == expected, (body, res.json())
    ok = await api.post("/api/mailboxes", json={"name": "a", "address": "a@x.example"})
    assert ok.status_code == 201, ok.text
    again = await api.post("/api/mailboxes", json={"name": "a", "address": "b@x.example"})
    assert again.status_code == 409
    assert fields(again) == {"name"}
    listed = await api.get("/api/mailboxes")
    assert [m["name"] for m in listed.json()["items"]] == ["a"]  # nothing half-made was kept


async def test_secrets_are_sealed_and_never_returned(
    api: httpx.AsyncClient, clean_db: Database, ts_env: WorkflowEnvironment
) -> None:
    res = await api.post(
        "/api/mailboxes",
        json={
            "name": "ana",
            "address": "ana@team.example",
            "provider": "smtp",
            "config": {
                "host": "127.0.0.1",
                "port": 2525,
                "password": "smtp-secret",
                "imap_host": "127.0.0.1",
                "imap_username": "ana",
                "imap_password": "imap-secret",
            },
        },
    )
    assert res.status_code == 201, res.text
    body = res.json()
    assert body["imap"] is True
    assert body["config"]["password"] == "********"
    assert body["config"]["imap_password"] == "********"
    assert "secret" not in res.text
    async with clean_db.session() as session:
        row = (await session.exec(select(Mailbox))).one()
    assert row.config["password"].startswith(PREFIX)
    assert row.config["imap_password"].startswith(PREFIX)
    # A change merges: the stored secrets stay, a null removes a key.
    patched = await api.patch(
        "/api/mailboxes/ana", json={"config": {"imap_folder": "Replies"}, "daily_cap": 40}
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["config"]["imap_password"] == "********"
    assert patched.json()["config"]["imap_folder"] == "Replies"
    assert patched.json()["daily_cap"] == 40
    # Disabled, its reply poller (started with the mailbox: it has IMAP) ends.
    await _disable_and_wait_for_the_poller(api, ts_env, "ana", body["id"])


async def _disable_and_wait_for_the_poller(
    api: httpx.AsyncClient, env: WorkflowEnvironment, name: str, mailbox_id: str
) -> MailboxPollResult:
    handle = env.client.get_workflow_handle(
        mailbox_poll_workflow_id(mailbox_id), result_type=MailboxPollResult
    )
    disabled = await api.patch(f"/api/mailboxes/{name}", json={"state": "disabled"})
    assert disabled.status_code == 200, disabled.text
    return await handle.result()


async def test_a_campaign_sends_from_its_mailbox_with_its_own_credentials(
    api: httpx.AsyncClient, clean_db: Database
) -> None:
    with FakeSendGrid("SG.ana-own-key") as provider:
        res = await api.post(
            "/api/mailboxes",
            json={
                "name": "ana",
                "address": "ana@team.example",
                "display_name": "Ana from Team",
                "provider": "sendgrid",
                "config": {"api_key": "SG.ana-own-key", "api_host": provider.url},
                "daily_cap": 50,
                "ramp": {"start": 10, "step": 5},
            },
        )
        assert res.status_code == 201, res.text
        lead = await api.post("/api/leads", json={"name": "Lin", "email": "lin@example.com"})
        unknown = await api.post(
            "/api/campaigns",
            json={
                "name": "c",
                "sequence": "demo",
                "lead_ids": [lead.json()["id"]],
                "mailboxes": ["ana", "nobody"],
            },
        )
        assert unknown.status_code == 422
        assert fields(unknown) == {"mailboxes[1]"}
        assert "nobody" in unknown.json()["error"]
        started = await api.post(
            "/api/campaigns",
            json={
                "name": "c",
                "sequence": "demo",
                "lead_ids": [lead.json()["id"]],
                "mailboxes": ["ana"],
            },
        )
        assert started.status_code == 202, started.text
        campaign = await enrolled_campaign(api, started.json()["id"])
        assert campaign["mailboxes"] == [res.json()["id"]]

        async def sent() -> bool:
            return bool(provider.mail_sends())

        await eventually(sent)
        [send] = provider.mail_sends()
        assert send.headers["authorization"] == "Bearer SG.ana-own-key"
        assert send.json["from"] == {"email": "ana@team.example", "name": "Ana from Team"}

    async with clean_db.session() as session:
        [message] = (await session.exec(select(Message))).all()
    assert message.mailbox_id == uuid.UUID(res.json()["id"])
    listed = (await api.get("/api/mailboxes")).json()
    [ana] = listed["items"]
    assert ana["usage"]["sent_24h"] == 1
    assert ana["usage"]["cap_today"] == 10  # the ramp's first day
    assert ana["usage"]["headroom"] == 9
    assert (ana["health"]["sends"], ana["health"]["bounces"]) == (1, 0)
    assert ana["health"]["bounce_threshold"] == 0.05
    # Paused by hand with a reason, then resumed.
    paused = await api.post("/api/mailboxes/ana/pause", json={"reason": "list looks stale"})
    assert paused.status_code == 200, paused.text
    assert (paused.json()["state"], paused.json()["paused_reason"]) == (
        "paused",
        "list looks stale",
    )
    [item] = (await api.get("/api/ops/attention")).json()
    assert (item["kind"], item["mailbox_name"], item["actions"]) == ("mailbox", "ana", ["resume"])
    resumed = await api.post(f"/api/mailboxes/{ana['id']}/resume")
    assert resumed.json()["state"] == "active"
    assert (await api.get("/api/ops/attention")).json() == []
    assert {d["channel_type"] for d in listed["defaults"]} == {"EMAIL", "SMS", "WHATSAPP"}
    # A mailbox that sent is disabled, not deleted: its messages keep their sender.
    refused = await api.delete("/api/mailboxes/ana")
    assert refused.status_code == 409
    assert "disable" in refused.json()["error"]
    disabled = await api.patch("/api/mailboxes/ana", json={"state": "disabled"})
    assert disabled.json()["state"] == "disabled"
    spare = await api.post("/api/mailboxes", json={"name": "spare", "address": "s@x.example"})
    assert (await api.delete(f"/api/mailboxes/{spare.json()['id']}")).status_code == 204
    assert (await api.get("/api/mailboxes/spare")).status_code == 404


async def test_a_mailbox_with_imap_gets_its_reply_poller_and_disabling_ends_it(
    api: httpx.AsyncClient, clean_db: Database, ts_env: WorkflowEnvironment
) -> None:
    res = await api.post(
        "/api/mailboxes",
        json={
            "name": "ana",
            "address": "ana@team.example",
            "config": {"imap_host": "127.0.0.1", "imap_port": 1, "imap_security": "none",
                       "imap_password": "pw"},
        },
    )  # fmt: skip
    assert res.status_code == 201, res.text
    assert res.json()["imap"] is True

    # Running: its first round could not log in (nothing listens), and says so to ops.
    async def failed_round() -> bool:
        async with clean_db.session() as session:
            state = await session.get(MailboxImapState, uuid.UUID(res.json()["id"]))
            return state is not None and state.last_error is not None

    await eventually(failed_round)
    attention = (await api.get("/api/ops/attention")).json()
    assert [i["mailbox_name"] for i in attention] == ["ana"]
    result = await _disable_and_wait_for_the_poller(api, ts_env, "ana", res.json()["id"])
    assert "disabled" in result.reason
