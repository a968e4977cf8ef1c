"""A mailbox's caps hold when many sends race for its last slots at once, as sends on several
workers do: each chooser holds the mailbox's advisory lock from its count to its claim."""

from __future__ import annotations

import asyncio
import io
from collections import Counter
from datetime import timedelta

from sqlmodel import select
from temporalio.testing import ActivityEnvironment

from activities.sending import SendActivities
from adapters.channels.outbox import OutboxChannel
from adapters.channels.registry import ChannelRouter
from models.db import Database
from models.mailboxes import Mailbox, MailboxSlot
from models.tables import utcnow
from services.mailboxes.sending import MailboxSenders
from tests.helpers import enrolled_lead
from workflows.contracts import SendStepInput
from workflows.spec import SendStep

STEP = SendStep(id="intro", channel="EMAIL", subject="Hi", body="Hello")


async def test_twenty_concurrent_sends_never_exceed_two_mailboxes_caps(clean_db: Database) -> None:
    async with clean_db.session() as session:
        for name, cap in (("ana", 3), ("ben", 4)):
            session.add(
                Mailbox(name=name, channel_type="EMAIL", address=f"{name}@x.example", daily_cap=cap)
            )
        await session.commit()
    inputs = []
    for _ in range(20):
        lead, enrollment = await enrolled_lead(clean_db)
        inputs.append(
            SendStepInput(
                lead_id=str(lead.id),
                enrollment_id=str(enrollment.id),
                campaign_id=str(enrollment.campaign_id),
                step_no=1,
                step=STEP,
            )
        )
    printed = io.StringIO()
    # One SendActivities per send: no state shared in Python, as on separate workers.
    results = await asyncio.gather(
        *(
            ActivityEnvironment().run(
                SendActivities(
                    clean_db,
                    ChannelRouter({"EMAIL": OutboxChannel("EMAIL", printed)}),
                    mailboxes=MailboxSenders(),
                ).send_step,
                inp,
            )
            for inp in inputs
        )
    )
    statuses = Counter(r.status for r in results)
    assert statuses == {"sent": 7, "deferred": 13}
    text = printed.getvalue()
    assert text.count("from ana@x.example") == 3
    assert text.count("from ben@x.example") == 4
    assert all(r.retry_at is not None for r in results if r.status == "deferred")


async def test_a_new_promise_clears_the_promises_nobody_came_back_for(clean_db: Database) -> None:
    box = Mailbox(name="gap", channel_type="EMAIL", address="gap@x.example", min_gap_seconds=600)
    stale_lead, _ = await enrolled_lead(clean_db)
    async with clean_db.session() as session:
        session.add(box)
        await session.commit()
        # A lead promised a moment an hour ago that never came back (it replied meanwhile).
        session.add(
            MailboxSlot(
                idempotency_key="gone", mailbox_id=box.id, lead_id=stale_lead.id,
                at=utcnow() - timedelta(hours=1),
            )
        )  # fmt: skip
        await session.commit()
    results = []
    for _ in range(2):
        lead, enrollment = await enrolled_lead(clean_db)
        inp = SendStepInput(
            lead_id=str(lead.id),
            enrollment_id=str(enrollment.id),
            campaign_id=str(enrollment.campaign_id),
            step_no=1,
            step=STEP,
        )
        acts = SendActivities(
            clean_db, ChannelRouter({"EMAIL": OutboxChannel("EMAIL", io.StringIO())})
        )
        results.append(await ActivityEnvironment().run(acts.send_step, inp))
    assert [r.status for r in results] == ["sent", "deferred"]
    async with clean_db.session() as session:
        keys = [s.idempotency_key for s in (await session.exec(select(MailboxSlot))).all()]
    assert keys == [inp.idempotency_key]  # the new promise, and the stale one gone
