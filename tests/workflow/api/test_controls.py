"""Controls, tasks, ops and the event stream over REST, on the time-skipping server."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import httpx
from temporalio.testing import WorkflowEnvironment

from models.db import Database
from models.enums import EventType
from tests.helpers import (
    count_events,
    enrolled_campaign,
    events,
    eventually,
    outbound,
    run_to_end,
)
from workflows.contracts import STATUS_QUERY, SequenceStatus


async def _lead(api: httpx.AsyncClient, **fields: object) -> str:
    body = {"name": "Ada Lovelace", "email": f"ada-{uuid.uuid4().hex[:6]}@example.com", **fields}
    res = await api.post("/api/leads", json=body)
    assert res.status_code == 201, res.text
    lead_id: str = res.json()["id"]
    return lead_id


async def _enroll(api: httpx.AsyncClient, lead_ids: list[str], sequence: str = "demo") -> str:
    res = await api.post(
        "/api/campaigns", json={"name": "c", "sequence": sequence, "lead_ids": lead_ids}
    )
    assert res.status_code == 202, res.text
    body = await enrolled_campaign(api, res.json()["id"])
    assert body["enrolled"] == len(lead_ids), body
    campaign_id: str = body["id"]
    return campaign_id


async def _first_email(db: Database, lead_id: str) -> None:
    async def sent() -> bool:
        return await count_events(db, uuid.UUID(lead_id), EventType.EMAIL_SENT) >= 1

    await eventually(sent)


async def test_pause_holds_the_sequence_and_resume_finishes_it(
    api: httpx.AsyncClient, ts_env: WorkflowEnvironment, clean_db: Database
) -> None:
    lead_id = await _lead(api)
    await _enroll(api, [lead_id])
    await _first_email(clean_db, lead_id)
    paused = await api.post(f"/api/leads/{lead_id}/pause")
    assert paused.json() == {
        "lead_id": lead_id,
        "action": "pause",
        "signalled": True,
        "detail": "",
    }
    handle = ts_env.client.get_workflow_handle(f"lead-{lead_id}")

    async def is_paused() -> bool:
        status = await handle.query(STATUS_QUERY, result_type=SequenceStatus)
        return status.paused

    await eventually(is_paused)
    await ts_env.sleep(timedelta(hours=3))  # far past the demo's 10 s waits
    assert len(await outbound(clean_db, uuid.UUID(lead_id))) == 1
    detail = (await api.get(f"/api/leads/{lead_id}")).json()
    assert detail["enrollment"]["state"] == "paused"

    await api.post(f"/api/leads/{lead_id}/resume")
    await run_to_end(ts_env, handle)
    assert len(await outbound(clean_db, uuid.UUID(lead_id))) == 3
    assert await count_events(clean_db, uuid.UUID(lead_id), EventType.SEQUENCE_RESUMED) == 1


async def test_convert_stops_the_sequence_and_keeps_the_lead_out(
    api: httpx.AsyncClient, ts_env: WorkflowEnvironment, clean_db: Database
) -> None:
    lead_id = await _lead(api)
    await _enroll(api, [lead_id])
    await _first_email(clean_db, lead_id)
    res = await api.post(f"/api/leads/{lead_id}/convert")
    assert res.json()["signalled"] is True
    result = await run_to_end(ts_env, ts_env.client.get_workflow_handle(f"lead-{lead_id}"))
    assert result["outcome"] == "stopped"  # type: ignore[index]
    assert (await api.get(f"/api/leads/{lead_id}")).json()["lead"]["status"] == "CONVERTED"
    again = await api.post(
        "/api/campaigns", json={"name": "again", "sequence": "demo", "lead_ids": [lead_id]}
    )
    assert again.status_code == 202, again.text
    body = await enrolled_campaign(api, again.json()["id"])
    assert body["skipped_leads"] == [
        {"lead_id": lead_id, "reason": "converted", "detail": "lead is CONVERTED"}
    ]


async def test_campaign_stop_reaches_every_lead_in_one_request(
    api: httpx.AsyncClient, ts_env: WorkflowEnvironment, clean_db: Database
) -> None:
    leads = [await _lead(api) for _ in range(3)]
    campaign_id = await _enroll(api, leads)
    for lead_id in leads:
        await _first_email(clean_db, lead_id)
    res = await api.post(f"/api/campaigns/{campaign_id}/stop")
    assert res.json()["signalled"] == 3
    for lead_id in leads:
        await run_to_end(ts_env, ts_env.client.get_workflow_handle(f"lead-{lead_id}"))
        assert len(await outbound(clean_db, uuid.UUID(lead_id))) == 1
    funnel = (await api.get(f"/api/campaigns/{campaign_id}")).json()
    assert funnel["enrollments"] == {"stopped": 3}
    assert funnel["state"] == "stopped"


async def _open_tasks(api: httpx.AsyncClient, ts_env: WorkflowEnvironment) -> list[dict]:  # type: ignore[type-arg]
    for _ in range(100):
        tasks: list[dict] = (await api.get("/api/tasks")).json()  # type: ignore[type-arg]
        if tasks:
            return tasks
        await ts_env.sleep(timedelta(hours=6))
    raise AssertionError("no task was created")


async def test_cold_outbound_without_phone_waits_for_the_linkedin_task(
    api: httpx.AsyncClient, ts_env: WorkflowEnvironment, clean_db: Database
) -> None:
    lead_id = await _lead(api, company="Analytical Engines", title="CTO", owner="grace")
    await _enroll(api, [lead_id], sequence="cold-outbound")
    [task] = await _open_tasks(api, ts_env)
    assert task["kind"] == "linkedin"
    assert task["action"] == "connect"
    assert "Ada Lovelace (CTO) at Analytical Engines" in task["instructions"]
    assert task["owner"] == "grace"

    # Left undone past its due time, the lead shows up for ops.
    await ts_env.sleep(timedelta(days=3))

    async def overdue() -> list[dict]:  # type: ignore[type-arg]
        items: list[dict] = (await api.get("/api/ops/attention")).json()  # type: ignore[type-arg]
        return items

    [item] = await eventually(overdue)
    assert item["lead_id"] == lead_id
    assert item["reason"] == "TASK_OVERDUE"
    assert item["temporal_url"].endswith(f"/workflows/lead-{lead_id}")

    done = await api.post(f"/api/tasks/{task['id']}/complete", json={"note": "sent invite"})
    assert done.json()["status"] == "done"
    assert (await api.post(f"/api/tasks/{task['id']}/skip")).status_code == 409
    result = await run_to_end(ts_env, ts_env.client.get_workflow_handle(f"lead-{lead_id}"))
    assert result["outcome"] == "completed"  # type: ignore[index]
    sent = await outbound(clean_db, uuid.UUID(lead_id))
    assert [m.step for m in sent] == [1, 3, 10]  # intro, bump, breakup: no WhatsApp
    assert (await api.get("/api/ops/attention")).json() == []


async def test_a_stopped_sequence_cancels_its_open_task(
    api: httpx.AsyncClient, ts_env: WorkflowEnvironment, clean_db: Database
) -> None:
    lead_id = await _lead(api, company="Analytical Engines", title="CTO", owner="grace")
    await _enroll(api, [lead_id], sequence="cold-outbound")
    [task] = await _open_tasks(api, ts_env)
    assert (await api.post(f"/api/leads/{lead_id}/stop")).status_code == 200
    result = await run_to_end(ts_env, ts_env.client.get_workflow_handle(f"lead-{lead_id}"))
    assert result["outcome"] == "stopped"  # type: ignore[index]

    assert (await api.get("/api/tasks")).json() == []  # nothing left to do
    [cancelled] = (await api.get("/api/tasks", params={"status": "cancelled"})).json()
    assert cancelled["id"] == task["id"]
    assert cancelled["note"] == "the sequence ended (stopped) before this was done"
    late = await api.post(f"/api/tasks/{task['id']}/complete", json={"note": "too late"})
    assert late.status_code == 409
    assert "cancelled" in late.json()["error"]
    assert await count_events(clean_db, uuid.UUID(lead_id), EventType.TASK_CANCELLED) == 1


async def test_cold_outbound_with_phone_adds_whatsapp(
    api: httpx.AsyncClient, ts_env: WorkflowEnvironment, clean_db: Database
) -> None:
    lead_id = await _lead(api, phone="+14155550123")
    await _enroll(api, [lead_id], sequence="cold-outbound")
    [task] = await _open_tasks(api, ts_env)  # the LinkedIn step still follows the WhatsApp
    assert await count_events(clean_db, uuid.UUID(lead_id), EventType.WHATSAPP_SENT) == 1
    await api.post(f"/api/tasks/{task['id']}/skip")
    await run_to_end(ts_env, ts_env.client.get_workflow_handle(f"lead-{lead_id}"))
    sent = await outbound(clean_db, uuid.UUID(lead_id))
    assert [m.step for m in sent] == [1, 3, 6, 10]


async def test_event_stream_replays_from_an_id(api: httpx.AsyncClient, clean_db: Database) -> None:
    lead_id = await _lead(api)
    [created] = await events(clean_db, uuid.UUID(lead_id), EventType.LEAD_CREATED)
    res = await api.get("/api/events/stream", params={"since": 0, "follow": "false"})
    assert res.headers["content-type"].startswith("text/event-stream")
    frames = [f for f in res.text.split("\n\n") if f.startswith("id:")]
    first = frames[0].splitlines()
    assert first[0] == f"id: {created.xact}-{created.id}"  # the commit-order cursor
    assert first[1] == "event: LEAD_CREATED"
    assert json.loads(first[2].removeprefix("data: "))["lead_id"] == lead_id
