"""Campaigns, the timeline and replies over REST, with a worker on the time-skipping server."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import httpx
from temporalio.testing import WorkflowEnvironment

from models.db import Database
from models.enums import EventType
from services.gateway import LeadWorkflows
from services.replies.schemas import ReplyCreate
from services.replies.service import record_reply
from services.replies.sweep import SweepPolicy, sweep_once
from tests.helpers import (
    api_campaign,
    api_lead,
    enrollments,
    events,
    eventually,
    outbound,
    run_to_end,
)


async def _first_email_sent(db: Database, lead_id: uuid.UUID) -> None:
    async def sent() -> bool:
        return len(await events(db, lead_id, EventType.EMAIL_SENT)) == 1

    await eventually(sent)


async def test_sequences_are_listed(api: httpx.AsyncClient) -> None:
    res = await api.get("/api/sequences")
    assert res.status_code == 200
    demo = next(s for s in res.json() if s["name"] == "demo")
    assert demo["valid"] is True
    assert [s["kind"] for s in demo["steps"]] == ["send", "wait", "send", "wait", "send"]


async def test_enrolling_the_same_lead_twice_gives_one_workflow(
    api: httpx.AsyncClient, ts_env: WorkflowEnvironment, clean_db: Database
) -> None:
    lead_id = await api_lead(api)
    first = await api_campaign(api, [lead_id, lead_id], name="first")  # a repeat in one request too
    assert (first["selected"], first["enrolled"], first["skipped"]) == (1, 1, 0)
    assert first["skipped_leads"] == []

    second = await api_campaign(api, [lead_id], name="second")
    assert (second["enrolled"], second["skipped"]) == (0, 1)
    assert second["skipped_by_reason"] == {"already active": 1}
    assert second["skipped_leads"] == [
        {
            "lead_id": lead_id,
            "reason": "already active",
            "detail": f"running in campaign {first['id']}",
        }
    ]

    rows = await enrollments(clean_db, uuid.UUID(lead_id))
    assert len(rows) == 1
    handle = ts_env.client.get_workflow_handle(f"lead-{lead_id}")
    await run_to_end(ts_env, handle)
    assert len(await outbound(clean_db, uuid.UUID(lead_id))) == 3


async def test_unknown_sequence_and_unknown_leads(api: httpx.AsyncClient) -> None:
    res = await api.post(
        "/api/campaigns",
        json={"name": "x", "sequence": "nope", "lead_ids": [str(uuid.uuid4())]},
    )
    assert res.status_code == 422
    assert res.json()["detail"][0]["field"] == "sequence"
    assert "demo" in res.json()["detail"][0]["message"]

    missing = str(uuid.uuid4())
    body = await api_campaign(api, [missing])
    assert body["skipped_leads"] == [
        {"lead_id": missing, "reason": "not found", "detail": "lead not found"}
    ]


async def test_timeline_shows_three_emails_and_the_funnel(
    api: httpx.AsyncClient, ts_env: WorkflowEnvironment
) -> None:
    lead_id = await api_lead(api)
    campaign = await api_campaign(api, [lead_id])
    await run_to_end(ts_env, ts_env.client.get_workflow_handle(f"lead-{lead_id}"))

    detail = (await api.get(f"/api/leads/{lead_id}")).json()
    assert detail["lead"]["status"] == "OUTREACHED"
    assert detail["enrollment"]["state"] == "completed"
    assert detail["temporal_url"].endswith(f"/workflows/lead-{lead_id}")
    kinds = [(t["kind"], t["direction"] or t["event_type"]) for t in detail["timeline"]]
    assert kinds.count(("message", "OUTBOUND")) == 3
    assert kinds.count(("event", "EMAIL_SENT")) == 3
    assert all(t["channel"] == "EMAIL" for t in detail["timeline"] if t["kind"] == "message")

    funnel = (await api.get(f"/api/campaigns/{campaign['id']}")).json()
    assert funnel["enrollments"] == {"completed": 1}
    assert funnel["sends_by_step"] == {"1": 1, "3": 1, "5": 1}


async def test_reply_stops_the_sequence_and_redelivery_is_recognised(
    api: httpx.AsyncClient, ts_env: WorkflowEnvironment, clean_db: Database
) -> None:
    lead_id = await api_lead(api)
    await api_campaign(api, [lead_id])
    lead_uuid = uuid.UUID(lead_id)

    await _first_email_sent(clean_db, lead_uuid)
    reply = {"content": "Interested, let's talk", "channel": "EMAIL", "message_id": "<m1@x>"}
    res = await api.post(f"/api/leads/{lead_id}/replies", json=reply, params={"wait": "classified"})
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["duplicate"] is False
    assert body["lead_status"] == "REPLIED"
    assert body["sequence"] == {
        "delivered": "update",
        "action": "stopped",
        "intent": "interested",
        "error": None,
        "sends": 1,
        "current_step": 2,
        "resume_at": None,
    }

    again = (await api.post(f"/api/leads/{lead_id}/replies", json=reply)).json()
    assert again["duplicate"] is True
    assert again["message_id"] == body["message_id"]

    await run_to_end(ts_env, ts_env.client.get_workflow_handle(f"lead-{lead_id}"))
    assert len(await outbound(clean_db, lead_uuid)) == 1
    assert len(await events(clean_db, lead_uuid, EventType.REPLY_RECEIVED)) == 1
    detail = (await api.get(f"/api/leads/{lead_id}")).json()
    assert detail["enrollment"]["state"] == "replied"


async def test_a_reply_is_answered_as_soon_as_the_sequence_holds_it(
    api: httpx.AsyncClient, ts_env: WorkflowEnvironment, clean_db: Database
) -> None:
    """The default: the Update answers before the classification (the main loop does it), and
    the sequence runs no step before the reply was handled."""
    lead_id = await api_lead(api)
    await api_campaign(api, [lead_id])
    lead_uuid = uuid.UUID(lead_id)

    await _first_email_sent(clean_db, lead_uuid)
    reply = {"content": "Interested, let's talk", "channel": "EMAIL", "message_id": "<r1@x>"}
    res = await api.post(f"/api/leads/{lead_id}/replies", json=reply)
    assert res.status_code == 200, res.text
    sequence = res.json()["sequence"]
    assert (sequence["delivered"], sequence["action"], sequence["intent"]) == (
        "update",
        "received",
        None,
    )
    assert sequence["sends"] == 1

    result = await run_to_end(ts_env, ts_env.client.get_workflow_handle(f"lead-{lead_id}"))
    assert (result["outcome"], result["sends"]) == ("replied", 1)
    assert len(await outbound(clean_db, lead_uuid)) == 1
    assert len(await events(clean_db, lead_uuid, EventType.INTENT_CLASSIFIED)) == 1
    detail = (await api.get(f"/api/leads/{lead_id}")).json()
    assert (detail["lead"]["status"], detail["enrollment"]["state"]) == ("REPLIED", "replied")


async def test_the_same_reply_posted_five_times_at_once_is_handled_once(
    api: httpx.AsyncClient, ts_env: WorkflowEnvironment, clean_db: Database
) -> None:
    """No request keeps the lead's row lock while it waits for the sequence, whose reply step
    needs that lock: all five answer, one reply is classified, the sequence stops."""
    lead_id = await api_lead(api)
    await api_campaign(api, [lead_id])
    lead_uuid = uuid.UUID(lead_id)

    await _first_email_sent(clean_db, lead_uuid)
    reply = {"content": "Interested, call me", "channel": "EMAIL", "message_id": "<same@x>"}
    answers = await asyncio.gather(
        *(api.post(f"/api/leads/{lead_id}/replies", json=reply) for _ in range(5))
    )
    assert [r.status_code for r in answers] == [200] * 5, [r.text for r in answers]
    bodies = [r.json() for r in answers]
    assert len({b["message_id"] for b in bodies}) == 1
    assert sorted(b["duplicate"] for b in bodies) == [False, True, True, True, True]
    assert all(b["sequence"]["delivered"] != "deferred" for b in bodies), bodies

    await run_to_end(ts_env, ts_env.client.get_workflow_handle(f"lead-{lead_id}"))
    assert (await api.get(f"/api/leads/{lead_id}")).json()["lead"]["status"] == "REPLIED"
    assert len(await events(clean_db, lead_uuid, EventType.REPLY_RECEIVED)) == 1
    assert len(await events(clean_db, lead_uuid, EventType.INTENT_CLASSIFIED)) == 1
    assert len(await outbound(clean_db, lead_uuid)) == 1


async def test_reply_without_a_running_sequence_is_still_recorded(
    api: httpx.AsyncClient, clean_db: Database
) -> None:
    lead_id = await api_lead(api)
    res = await api.post(
        f"/api/leads/{lead_id}/replies",
        json={"content": "Not interested, thanks."},
    )
    assert res.status_code == 200
    assert res.json()["sequence"]["delivered"] == "processed"
    assert res.json()["sequence"]["intent"] == "not_interested"
    assert res.json()["lead_status"] == "REPLIED"
    detail = (await api.get(f"/api/leads/{lead_id}")).json()
    inbound = [t for t in detail["timeline"] if t["direction"] == "INBOUND"]
    assert [t["content"] for t in inbound] == ["Not interested, thanks."]

    # A replied lead is not enrolled again.
    body = await api_campaign(api, [lead_id])
    assert body["skipped_leads"] == [
        {"lead_id": lead_id, "reason": "replied", "detail": "lead is REPLIED"}
    ]


async def test_a_reply_recorded_while_temporal_was_down_is_swept_to_its_sequence(
    api: httpx.AsyncClient, ts_env: WorkflowEnvironment, clean_db: Database, task_queue: str
) -> None:
    """Recorded, never delivered (as when the Update and the signal both failed): the sweep
    tells the sequence, which stops; no further send step was needed to notice it."""
    lead_id = await api_lead(api)
    await api_campaign(api, [lead_id])
    lead_uuid = uuid.UUID(lead_id)

    await _first_email_sent(clean_db, lead_uuid)
    async with clean_db.session() as session:
        await record_reply(session, lead_uuid, ReplyCreate(content="Interested, call me"))
    gateway = LeadWorkflows(ts_env.client, task_queue)
    assert await sweep_once(clean_db, gateway, SweepPolicy(older_than=timedelta(0))) == 1
    result = await run_to_end(ts_env, ts_env.client.get_workflow_handle(f"lead-{lead_id}"))
    assert result["outcome"] == "replied"  # type: ignore[index]
    assert len(await outbound(clean_db, lead_uuid)) == 1
    assert (await api.get(f"/api/leads/{lead_id}")).json()["lead"]["status"] == "REPLIED"
