"""The dispatcher, one batch at a time on a clock the test moves: signatures, the attempt log,
the retry schedule with its 24-hour end, redeliver, and leases."""

from __future__ import annotations

import itertools
import json
from datetime import timedelta

import httpx
import pytest

from config.settings import Settings, WebhookSettings
from models.db import Database
from models.enums import EventType
from salespad.local import free_port
from services import signing
from services.webhooks_out.queries import Claimed, Outcome, claim_due, record_outcomes
from tests.fakes.http_server import FakeHTTPServer, ScriptedResponse
from tests.service.webhooks_out.conftest import (
    Clock,
    a_lead,
    attempts,
    deliveries,
    dispatcher,
    emit,
    subscribe,
)

SECRET = "receiver-secret-0123456789"
# The shipped schedule: 10 s doubling to 1 h, for 24 h; no jitter so times are exact.
SHIPPED = WebhookSettings(_env_file=None, jitter=0)  # type: ignore[call-arg]


async def test_a_post_is_signed_with_the_shared_scheme(
    api: httpx.AsyncClient, clean_db: Database, settings: Settings, receiver: FakeHTTPServer
) -> None:
    await subscribe(api, f"{receiver.url}/hook", ["lead.bounced"], secret=SECRET)
    await emit(clean_db, await a_lead(clean_db), EventType.BOUNCED, reason="550 no such user")
    assert await dispatcher(clean_db, settings).run_once() == 1

    [request] = receiver.requests
    [delivery] = await deliveries(clean_db)
    assert request.path == "/hook"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-SalesPad-Event"] == "lead.bounced"
    assert request.headers["X-SalesPad-Delivery"] == str(delivery.id)
    header = request.headers["X-SalesPad-Signature"]
    signing.verify(SECRET, header, request.body)  # what a receiver runs
    with pytest.raises(signing.BadSignature):
        signing.verify("another-secret-0123456789", header, request.body)
    with pytest.raises(signing.BadSignature):
        signing.verify(SECRET, header, request.body.replace(b"550", b"551"))
    assert json.loads(request.body) == delivery.payload
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 204)
    assert delivery.delivered_at is not None


async def test_a_non_2xx_answer_is_logged_and_retried(
    api: httpx.AsyncClient, clean_db: Database, settings: Settings, receiver: FakeHTTPServer
) -> None:
    await subscribe(api, f"{receiver.url}/hook")
    receiver.enqueue(ScriptedResponse(status=500, body="boom"), ScriptedResponse(status=302))
    await emit(clean_db, await a_lead(clean_db), EventType.UNSUBSCRIBED)
    clock = Clock()
    sender = dispatcher(clean_db, settings, SHIPPED, clock)

    assert await sender.run_once() == 1
    [delivery] = await deliveries(clean_db)
    detail = (await api.get(f"/api/webhook-deliveries/{delivery.id}")).json()
    assert detail["status"] == "pending"
    assert (detail["last_status_code"], detail["last_error"]) == (500, "HTTP 500: boom")
    [first] = detail["attempt_log"]
    assert (first["status_code"], first["error"]) == (500, "HTTP 500: boom")
    assert first["duration_ms"] >= 0
    assert delivery.next_attempt_at == clock.now + timedelta(seconds=10)

    assert await sender.run_once() == 0  # not due yet
    clock.advance(seconds=10)
    assert await sender.run_once() == 1  # a redirect is not followed: another failure
    clock.advance(seconds=20)
    assert await sender.run_once() == 1
    detail = (await api.get(f"/api/webhook-deliveries/{delivery.id}")).json()
    assert [a["status_code"] for a in detail["attempt_log"]] == [500, 302, 204]
    assert (detail["status"], detail["attempts"]) == ("delivered", 3)
    assert detail["next_attempt_at"] is None
    assert len(receiver.requests) == 3
    assert {r.headers["X-SalesPad-Delivery"] for r in receiver.requests} == {str(delivery.id)}


async def test_retries_back_off_for_a_day_then_the_delivery_fails(
    api: httpx.AsyncClient, clean_db: Database, settings: Settings
) -> None:
    await subscribe(api, f"http://127.0.0.1:{free_port()}/down")  # nothing listens
    await emit(clean_db, await a_lead(clean_db), EventType.DEAD_LETTERED, error="boom")
    clock = Clock()
    start = clock.now
    sender = dispatcher(clean_db, settings, SHIPPED, clock)
    while True:
        assert await sender.run_once() == 1
        [delivery] = await deliveries(clean_db)
        if delivery.status != "pending":
            break
        clock.now = delivery.next_attempt_at

    log = await attempts(clean_db, delivery.id)
    gaps = [(b.at - a.at).total_seconds() for a, b in itertools.pairwise(log)]
    doubling = [10.0 * 2**k for k in range(9)]  # 10 s ... 2560 s, then the 1 h cap
    hourly = int((86400 - sum(doubling)) // 3600)
    expected = [*doubling, *[3600.0] * hourly, 86400 - sum(doubling) - 3600 * hourly]
    assert gaps == expected
    assert log[-1].at == start + timedelta(hours=24)  # the last try is at the window's end
    assert (delivery.status, delivery.attempts) == ("failed", len(expected) + 1)
    assert delivery.last_status_code is None and "ConnectError" in (delivery.last_error or "")
    clock.advance(days=7)
    assert await sender.run_once() == 0  # failed stays failed until redelivered


async def test_redeliver_brings_a_failed_delivery_back_under_the_same_id(
    api: httpx.AsyncClient, clean_db: Database, settings: Settings, receiver: FakeHTTPServer
) -> None:
    await subscribe(api, f"{receiver.url}/hook")
    receiver.enqueue(ScriptedResponse(status=503), ScriptedResponse(status=503))
    await emit(clean_db, await a_lead(clean_db), EventType.BOUNCED)
    clock = Clock()
    short = WebhookSettings(_env_file=None, jitter=0, retry_window_hours=0.01)  # type: ignore[call-arg]
    sender = dispatcher(clean_db, settings, short, clock)
    await sender.run_once()
    clock.advance(seconds=36)  # the window's end
    await sender.run_once()
    [delivery] = await deliveries(clean_db)
    assert delivery.status == "failed"
    failed = await api.get("/api/webhook-deliveries", params={"status": "failed"})
    assert [d["id"] for d in failed.json()["items"]] == [str(delivery.id)]

    res = await api.post(f"/api/webhook-deliveries/{delivery.id}/redeliver")
    assert res.status_code == 200, res.text
    assert (res.json()["id"], res.json()["status"], res.json()["attempts"]) == (
        str(delivery.id),
        "pending",
        0,
    )
    assert await sender.run_once() == 1
    [delivery] = await deliveries(clean_db)
    assert (delivery.status, delivery.attempts) == ("delivered", 1)
    assert [r.headers["X-SalesPad-Delivery"] for r in receiver.requests] == [str(delivery.id)] * 3
    assert [a.status_code for a in await attempts(clean_db, delivery.id)] == [503, 503, 204]


async def test_a_claim_whose_worker_died_is_taken_over_when_its_lease_ends(
    api: httpx.AsyncClient, clean_db: Database, settings: Settings, receiver: FakeHTTPServer
) -> None:
    await subscribe(api, f"{receiver.url}/hook")
    await emit(clean_db, await a_lead(clean_db), EventType.BOUNCED)
    clock = Clock()
    lease = timedelta(seconds=SHIPPED.lease_seconds)
    async with clean_db.engine.begin() as conn:  # a worker claims it, then dies mid-POST
        [claimed] = await claim_due(conn, clock.now, lease, 10)
    sender = dispatcher(clean_db, settings, SHIPPED, clock)
    assert await sender.run_once() == 0
    clock.advance(seconds=SHIPPED.lease_seconds)
    assert await sender.run_once() == 1
    [delivery] = await deliveries(clean_db)
    assert (delivery.id, delivery.status, delivery.attempts) == (claimed.id, "delivered", 2)

    # The dead worker's outcome, should it come late, is logged but changes nothing.
    late = Outcome(
        id=claimed.id,
        lease_until=claimed.lease_until,
        at=clock.now,
        status_code=500,
        error="HTTP 500",
        duration_ms=1,
        delivered=False,
        retry_at=clock.now + lease,
    )
    async with clean_db.engine.begin() as conn:
        await record_outcomes(conn, [late])
    [delivery] = await deliveries(clean_db)
    assert delivery.status == "delivered"
    assert [a.status_code for a in await attempts(clean_db, delivery.id)] == [204, 500]


async def test_an_inactive_subscription_holds_its_deliveries(
    api: httpx.AsyncClient, clean_db: Database, settings: Settings, receiver: FakeHTTPServer
) -> None:
    sub = await subscribe(api, f"{receiver.url}/hook")
    await emit(clean_db, await a_lead(clean_db), EventType.BOUNCED)
    path = f"/api/webhook-subscriptions/{sub['id']}"
    await api.patch(path, json={"active": False})
    sender = dispatcher(clean_db, settings)
    assert await sender.run_once() == 0
    await api.patch(path, json={"active": True})
    assert await sender.run_once() == 1
    assert len(receiver.requests) == 1


async def test_a_secret_that_cannot_be_unsealed_is_an_attempt_error(
    api: httpx.AsyncClient, clean_db: Database, settings: Settings, receiver: FakeHTTPServer
) -> None:
    await subscribe(api, f"{receiver.url}/hook")
    await emit(clean_db, await a_lead(clean_db), EventType.BOUNCED)
    rotated = settings.model_copy(update={"secret_key": settings.secret_key.__class__("x" * 40)})
    assert await dispatcher(clean_db, rotated).run_once() == 1
    [delivery] = await deliveries(clean_db)
    assert delivery.status == "pending" and "SALESPAD_SECRET_KEY" in (delivery.last_error or "")
    assert receiver.requests == []  # nothing unsigned ever leaves


async def test_deleting_a_subscription_drops_its_deliveries(
    api: httpx.AsyncClient, clean_db: Database, settings: Settings
) -> None:
    sub = await subscribe(api, "http://127.0.0.1:9/x")
    await emit(clean_db, await a_lead(clean_db), EventType.BOUNCED)
    assert (await api.delete(f"/api/webhook-subscriptions/{sub['id']}")).status_code == 204
    assert await deliveries(clean_db) == []
    assert await dispatcher(clean_db, settings).run_once() == 0


async def test_a_receiver_slower_than_the_timeout_is_a_failed_attempt(
    api: httpx.AsyncClient, clean_db: Database, settings: Settings, receiver: FakeHTTPServer
) -> None:
    await subscribe(api, f"{receiver.url}/slow")
    receiver.enqueue(ScriptedResponse(status=200, latency=2))
    await emit(clean_db, await a_lead(clean_db), EventType.BOUNCED)
    quick = WebhookSettings(_env_file=None, timeout_seconds=0.2, lease_seconds=1)  # type: ignore[call-arg]
    assert await dispatcher(clean_db, settings, quick).run_once() == 1
    [delivery] = await deliveries(clean_db)
    [attempt] = await attempts(clean_db, delivery.id)
    assert (delivery.status, attempt.status_code, attempt.error) == (
        "pending",
        None,
        "timed out after 0.2 s",
    )
    assert 150 <= attempt.duration_ms < 1000


async def test_an_outcome_that_cannot_be_recorded_does_not_take_the_batch_with_it(
    api: httpx.AsyncClient, clean_db: Database, settings: Settings
) -> None:
    await subscribe(api, "http://127.0.0.1:9/x")
    lead = await a_lead(clean_db)
    for _ in range(2):
        await emit(clean_db, lead, EventType.BOUNCED)
    clock = Clock()
    async with clean_db.engine.begin() as conn:
        good, bad = await claim_due(conn, clock.now, timedelta(seconds=60), 10)

    def outcome(row: Claimed, duration_ms: int) -> Outcome:
        return Outcome(row.id, row.lease_until, clock.now, 204, None, duration_ms, True, None)

    # A duration beyond the column's range fails the batch's one statement.
    await dispatcher(clean_db, settings)._record([outcome(good, 5), outcome(bad, 2**40)])
    by_id = {d.id: d.status for d in await deliveries(clean_db)}
    assert (by_id[good.id], by_id[bad.id]) == ("delivered", "pending")
