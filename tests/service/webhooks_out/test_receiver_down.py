"""Done when: a receiver that is down for a while still gets every event afterwards, exactly
once per delivery id, even when SalesPad's dispatcher stops and starts again meanwhile."""

from __future__ import annotations

import httpx

from config.settings import Settings
from models.db import Database
from models.enums import EventType
from salespad.local import free_port
from tests.fakes.http_server import FakeHTTPServer, RecordedRequest, ScriptedResponse
from tests.helpers import eventually
from tests.service.webhooks_out.conftest import (
    a_lead,
    attempts,
    deliveries,
    dispatcher,
    emit,
    received_ids,
    subscribe,
)


def slow_ok(_request: RecordedRequest) -> ScriptedResponse:
    return ScriptedResponse(status=200, latency=0.02)


async def test_a_receiver_down_for_a_while_gets_every_event_once(
    api: httpx.AsyncClient, clean_db: Database, settings: Settings
) -> None:
    port = free_port()
    await subscribe(api, f"http://127.0.0.1:{port}/hook", ["message.sent", "lead.bounced"])
    lead = await a_lead(clean_db)

    # 1. The receiver is down: every delivery is tried, refused, and kept.
    async with dispatcher(clean_db, settings).running():
        for i in range(30):
            await emit(clean_db, lead, EventType.EMAIL_SENT, step=i)

        async def all_tried_twice() -> bool:
            rows = await deliveries(clean_db)
            return len(rows) == 30 and all(r.attempts >= 2 for r in rows)

        await eventually(all_tried_twice, within=30)
    # 2. SalesPad is down too (no dispatcher), while events keep coming.
    for _ in range(20):
        await emit(clean_db, lead, EventType.BOUNCED)
    await emit(clean_db, lead, EventType.LEAD_UPDATED)  # not followed: never sent

    with FakeHTTPServer(slow_ok, port=port) as receiver:
        # 3. Both are back; the dispatcher is stopped and restarted midway through the backlog.

        async def some_received() -> bool:
            return len(receiver.requests) >= 10

        async with dispatcher(clean_db, settings).running():
            await eventually(some_received, every=0.01)
        assert len(receiver.requests) < 50  # really midway
        async with dispatcher(clean_db, settings).running():
            for _ in range(10):  # and events keep coming
                await emit(clean_db, lead, EventType.EMAIL_SENT, step=99)

            async def all_delivered() -> bool:
                rows = await deliveries(clean_db)
                return len(rows) == 60 and all(r.status == "delivered" for r in rows)

            await eventually(all_delivered, within=30)

    rows = await deliveries(clean_db)
    received = received_ids(receiver)
    assert set(received) == {str(r.id) for r in rows}
    assert set(received.values()) == {1}, "a delivery id arrived more than once"
    assert sorted(r.event for r in rows) == ["lead.bounced"] * 20 + ["message.sent"] * 40
    refused = await attempts(clean_db, rows[0].id)
    assert refused[0].status_code is None and "ConnectError" in (refused[0].error or "")
    assert refused[-1].status_code == 200


async def test_workers_side_by_side_share_the_work_without_doubles(
    api: httpx.AsyncClient, clean_db: Database, settings: Settings, receiver: FakeHTTPServer
) -> None:
    await subscribe(api, f"{receiver.url}/a")
    await subscribe(api, f"{receiver.url}/b", ["lead.unsubscribed"])
    lead = await a_lead(clean_db)
    for _ in range(100):
        await emit(clean_db, lead, EventType.UNSUBSCRIBED)
    async with dispatcher(clean_db, settings).running(), dispatcher(clean_db, settings).running():

        async def all_delivered() -> bool:
            rows = await deliveries(clean_db, status="delivered")
            return len(rows) == 200

        await eventually(all_delivered, within=30)
    received = received_ids(receiver)
    assert len(received) == 200 and set(received.values()) == {1}


async def test_a_hanging_receiver_does_not_hold_up_the_others(
    api: httpx.AsyncClient, clean_db: Database, settings: Settings, receiver: FakeHTTPServer
) -> None:
    """Seven of the eight slots hang on one receiver; another subscriber still gets its event
    at the next poll, not when the hanging posts end."""
    with FakeHTTPServer(lambda _r: ScriptedResponse(status=200, latency=2)) as hanging:
        await subscribe(api, f"{hanging.url}/slow", ["lead.bounced"])
        await subscribe(api, f"{receiver.url}/fast", ["lead.unsubscribed"])
        lead = await a_lead(clean_db)
        for _ in range(7):
            await emit(clean_db, lead, EventType.BOUNCED)
        async with dispatcher(clean_db, settings).running():

            async def all_hanging() -> bool:
                return len(hanging.requests) == 7

            await eventually(all_hanging, every=0.01)
            await emit(clean_db, lead, EventType.UNSUBSCRIBED)

            async def fast_one_arrived() -> bool:
                return len(receiver.requests) == 1

            await eventually(fast_one_arrived, within=1, every=0.01)
            slow = await deliveries(clean_db, event="lead.bounced")
            assert [r.status for r in slow] == ["pending"] * 7  # still hanging
