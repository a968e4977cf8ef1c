"""Issue 14's "done when": leads in a running sequence, sent through the SMTP channel (to a
local aiosmtpd), whose reply and bounce report land in the mailbox's IMAP folder (a real
Dovecot) are stopped by the mailbox's poller workflow, run by a real worker."""

from __future__ import annotations

import asyncio
import email
import email.policy
import uuid
from collections.abc import Iterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlmodel import select
from temporalio.testing import WorkflowEnvironment

from adapters.channels.outbox import OutboxChannel
from adapters.channels.registry import ChannelRouter
from adapters.channels.smtp import SmtpChannel
from config.settings import Settings
from models.db import Database
from models.enums import DeliveryStatus, LeadStatus
from models.mailboxes import Mailbox
from models.tables import Message
from salespad.local import free_port
from sequences import Email, Sequence, Wait
from services.mailboxes.polling import ensure_mailbox_poller, ensure_mailbox_pollers
from tests.fakes import mail
from tests.helpers import (
    add_lead,
    count_events,
    eventually,
    lead_row,
    outbound,
    save_history,
    start_spec,
)
from tests.imap_server import Dovecot, add_mailbox
from tests.workers import running_worker
from workflows.mailbox_contracts import (
    MAILBOX_POLL_WORKFLOW,
    MailboxPollInput,
    MailboxPollResult,
    mailbox_poll_workflow_id,
)

# The bump is two days after the intro, and time is not skipped here: a sequence that ends
# was stopped by what the poller read.
_STEPS = (Email("intro", body="Worth a chat?", subject="Quick question"), Wait(days=2))
INTRO_THEN_BUMP = Sequence(
    "imap-intro-bump", *_STEPS, Email("bump", body="Bump.", thread=True)
).compile()
POLL_SECONDS = 1.0


@dataclass
class Setup:
    """A worker with the poller (1 s interval) on the time-skipping server, and an IMAP user."""

    env: WorkflowEnvironment
    db: Database
    task_queue: str
    settings: Settings
    dovecot: Dovecot
    user: str


@pytest.fixture
def imap(
    ts_env: WorkflowEnvironment,
    clean_db: Database,
    task_queue: str,
    settings: Settings,
    dovecot: Dovecot,
    imap_user: str,
) -> Setup:
    settings = settings.model_copy(update={"imap_poll_seconds": POLL_SECONDS})
    return Setup(ts_env, clean_db, task_queue, settings, dovecot, imap_user)


def worker(imap: Setup, channels: ChannelRouter) -> AbstractAsyncContextManager[Any]:
    secret = imap.settings.secret_key.get_secret_value()
    return running_worker(
        imap.env.client, imap.db, imap.task_queue, channels, secret_key=secret,
        imap_poll_seconds=POLL_SECONDS,
    )  # fmt: skip


class Inbox:
    """The SMTP relay: keeps every message it is handed."""

    def __init__(self) -> None:
        self.received: list[email.message.Message] = []
        self.port = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        self.received.append(email.message_from_bytes(content, policy=email.policy.compat32))
        return "250 OK"

    def message_id_to(self, address: str) -> str:
        [sent] = [m for m in self.received if address in str(m["To"])]
        return str(sent["Message-ID"])


@pytest.fixture
def relay() -> Iterator[Inbox]:
    """A local SMTP relay (aiosmtpd) that keeps what it is handed."""
    inbox = Inbox()
    inbox.port = free_port()
    server = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    server.start()
    yield inbox
    server.stop()


def smtp_channels(sender: str, relay: Inbox) -> ChannelRouter:
    smtp = SmtpChannel("127.0.0.1", relay.port, from_email=sender, start_tls=False)
    return ChannelRouter({"EMAIL": smtp, "SMS": OutboxChannel("SMS")})


async def stop_poller(imap: Setup, box: Mailbox) -> str:
    """Disable the mailbox and wake its poller, which ends on that round; its reason."""
    client = imap.env.client
    async with imap.db.session() as session:
        row = await session.get(Mailbox, box.id)
        assert row is not None
        row.state = "disabled"
        await session.commit()
    await ensure_mailbox_poller(client, imap.settings, box.id, wanted=False)
    handle = client.get_workflow_handle(
        mailbox_poll_workflow_id(str(box.id)), result_type=MailboxPollResult
    )
    return (await handle.result()).reason


async def test_a_reply_and_a_bounce_read_over_imap_stop_their_sequences(
    imap: Setup, relay: Inbox
) -> None:
    client, db, user = imap.env.client, imap.db, imap.user
    async with worker(imap, smtp_channels(user, relay)):
        ada = await add_lead(db, name="Ada Lovelace", email="ada@client.example")
        gone = await add_lead(db, name="Gone Person", email="gone@client.example")
        leads = [ada.id, gone.id]
        handles = await start_spec(client, db, imap.task_queue, INTRO_THEN_BUMP, leads)

        async def both_sent() -> bool:
            return len(relay.received) == 2

        await eventually(both_sent, what="both intros sent over SMTP")
        box = await add_mailbox(db, imap.settings, imap.dovecot, user)
        await ensure_mailbox_poller(client, imap.settings, box.id)

        # Ada answers the intro in its thread; the other address bounces.
        body = "Yes, interested! Can we talk on Tuesday?"
        intro_to_ada = relay.message_id_to("ada@client.example")
        sender = "Ada Lovelace <ada@client.example>"
        imap.dovecot.append(
            user, mail.reply(sender=sender, to=user, body=body, in_reply_to=intro_to_ada)
        )
        intro_to_gone = relay.message_id_to("gone@client.example")
        bounce = mail.bounce_report(
            to=user, recipient="gone@client.example", original_message_id=intro_to_gone
        )
        imap.dovecot.append(user, bounce)

        # Stopped by the poller's round (within the poll interval, give or take the reply's
        # classification), not by time: the bump is two days away and time is not skipped.
        results = [await asyncio.wait_for(h.result(), timeout=60) for h in handles]
        assert await stop_poller(imap, box) == "mailbox disabled"

    assert [r.outcome for r in results] == ["replied", "stopped"]
    assert [r.sends for r in results] == [1, 1]  # no bump for either
    assert len(relay.received) == 2
    assert (await lead_row(db, ada.id)).status == LeadStatus.REPLIED
    assert (await lead_row(db, gone.id)).status == LeadStatus.BOUNCED
    [reply] = await _replies(db, ada.id)
    assert reply.mailbox_id == box.id and reply.intent == "interested"
    assert await _replies(db, gone.id) == []
    assert await count_events(db, gone.id, "BOUNCED") == 1
    [intro] = await outbound(db, gone.id)
    assert intro.delivery_status == DeliveryStatus.BOUNCED
    assert not any("\\Seen" in f for f in imap.dovecot.flags(user).values())


async def test_one_poller_per_mailbox_started_at_worker_start_and_renewed(imap: Setup) -> None:
    client, db, settings, user = imap.env.client, imap.db, imap.settings, imap.user
    async with worker(imap, ChannelRouter.outbox()):
        box = await add_mailbox(db, settings, imap.dovecot, user)
        await add_mailbox(db, settings, imap.dovecot, user, imap_host="")  # no IMAP
        # Started once at worker start, however many workers start, and kept.
        assert await ensure_mailbox_pollers(client, settings, db) == 1
        assert await ensure_mailbox_pollers(client, settings, db) == 1
        poller = client.get_workflow_handle(mailbox_poll_workflow_id(str(box.id)))
        first_run = (await poller.describe()).run_id
        await ensure_mailbox_poller(client, settings, box.id)
        assert (await poller.describe()).run_id == first_run
        # Nothing to wake for a mailbox without a poller: no error, nothing started.
        await ensure_mailbox_poller(client, settings, uuid.uuid4(), wanted=False)

        imap.dovecot.append(user, mail.reply(sender="p@else.example", to=user, body="hi"))
        await eventually(lambda: _read_from(db, box.id), what="the message was read")
        assert await stop_poller(imap, box) == "mailbox disabled"
        await save_history(poller, "mailbox_poll_disabled")

        # A poller continues as new after its rounds, carrying on where it was.
        other = await add_mailbox(db, settings, imap.dovecot, user)
        handle = await client.start_workflow(
            MAILBOX_POLL_WORKFLOW,
            MailboxPollInput(mailbox_id=str(other.id), interval_seconds=0.2, rounds_per_run=2),
            id=mailbox_poll_workflow_id(str(other.id)),
            task_queue=imap.task_queue,
        )
        latest = client.get_workflow_handle(handle.id)

        async def continued() -> bool:
            return (await latest.describe()).run_id != handle.first_execution_run_id

        await eventually(continued, what="a new run")
        assert await stop_poller(imap, other) == "mailbox disabled"


async def _read_from(db: Database, mailbox_id: uuid.UUID) -> list[Message]:
    async with db.session() as session:
        rows = await session.exec(select(Message).where(Message.mailbox_id == mailbox_id))
        return list(rows.all())


async def _replies(db: Database, lead_id: uuid.UUID) -> list[Message]:
    async with db.session() as session:
        rows = await session.exec(
            select(Message).where(Message.lead_id == lead_id, Message.direction == "INBOUND")
        )
        return list(rows.all())
