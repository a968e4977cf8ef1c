"""Caps and send windows defer sends: the workflow sleeps until the slot, nothing is dropped."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from temporalio.testing import WorkflowEnvironment

from models.db import Database
from models.enums import EventType
from models.tables import Channel
from sequences import Email, Sequence, Wait
from sequences.dsl import BusinessHours
from tests.helpers import add_lead, count_events, outbound, run_to_end, save_history, start_spec
from tests.workers import router, running_worker

ONE_EMAIL = Sequence("one-email", Email("hello", subject="Hi", body="Hello")).compile()


async def _outbox_email_channel(db: Database, **fields: object) -> None:
    async with db.session() as session:
        session.add(Channel(type="EMAIL", provider="outbox", name="capped", **fields))  # type: ignore[arg-type]
        await session.commit()


async def test_daily_cap_defers_without_losing_a_send(
    ts_env: WorkflowEnvironment, clean_db: Database, task_queue: str
) -> None:
    await _outbox_email_channel(clean_db, daily_cap=2)
    leads = [await add_lead(clean_db) for _ in range(3)]
    async with running_worker(ts_env.client, clean_db, task_queue, router()):
        handles = await start_spec(
            ts_env.client, clean_db, task_queue, ONE_EMAIL, [lead.id for lead in leads]
        )
        results = [await run_to_end(ts_env, h, step=timedelta(hours=2)) for h in handles]
        await save_history(handles[-1], "daily_cap")

    assert [r.sends for r in results] == [1, 1, 1]  # nothing dropped
    sent = sorted(
        [m for lead in leads for m in await outbound(clean_db, lead.id)],
        key=lambda m: m.sent_at,  # type: ignore[arg-type,return-value]
    )
    assert len(sent) == 3
    first, _, third = (m.sent_at for m in sent)
    assert first is not None and third is not None
    # The cap held: the third send waited for the first to age out of the rolling 24 hours.
    assert third - first >= timedelta(hours=24)
    deferred = [await count_events(clean_db, lead.id, EventType.SEND_DEFERRED) for lead in leads]
    assert sum(deferred) >= 1


async def test_channel_send_window_holds_sends_to_local_business_hours(
    ts_env: WorkflowEnvironment, clean_db: Database, task_queue: str
) -> None:
    window = BusinessHours("09:00", "10:00", days="mon-fri")
    await _outbox_email_channel(clean_db, send_window=window.model_dump(mode="json"))
    lead = await add_lead(clean_db, timezone="Asia/Tokyo")
    async with running_worker(ts_env.client, clean_db, task_queue, router()):
        [handle] = await start_spec(ts_env.client, clean_db, task_queue, ONE_EMAIL, [lead.id])
        await run_to_end(ts_env, handle)

    [message] = await outbound(clean_db, lead.id)
    assert message.sent_at is not None
    local = message.sent_at.astimezone(ZoneInfo("Asia/Tokyo"))
    assert local.isoweekday() <= 5
    assert 9 <= local.hour < 10


async def test_a_wait_with_a_window_lands_inside_it(
    ts_env: WorkflowEnvironment, clean_db: Database, task_queue: str
) -> None:
    spec = Sequence(
        "windowed",
        Email("a", subject="Hi", body="one"),
        Wait(hours=1, window=BusinessHours("14:00", "15:00", days="tue")),
        Email("b", body="two", thread=True),
    ).compile()
    lead = await add_lead(clean_db, timezone="Europe/Berlin")
    async with running_worker(ts_env.client, clean_db, task_queue, router()):
        [handle] = await start_spec(ts_env.client, clean_db, task_queue, spec, [lead.id])
        await run_to_end(ts_env, handle)
        await save_history(handle, "wait_window")

    second = (await outbound(clean_db, lead.id))[1]
    assert second.sent_at is not None
    local = second.sent_at.astimezone(ZoneInfo("Europe/Berlin"))
    assert (local.isoweekday(), local.hour) == (2, 14)
