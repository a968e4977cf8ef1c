"""What the services ask of Temporal, seen through the recording gateway (no Temporal here)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlmodel import select

from models.db import Database
from models.enums import Direction
from models.tables import Message
from tests.fakes.gateway import RecordingGateway
from tests.helpers import api_lead
from workflows.contracts import ControlRequest


async def _campaign(
    api: httpx.AsyncClient,
    gateway: RecordingGateway,
    db: Database,
    lead_ids: list[str],
    name: str = "c",
) -> dict[str, Any]:
    """POST a campaign (202), run the enrollment it asked Temporal for, then GET it."""
    res = await api.post(
        "/api/campaigns", json={"name": name, "sequence": "demo", "lead_ids": lead_ids}
    )
    assert res.status_code == 202, res.text
    await gateway.enroll_pending(db)
    body: dict[str, Any] = (await api.get(f"/api/campaigns/{res.json()['id']}")).json()
    assert body["status"] == "enrolled", body
    return body


async def test_enrolling_starts_one_sequence_per_lead(
    api: httpx.AsyncClient, gateway: RecordingGateway, clean_db: Database
) -> None:
    ada = await api_lead(api, "ada@example.com")
    grace = await api_lead(api, "grace@example.com")
    res = await api.post(
        "/api/campaigns", json={"name": "c", "sequence": "demo", "lead_ids": [ada, ada, grace]}
    )
    assert res.status_code == 202, res.text
    # The request only asks for the background enrollment, once, with the leads deduplicated.
    assert gateway.started == []
    [enrolling] = gateway.enrollments
    assert (enrolling.campaign_id, enrolling.batch) == (res.json()["id"], 0)
    assert enrolling.selector.lead_ids == [ada, grace]

    await gateway.enroll_pending(clean_db)
    by_lead = {s.input.lead_id: s for s in gateway.started}
    assert sorted(by_lead) == sorted([ada, grace])
    assert {s.input.campaign_id for s in gateway.started} == {res.json()["id"]}
    assert {s.input.spec.name for s in gateway.started} == {"demo"}
    assert by_lead[ada].lead_email == "ada@example.com"
    assert by_lead[grace].lead_email == "grace@example.com"

    again = await _campaign(api, gateway, clean_db, [ada], name="again")
    assert (again["enrolled"], again["skipped"]) == (0, 1)
    [skipped] = again["skipped_leads"]
    assert (skipped["lead_id"], skipped["reason"]) == (ada, "already active")
    assert len(gateway.started) == 2


async def test_a_control_reaches_the_sequence_and_an_ended_one_is_reported(
    api: httpx.AsyncClient, gateway: RecordingGateway, clean_db: Database
) -> None:
    lead_id = await api_lead(api, "ada@example.com")
    await _campaign(api, gateway, clean_db, [lead_id])

    paused = await api.post(f"/api/leads/{lead_id}/pause")
    assert paused.status_code == 200, paused.text
    assert paused.json()["signalled"] is True
    assert gateway.signals[-1] == (lead_id, ControlRequest(action="pause", reason="pause by user"))

    gateway.finish(lead_id)  # the workflow ended while the database still says enrolled
    resumed = await api.post(f"/api/leads/{lead_id}/resume")
    assert resumed.status_code == 200, resumed.text
    assert resumed.json()["signalled"] is False


async def test_a_reply_is_recorded_then_delivered_and_a_redelivery_keeps_its_key(
    api: httpx.AsyncClient, gateway: RecordingGateway, clean_db: Database
) -> None:
    lead_id = await api_lead(api, "ada@example.com")
    await _campaign(api, gateway, clean_db, [lead_id])
    reply = {"content": "Sounds good, call me", "channel": "EMAIL", "message_id": "prov-1"}

    first = await api.post(f"/api/leads/{lead_id}/replies", json=reply)
    assert first.status_code == 200, first.text
    assert first.json()["duplicate"] is False
    assert first.json()["sequence"]["delivered"] == "signal"
    again = await api.post(f"/api/leads/{lead_id}/replies", json=reply)
    assert again.json()["duplicate"] is True

    async with clean_db.session() as session:
        rows = (
            await session.exec(
                select(Message).where(
                    Message.lead_id == uuid.UUID(lead_id), Message.direction == Direction.INBOUND
                )
            )
        ).all()
    assert [r.provider_message_id for r in rows] == ["prov-1"]
    # Both deliveries name the one recorded row, so the workflow counts the reply once.
    assert [(lid, n.db_message_id, running) for lid, n, running in gateway.replies] == [
        (lead_id, str(rows[0].id), True),
        (lead_id, str(rows[0].id), True),
    ]


async def test_a_reply_without_a_sequence_is_classified_on_its_own(
    api: httpx.AsyncClient, gateway: RecordingGateway
) -> None:
    lead_id = await api_lead(api, "ada@example.com")
    res = await api.post(
        f"/api/leads/{lead_id}/replies", json={"content": "Who is this?", "channel": "EMAIL"}
    )
    assert res.status_code == 200, res.text
    assert [running for _, _, running in gateway.replies] == [False]
    assert gateway.started == []
