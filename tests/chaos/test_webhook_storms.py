"""Scenario 4: webhooks duplicated, reordered and raced against the worker and each other.

A real worker process sends through the fake SendGrid, which holds each send for a few seconds:
the delivery event (the same one three times, at once) arrives while our own record still says
`sending`, before the send is recorded. Then one reply is posted five times at once to a lead
asleep in its sequence. One record each, every answer 2xx, the right final state, and the
sequence stopped within a second.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path
from typing import Any

from sqlmodel import col, select
from temporalio.testing import WorkflowEnvironment

from models.db import Database
from models.enums import DeliveryStatus, Direction, EnrollmentState, EventType
from models.tables import Enrollment, Message
from sequences import Email, Sequence, Wait
from tests.chaos.harness import WorkerProcess, add_leads
from tests.chaos.worker import API_KEY
from tests.conftest import _api
from tests.fakes.sendgrid import FakeSendGrid, Faults
from tests.fakes.webhooks import signed_events, webhook_settings
from tests.helpers import events, eventually, start_spec

SPEC = Sequence(
    "chaos-webhooks",
    Email("a", subject="Hello", body="one"),
    Wait(minutes=10),
    Email("b", body="two", thread=True),
).compile()
HOLD = 3.0  # seconds the provider holds each send before answering


def _delivered(request_json: dict[str, Any], provider_id: str, n: int = 1) -> dict[str, Any]:
    args = request_json["personalizations"][0]["custom_args"]
    return {
        "email": request_json["personalizations"][0]["to"][0]["email"],
        "timestamp": int(time.time()),
        "event": "delivered",
        "sg_event_id": f"chaos-delivered-{args['idempotency_key']}-{n}",
        "sg_message_id": f"{provider_id}.filterdrecv-1",
        **args,
    }


async def test_duplicate_reordered_events_and_a_reply_posted_five_times_at_once(
    dev_env: WorkflowEnvironment,
    clean_db: Database,
    database_url: str,
    task_queue: str,
    tmp_path: Path,
) -> None:
    settings = webhook_settings(database_url, task_queue)
    target = dev_env.client.service_client.config.target_host
    with FakeSendGrid(API_KEY, Faults(latency=HOLD)) as provider:
        worker = WorkerProcess(
            target, database_url, task_queue, provider.url, tmp_path / "w.log",
            {"CHAOS_HTTP_TIMEOUT": str(HOLD + 5), "SALESPAD_TEST_SEND_TIMEOUT_SECONDS": "30"},
        )  # fmt: skip
        await asyncio.to_thread(worker.start)
        try:
            async for api in _api(settings, clean_db, dev_env.client):
                early, sleeper = await add_leads(clean_db, 2)
                await start_spec(dev_env.client, clean_db, task_queue, SPEC, [early, sleeper])

                async def at_provider() -> bool:
                    return len(provider.accepted) == 2

                await eventually(
                    at_provider, within=30, every=0.05, what="the sends never reached the provider"
                )
                [request] = [r for r in provider.accepted if r.json["personalizations"][0]
                             ["custom_args"]["lead_id"] == str(early)]  # fmt: skip
                provider_id = provider.message_ids[provider.accepted.index(request)]
                # Status before send: our record still says `sending` (the provider holds it).
                async with clean_db.session() as session:
                    [claim] = (
                        await session.exec(select(Message).where(Message.lead_id == early))
                    ).all()
                assert claim.delivery_status == DeliveryStatus.SENDING
                body, headers = signed_events([_delivered(request.json, provider_id)])
                posts = await asyncio.gather(
                    *[
                        api.post("/webhooks/sendgrid/events", content=body, headers=headers)
                        for _ in range(3)
                    ]
                )
                assert [p.status_code for p in posts] == [200, 200, 200], [p.text for p in posts]

                async def recorded(lead: uuid.UUID = early) -> bool:
                    return bool(await events(clean_db, lead, EventType.EMAIL_SENT))

                await eventually(
                    recorded, within=HOLD + 20, every=0.05, what="the send was never recorded"
                )
                async with clean_db.session() as session:
                    message = await session.get(Message, claim.id)
                    assert message is not None
                delivered = await events(clean_db, early, EventType.DELIVERED)

                # The same reply, five times at once, to a lead asleep in its sequence.
                reply = {"content": "Not interested, thanks.", "message_id": "<reply-1@x>"}
                sent_at = time.monotonic()
                answers = await asyncio.gather(
                    *[api.post(f"/api/leads/{sleeper}/replies", json=reply) for _ in range(5)]
                )
                answered = time.monotonic()

                async def stopped(lead: uuid.UUID = sleeper) -> bool:
                    async with clean_db.session() as session:
                        state = (
                            await session.exec(
                                select(Enrollment.state).where(Enrollment.lead_id == lead)
                            )
                        ).one()
                    return state != EnrollmentState.ACTIVE

                await eventually(stopped, within=30, every=0.05, what="the sequence never stopped")
                stopped_after = time.monotonic() - answered
                async with clean_db.session() as session:
                    inbound = (
                        await session.exec(
                            select(Message).where(
                                Message.lead_id == sleeper,
                                col(Message.direction) == Direction.INBOUND,
                            )
                        )
                    ).all()
        finally:
            worker.stop()

    codes = [a.status_code for a in answers]
    print(
        f"CHAOS webhooks: delivery events posted=3 recorded={len(delivered)} "
        f"final_status={message.delivery_status} replies posted=5 answers={codes} "
        f"reply_records={len(inbound)} reply_seconds={answered - sent_at:.2f} "
        f"stopped_after={stopped_after:.2f}s",
        flush=True,
    )
    assert len(delivered) == 1
    assert message.delivery_status == DeliveryStatus.DELIVERED  # not back to `sent`
    assert all(200 <= c < 300 for c in codes), [a.text for a in answers]
    assert len(inbound) == 1
    assert stopped_after < 1.0
