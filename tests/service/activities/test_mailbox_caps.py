"""A mailbox's caps hold when many sends race for its last slots at once, as sends on several
workers do: each chooser holds the mailbox's advisory lock from its count to its claim."""

from __future__ import annotations

import asyncio
import io
from collections import Counter

from temporalio.testing import ActivityEnvironment

from activities.sending import SendActivities
from adapters.channels.outbox import OutboxChannel
from adapters.channels.registry import ChannelRouter
from models.db import Database
from models.mailboxes import Mailbox
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
