"""Mailboxes under a real worker on the time-skipping server: caps per mailbox across a
campaign, each lead kept on its first mailbox, a crowd spread along the gap, a paused
mailbox's leads held, and a rep's own mailboxes."""

from __future__ import annotations

import io
import itertools
import uuid
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import col, select
from temporalio.testing import WorkflowEnvironment

from adapters.channels.outbox import OutboxChannel
from config.settings import Settings
from models.db import Database
from models.enums import Direction, EventType
from models.mailboxes import Mailbox
from models.tables import Message
from sequences import Email, Sequence, Wait
from services.mailboxes.sending import MailboxSenders
from tests.helpers import add_lead, events, run_to_end, start_spec
from tests.workers import router, running_worker

TWO_EMAILS = Sequence(
    "two-emails",
    Email("intro", subject="Hi", body="Hello"),
    Wait(days=1),
    Email("bump", body="Following up", thread=True),
).compile()
ONE_EMAIL = Sequence("one-email", Email("hello", subject="Hi", body="Hello")).compile()


async def add_mailbox(db: Database, name: str, **fields: Any) -> Mailbox:
    box = Mailbox(name=name, channel_type="EMAIL", address=f"{name}@team.example", **fields)
    async with db.session() as session:
        session.add(box)
        await session.commit()
    return box


async def sends(db: Database) -> list[Message]:
    async with db.session() as session:
        rows = await session.exec(
            select(Message)
            .where(Message.direction == Direction.OUTBOUND)
            .order_by(col(Message.sent_at))
        )
        return list(rows.all())


async def set_state(db: Database, box: Mailbox, state: str, reason: str | None = None) -> None:
    async with db.session() as session:
        row = await session.get(Mailbox, box.id)
        assert row is not None
        row.state, row.paused_reason = state, reason
        await session.commit()


async def first_send_then_set(
    env: WorkflowEnvironment, db: Database, box: Mailbox, state: str, reason: str | None = None
) -> None:
    """Once the first email went out, the mailbox's state becomes `state`."""
    for _ in range(50):
        if await sends(db):
            break
        await env.sleep(timedelta(minutes=1))
    await set_state(db, box, state, reason)


def most_in_a_day(times: list[datetime]) -> int:
    """The most sends in any rolling 24 hours."""
    times = sorted(times)
    return max(
        (
            sum(1 for t in times[i:] if t - start < timedelta(hours=24))
            for i, start in enumerate(times)
        ),
        default=0,
    )


async def test_two_capped_mailboxes_share_a_campaign_and_keep_each_lead(
    ts_env: WorkflowEnvironment, clean_db: Database, task_queue: str
) -> None:
    a = await add_mailbox(clean_db, "ana", daily_cap=5)
    b = await add_mailbox(clean_db, "ben", daily_cap=5)
    leads = [await add_lead(clean_db) for _ in range(12)]
    printed = io.StringIO()
    channels = router(email=OutboxChannel("EMAIL", printed))
    async with running_worker(ts_env.client, clean_db, task_queue, channels):
        handles = await start_spec(
            ts_env.client, clean_db, task_queue, TWO_EMAILS, [lead.id for lead in leads],
            mailboxes=["ana", "ben"],
        )  # fmt: skip
        results = [await run_to_end(ts_env, h, step=timedelta(hours=2)) for h in handles]

    assert [r.sends for r in results] == [2] * 12  # every email went out in the end
    messages = await sends(clean_db)
    by_box: dict[uuid.UUID | None, list[datetime]] = defaultdict(list)
    for m in messages:
        assert m.sent_at is not None
        by_box[m.mailbox_id].append(m.sent_at)
    assert set(by_box) == {a.id, b.id}
    # Neither cap was exceeded in any rolling 24 hours; both were used to the full.
    assert most_in_a_day(by_box[a.id]) == 5
    assert most_in_a_day(by_box[b.id]) == 5
    # Each lead's follow-up went out from the mailbox that sent its first email.
    per_lead: dict[uuid.UUID | None, set[uuid.UUID | None]] = defaultdict(set)
    for m in messages:
        per_lead[m.lead_id].add(m.mailbox_id)
    assert all(len(boxes) == 1 for boxes in per_lead.values()), per_lead
    # New leads were shared by headroom: the first ten split five and five.
    first_emails = sorted((m for m in messages if m.step == 1), key=lambda m: m.sent_at)  # type: ignore[arg-type,return-value]
    assert Counter(m.mailbox_id for m in first_emails[:10]) == {a.id: 5, b.id: 5}
    # The adapter sent from each mailbox's own address.
    text = printed.getvalue()
    assert text.count("from ana@team.example") == len(by_box[a.id])
    assert text.count("from ben@team.example") == len(by_box[b.id])
    # Waiting sends were deferred with the mailbox named, not dropped.
    deferred = [
        e for lead in leads for e in await events(clean_db, lead.id, EventType.SEND_DEFERRED)
    ]
    assert deferred and all(e.details.get("mailbox") in ("ana", "ben") for e in deferred)


async def test_a_crowd_goes_out_along_the_gap_each_lead_waking_once(
    ts_env: WorkflowEnvironment, clean_db: Database, task_queue: str
) -> None:
    await add_mailbox(clean_db, "gappy", min_gap_seconds=600, jitter_seconds=60)
    leads = [await add_lead(clean_db) for _ in range(6)]
    async with running_worker(ts_env.client, clean_db, task_queue, router()):
        handles = await start_spec(
            ts_env.client, clean_db, task_queue, ONE_EMAIL, [lead.id for lead in leads]
        )
        for h in handles:
            await run_to_end(ts_env, h, step=timedelta(minutes=5))

    times = sorted(m.sent_at for m in await sends(clean_db) if m.sent_at)
    assert len(times) == 6
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= timedelta(seconds=600), gaps
    assert max(gaps) <= timedelta(seconds=660 + 5), gaps
    # Each waiting lead was promised its moment once and slept until it: no herd re-asking.
    deferrals = [len(await events(clean_db, lead.id, EventType.SEND_DEFERRED)) for lead in leads]
    assert sorted(deferrals) == [0, 1, 1, 1, 1, 1]


async def test_a_paused_mailbox_holds_its_leads_until_it_is_resumed(
    ts_env: WorkflowEnvironment, clean_db: Database, task_queue: str
) -> None:
    box = await add_mailbox(clean_db, "held")
    other = await add_mailbox(clean_db, "spare")
    lead = await add_lead(clean_db)
    async with running_worker(ts_env.client, clean_db, task_queue, router()):
        [handle] = await start_spec(
            ts_env.client, clean_db, task_queue, TWO_EMAILS, [lead.id], mailboxes=["held"]
        )
        # The first email goes out from `held`; then `held` is paused.
        await first_send_then_set(ts_env, clean_db, box, "paused", "hard bounces over 5 %")
        await ts_env.sleep(timedelta(days=2))
        assert len(await sends(clean_db)) == 1  # held, not sent from elsewhere
        held = await events(clean_db, lead.id, EventType.SEND_DEFERRED)
        assert held and "paused" in held[-1].details["reason"]
        await set_state(clean_db, box, "active")
        await run_to_end(ts_env, handle, step=timedelta(minutes=30))

    messages = await sends(clean_db)
    assert [m.mailbox_id for m in messages] == [box.id, box.id]
    assert other.id not in {m.mailbox_id for m in messages}


async def test_owner_mailboxes_send_the_owners_leads(
    ts_env: WorkflowEnvironment, clean_db: Database, task_queue: str
) -> None:
    sam = await add_mailbox(clean_db, "sam", owner="Sam Reed")
    team = await add_mailbox(clean_db, "team")
    owned = await add_lead(clean_db, owner="sam reed")
    unowned = await add_lead(clean_db, owner="Someone Else")
    async with running_worker(ts_env.client, clean_db, task_queue, router()):
        handles = await start_spec(
            ts_env.client, clean_db, task_queue, ONE_EMAIL, [owned.id, unowned.id],
            mailbox_owner=True,
        )  # fmt: skip
        for h in handles:
            await run_to_end(ts_env, h)
    boxes = {m.lead_id: m.mailbox_id for m in await sends(clean_db)}
    assert boxes[owned.id] == sam.id
    assert boxes[unowned.id] in {sam.id, team.id}


async def test_without_mailboxes_the_channel_sends_as_before(
    ts_env: WorkflowEnvironment, clean_db: Database, task_queue: str
) -> None:
    lead = await add_lead(clean_db)
    async with running_worker(ts_env.client, clean_db, task_queue, router()):
        [handle] = await start_spec(ts_env.client, clean_db, task_queue, ONE_EMAIL, [lead.id])
        await run_to_end(ts_env, handle)
    [message] = await sends(clean_db)
    assert message.mailbox_id is None


async def test_reassign_sends_a_paused_mailboxes_leads_from_the_others(
    ts_env: WorkflowEnvironment, clean_db: Database, task_queue: str, settings: Settings
) -> None:
    box = await add_mailbox(clean_db, "first")
    lead = await add_lead(clean_db)
    reassign = MailboxSenders(settings.model_copy(update={"mailbox_paused_leads": "reassign"}))
    async with running_worker(ts_env.client, clean_db, task_queue, router(), mailboxes=reassign):
        [handle] = await start_spec(ts_env.client, clean_db, task_queue, TWO_EMAILS, [lead.id])
        await first_send_then_set(ts_env, clean_db, box, "paused")
        spare = await add_mailbox(clean_db, "second")
        await run_to_end(ts_env, handle, step=timedelta(hours=1))
    assert [m.mailbox_id for m in await sends(clean_db)] == [box.id, spare.id]
