"""A sequence with Message steps, end to end on the time-skipping server: each send goes out on
the lead's preferred channel and the lead's timeline says so."""

from __future__ import annotations

import uuid

import httpx
from temporalio.testing import WorkflowEnvironment

from models.db import Database
from sequences import Email, EmailBody, Message, Sequence, Wait
from tests.helpers import outbound, run_to_end, start_spec

SPEC = Sequence(
    "preferred",
    Message(
        "intro",
        email=EmailBody(subject="Hi {{ lead.first_name }}", body="Email intro"),
        whatsapp="WhatsApp intro for {{ lead.first_name }}",
    ),
    Wait(days=1),
    Email("second", subject="Second", body="A plain email"),
    Wait(days=1),
    Email("bump", body="Bumping", thread=True),
).compile()


async def test_the_timeline_shows_the_whatsapp_send_and_email_threads_stay_email(
    api: httpx.AsyncClient, ts_env: WorkflowEnvironment, clean_db: Database, task_queue: str
) -> None:
    created = await api.post(
        "/api/leads",
        json={
            "name": "Ada Lovelace",
            "email": "ada@example.com",
            "phone": "+14155552671",
            "preferred_channel": "WHATSAPP",
        },
    )
    assert created.status_code == 201, created.text
    lead_id = created.json()["id"]
    [handle] = await start_spec(ts_env.client, clean_db, task_queue, SPEC, [uuid.UUID(lead_id)])

    result = await run_to_end(ts_env, handle)

    assert (result.outcome, result.sends) == ("completed", 3)
    timeline = (await api.get(f"/api/leads/{lead_id}")).json()["timeline"]
    sends = [t for t in timeline if t["kind"] == "message" and t["direction"] == "OUTBOUND"]
    assert [(t["step"], t["channel"]) for t in sends] == [
        (1, "WHATSAPP"),
        (3, "EMAIL"),
        (5, "EMAIL"),
    ]
    assert sends[0]["content"] == "WhatsApp intro for Ada"
    sent_events = [t for t in timeline if t["event_type"] and t["event_type"].endswith("_SENT")]
    assert [(t["event_type"], t["details"]["channel"]) for t in sent_events] == [
        ("WHATSAPP_SENT", "WHATSAPP"),
        ("EMAIL_SENT", "EMAIL"),
        ("EMAIL_SENT", "EMAIL"),
    ]
    # The thread starts at the first email, not at the WhatsApp message before it.
    bump = (await outbound(clean_db, uuid.UUID(lead_id)))[-1]
    assert bump.subject == "Re: Second"


async def test_without_a_phone_the_message_step_goes_by_email(
    api: httpx.AsyncClient, ts_env: WorkflowEnvironment, clean_db: Database, task_queue: str
) -> None:
    created = await api.post(
        "/api/leads",
        json={"name": "Ada", "email": "ada@example.com", "preferred_channel": "WHATSAPP"},
    )
    lead_id = created.json()["id"]
    [handle] = await start_spec(ts_env.client, clean_db, task_queue, SPEC, [uuid.UUID(lead_id)])

    await run_to_end(ts_env, handle)

    sent = await outbound(clean_db, uuid.UUID(lead_id))
    assert [(m.step, m.details["channel"]) for m in sent] == [
        (1, "EMAIL"),
        (3, "EMAIL"),
        (5, "EMAIL"),
    ]
    assert sent[0].subject == "Hi Ada"
    assert sent[-1].subject == "Re: Hi Ada"  # the Message step's email started the thread
