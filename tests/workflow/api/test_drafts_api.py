"""`POST /api/tasks/{id}/approve|reject`: a human answers an AI draft over REST and the waiting
sequence sends exactly that. The app's worker drafts offline (TemplateDrafter), so the "draft"
is the rendered template: what is sent still shows which answer won."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
from temporalio.testing import WorkflowEnvironment

from models.db import Database
from models.enums import EventType
from models.tables import Task
from sequences import AIDraft, Email, Sequence
from tests.helpers import add_lead, count_events, eventually, outbound, run_to_end, start_spec

SPEC = Sequence(
    "ai-approve",
    Email(
        "intro",
        subject="Hi {{ lead.first_name }}",
        body="Hi {{ lead.first_name }}, open to a call?",
        ai=AIDraft(brief="Grace from SalesPad asks for a call.", approve=True),
    ),
).compile()
TEMPLATE = ("Hi Ada", "Hi Ada, open to a call?")


async def _start(clean_db: Database, ts_env: WorkflowEnvironment, task_queue: str) -> Any:
    lead = await add_lead(clean_db)
    [handle] = await start_spec(ts_env.client, clean_db, task_queue, SPEC, [lead.id])
    return lead.id, handle


async def _open_task(api: httpx.AsyncClient) -> dict[str, Any]:
    async def probe() -> list[dict[str, Any]]:
        tasks: list[dict[str, Any]] = (await api.get("/api/tasks")).json()
        return [t for t in tasks if t["kind"] == "approve_draft"]

    [task] = await eventually(probe)
    return task


async def _sent(db: Database, lead_id: uuid.UUID) -> tuple[str | None, str]:
    [message] = await outbound(db, lead_id)
    return message.subject, message.content


async def test_an_edit_is_sent_exactly_and_a_repeated_answer_is_idempotent(
    api: httpx.AsyncClient, ts_env: WorkflowEnvironment, clean_db: Database, task_queue: str
) -> None:
    lead_id, handle = await _start(clean_db, ts_env, task_queue)
    task = await _open_task(api)
    assert task["kind"] == "approve_draft" and task["status"] == "open"
    assert "Subject: Hi Ada" in task["instructions"]
    assert "Hi Ada, open to a call?" in task["instructions"]
    assert task["due_at"] is not None

    edit = {"body": "Ada - Grace here. Edited, sent as typed."}
    res = await api.post(f"/api/tasks/{task['id']}/approve", json=edit)
    assert res.status_code == 200, res.text
    assert res.json() | {"task_id": None, "lead_id": None} == {
        "task_id": None,
        "lead_id": None,
        "status": "done",
        "decision": "edit",
        "subject": None,
        "body": edit["body"],
        "signalled": True,
    }
    await run_to_end(ts_env, handle)
    # The subject was not edited: the draft's stays.
    assert await _sent(clean_db, lead_id) == ("Hi Ada", edit["body"])

    again = await api.post(f"/api/tasks/{task['id']}/approve", json=edit)
    assert again.status_code == 200
    assert (again.json()["decision"], again.json()["signalled"]) == ("edit", False)
    other = await api.post(f"/api/tasks/{task['id']}/reject")
    assert other.status_code == 409
    assert other.json()["detail"]["decision"] == "edit"
    assert await count_events(clean_db, lead_id, EventType.DRAFT_APPROVED) == 1
    assert len(await outbound(clean_db, lead_id)) == 1


async def test_reject_sends_the_template(
    api: httpx.AsyncClient, ts_env: WorkflowEnvironment, clean_db: Database, task_queue: str
) -> None:
    lead_id, handle = await _start(clean_db, ts_env, task_queue)
    task = await _open_task(api)
    res = await api.post(f"/api/tasks/{task['id']}/reject")
    assert res.status_code == 200, res.text
    assert (res.json()["decision"], res.json()["status"]) == ("reject", "skipped")
    await run_to_end(ts_env, handle)
    assert await _sent(clean_db, lead_id) == TEMPLATE
    [message] = await outbound(clean_db, lead_id)
    assert "content" not in message.details
    assert await count_events(clean_db, lead_id, EventType.DRAFT_REJECTED) == 1


async def test_a_plain_approve_sends_the_draft_as_drafted(
    api: httpx.AsyncClient, ts_env: WorkflowEnvironment, clean_db: Database, task_queue: str
) -> None:
    lead_id, handle = await _start(clean_db, ts_env, task_queue)
    task = await _open_task(api)
    # Nothing answered yet: the sequence holds the send however long it waits.
    await ts_env.sleep(timedelta(hours=12))
    assert await outbound(clean_db, lead_id) == []
    res = await api.post(f"/api/tasks/{task['id']}/approve")
    assert res.json()["decision"] == "approve"
    await run_to_end(ts_env, handle)
    assert await _sent(clean_db, lead_id) == TEMPLATE
    [message] = await outbound(clean_db, lead_id)
    assert message.details["content"] == "template:approved"


async def test_answers_that_cannot_apply_are_refused(
    api: httpx.AsyncClient, ts_env: WorkflowEnvironment, clean_db: Database, task_queue: str
) -> None:
    assert (await api.post(f"/api/tasks/{uuid.uuid4()}/approve")).status_code == 404
    lead = await add_lead(clean_db)
    manual = Task(lead_id=lead.id, kind="manual", action="call", instructions="Call Ada")
    async with clean_db.session() as session:
        session.add(manual)
        await session.commit()
    refused = await api.post(f"/api/tasks/{manual.id}/approve")
    assert refused.status_code == 409
    assert "/complete" in refused.json()["error"]

    _, handle = await _start(clean_db, ts_env, task_queue)
    task = await _open_task(api)
    empty = await api.post(f"/api/tasks/{task['id']}/approve", json={"body": "  "})
    assert empty.status_code == 422
    anonymous = await api.post(
        f"/api/tasks/{task['id']}/reject", headers={"Authorization": "Bearer wrong"}
    )
    assert anonymous.status_code == 401
    await handle.terminate("test over")


async def test_a_draft_left_open_when_its_sequence_stops_cannot_be_approved_later(
    api: httpx.AsyncClient, ts_env: WorkflowEnvironment, clean_db: Database, task_queue: str
) -> None:
    lead_id, handle = await _start(clean_db, ts_env, task_queue)
    task = await _open_task(api)
    assert (await api.post(f"/api/leads/{lead_id}/stop")).status_code == 200
    await run_to_end(ts_env, handle)
    late = await api.post(f"/api/tasks/{task['id']}/approve")
    assert late.status_code == 409
    assert "cancelled" in late.json()["error"]
    assert await outbound(clean_db, lead_id) == []
    assert await count_events(clean_db, lead_id, EventType.TASK_CANCELLED) == 1
