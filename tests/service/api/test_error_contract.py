"""What the OpenAPI document promises about errors, one case each: the body that cannot be read,
the method a path does not take, the date that is not ISO 8601, and a task answered while
Temporal is unreachable (after its row is committed, that is no error)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr
from sqlmodel import select
from twilio.request_validator import RequestValidator

from config.settings import Settings
from models.db import Database
from models.enums import TaskStatus
from models.tables import Campaign, Enrollment, Message, Task
from salespad.local import free_port
from services.tasks.draft_records import APPROVE_DRAFT_TASK
from tests.conftest import _api
from tests.helpers import add_lead


@pytest.fixture
async def api_without_temporal(
    settings: Settings, clean_db: Database
) -> AsyncIterator[httpx.AsyncClient]:
    """The real gateway, and nothing listening where Temporal should be."""
    settings.temporal_address = f"127.0.0.1:{free_port()}"
    async for http in _api(settings, clean_db, None, None):  # type: ignore[arg-type]
        yield http


async def _task(db: Database, kind: str = "linkedin", enrolled: bool = True) -> Task:
    lead = await add_lead(db)
    async with db.session() as session:
        enrollment_id = None
        if enrolled:
            campaign = Campaign(name="c", sequence_name="demo", sequence_version="v1", spec={})
            session.add(campaign)
            await session.flush()
            enrollment = Enrollment(
                campaign_id=campaign.id, lead_id=lead.id, workflow_id=f"lead-{lead.id}"
            )
            session.add(enrollment)
            await session.flush()
            enrollment_id = enrollment.id
        task = Task(
            lead_id=lead.id,
            enrollment_id=enrollment_id,
            step=1,
            kind=kind,
            instructions="Connect on LinkedIn",
        )
        session.add(task)
        await session.commit()
        await session.refresh(task)
    return task


async def test_a_json_body_that_is_not_json_names_the_body(api: httpx.AsyncClient) -> None:
    for raw in (b"\xff\xfe not utf-8", b'{"name": '):
        res = await api.post(
            "/api/leads", content=raw, headers={"Content-Type": "application/json"}
        )
        assert res.status_code == 422, res.text
        assert res.json()["detail"][0]["field"] == "body"


async def test_405_allows_every_method_of_the_path(api: httpx.AsyncClient) -> None:
    res = await api.put("/u/some-token")
    assert res.status_code == 405
    assert res.headers["allow"] == "GET, POST"
    assert set(res.json()) == {"error", "detail"}
    # /campaigns/{id}/{action} takes only its actions: the funnel stays a GET-only route.
    res = await api.post(f"/api/campaigns/{uuid.uuid4()}/funnel")
    assert (res.status_code, res.headers["allow"]) == (405, "GET")
    assert (await api.post(f"/api/campaigns/{uuid.uuid4()}/explode")).status_code == 404


async def test_dates_in_queries_are_iso_8601_only(api: httpx.AsyncClient) -> None:
    for value in ("0.5", "1700000000", "-3"):
        res = await api.get("/api/leads", params={"created_after": value})
        assert res.status_code == 422, (value, res.text)
        [problem] = res.json()["detail"]
        assert problem["field"] == "query.created_after"
        assert "ISO 8601" in problem["message"]
    ok = await api.get("/api/leads", params={"created_before": "2026-01-31T09:00:00Z"})
    assert ok.status_code == 200, ok.text


async def test_a_unix_time_in_a_body_is_refused(api: httpx.AsyncClient) -> None:
    lead = (await api.post("/api/leads", json={"name": "Ada", "email": "a@example.com"})).json()
    res = await api.post(
        f"/api/leads/{lead['id']}/replies", json={"content": "yes!", "received_at": 0}
    )
    assert res.status_code == 422
    assert res.json()["detail"][0]["field"] == "received_at"


async def test_pacing_days_are_weekdays(api: httpx.AsyncClient) -> None:
    for days in ([0], [8], [True], []):
        res = await api.put("/api/channels/EMAIL/pacing", json={"send_window": {"days": days}})
        assert res.status_code == 422, (days, res.text)
    res = await api.put("/api/channels/EMAIL/pacing", json={"send_window": {"end": "24:00"}})
    assert res.status_code == 422
    assert res.json()["detail"][0]["field"] == "send_window.end"


async def test_a_task_answered_while_temporal_is_down_is_answered(
    api_without_temporal: httpx.AsyncClient, clean_db: Database
) -> None:
    task = await _task(clean_db)
    res = await api_without_temporal.post(f"/api/tasks/{task.id}/complete", json={"note": "ok"})
    assert res.status_code == 200, res.text
    assert res.json()["status"] == TaskStatus.DONE
    # Asked again (a retried click), the same answer stands.
    again = await api_without_temporal.post(f"/api/tasks/{task.id}/complete")
    assert (again.status_code, again.json()["status"]) == (200, TaskStatus.DONE)
    other = await api_without_temporal.post(f"/api/tasks/{task.id}/skip")
    assert other.status_code == 409


async def test_a_draft_answered_while_temporal_is_down_is_recorded(
    api_without_temporal: httpx.AsyncClient, clean_db: Database
) -> None:
    task = await _task(clean_db, kind=APPROVE_DRAFT_TASK)
    res = await api_without_temporal.post(f"/api/tasks/{task.id}/reject")
    assert res.status_code == 200, res.text
    assert (res.json()["decision"], res.json()["signalled"]) == ("reject", False)


async def test_a_draft_approval_is_not_completed_as_a_plain_task(
    api: httpx.AsyncClient, clean_db: Database
) -> None:
    task = await _task(clean_db, kind=APPROVE_DRAFT_TASK)
    res = await api.post(f"/api/tasks/{task.id}/complete")
    assert res.status_code == 409
    assert "/approve or /reject" in res.json()["error"]
    # Still open for its own answer.
    assert (await api.post(f"/api/tasks/{task.id}/approve")).status_code == 200


async def test_a_draft_closed_without_a_decision_is_a_conflict(
    api: httpx.AsyncClient, clean_db: Database
) -> None:
    task = await _task(clean_db, kind=APPROVE_DRAFT_TASK)
    async with clean_db.session() as session:
        row = await session.get(Task, task.id)
        assert row is not None
        row.status = TaskStatus.SKIPPED
        await session.commit()
    res = await api.post(f"/api/tasks/{task.id}/approve")
    assert res.status_code == 409, res.text


async def test_routes_that_need_temporal_answer_503_without_it(
    api_without_temporal: httpx.AsyncClient, clean_db: Database
) -> None:
    lead = await add_lead(clean_db)
    res = await api_without_temporal.post(f"/api/leads/{lead.id}/pause")
    assert res.status_code == 503
    assert set(res.json()) == {"error", "detail"}


async def test_a_nul_in_a_signed_twilio_message_is_dropped_not_a_500(
    api: httpx.AsyncClient, settings: Settings, clean_db: Database
) -> None:
    settings.twilio.auth_token = SecretStr("twilio-token")
    settings.public_url = "https://salespad.example"
    form = {"From": "+1415555\x000123", "Body": "call me\x00 back", "MessageSid": "SM\x001"}
    signature = RequestValidator("twilio-token").compute_signature(
        "https://salespad.example/webhooks/twilio/inbound", form
    )
    res = await api.post(
        "/webhooks/twilio/inbound", data=form, headers={"X-Twilio-Signature": signature}
    )
    assert res.status_code == 200, res.text
    async with clean_db.session() as session:
        [message] = (await session.exec(select(Message))).all()
    assert (message.content, message.provider_message_id) == ("call me back", "SM1")


async def test_a_nul_in_an_inbound_mail_is_dropped_not_a_500(
    api: httpx.AsyncClient, settings: Settings, clean_db: Database
) -> None:
    settings.sendgrid.inbound_token = SecretStr("inbound-token")
    mail = {"from": "Ada <ada\x00@example.com>", "subject": "Re:\x00 hi", "text": "yes\x00 please"}
    res = await api.post(
        "/webhooks/sendgrid/inbound",
        params={"token": "inbound-token"},
        files={name: (None, value) for name, value in mail.items()},
    )
    assert res.status_code == 200, res.text
    async with clean_db.session() as session:
        [message] = (await session.exec(select(Message))).all()
    assert (message.subject, message.content) == ("Re: hi", "yes please")
