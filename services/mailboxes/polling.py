"""Keeping one reply poller (workflows/mailbox_poll.py) running for every mailbox read over
IMAP. `ensure_mailbox_poller` is idempotent: it starts the mailbox's poller, or wakes the one
running so it reads the mailbox's current settings at once (a disabled mailbox, or one whose
IMAP settings were removed, ends its poller on that round). The worker calls it for every
mailbox with IMAP when it starts; the mailbox API when one is created or changed."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from config.settings import Settings
from models.db import Database
from models.enums import ChannelType
from models.mailboxes import Mailbox, MailboxImapState
from services.mailboxes.imap import wants_poller
from workflows.mailbox_contracts import (
    MAILBOX_POLL_WORKFLOW,
    POLL_NOW_SIGNAL,
    MailboxPollInput,
    PollNow,
    mailbox_poll_workflow_id,
)

log = logging.getLogger("salespad.mailboxes")


async def ensure_mailbox_poller(
    client: Client, settings: Settings, mailbox_id: uuid.UUID, *, wanted: bool = True
) -> None:
    """Start or wake the mailbox's poller (signal-with-start: one per mailbox however often
    this is called). `wanted=False` (`not wants_poller(mailbox)`) only wakes a running one,
    which then sees the change and ends; none is started just to end."""
    workflow_id = mailbox_poll_workflow_id(str(mailbox_id))
    if not wanted:
        try:
            await client.get_workflow_handle(workflow_id).signal(POLL_NOW_SIGNAL, PollNow())
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise
        return
    await client.start_workflow(
        MAILBOX_POLL_WORKFLOW,
        MailboxPollInput(mailbox_id=str(mailbox_id), interval_seconds=settings.imap_poll_seconds),
        id=workflow_id,
        task_queue=settings.task_queue,
        start_signal=POLL_NOW_SIGNAL,
        start_signal_args=[PollNow()],
    )


async def ensure_mailbox_pollers(client: Client, settings: Settings, db: Database) -> int:
    """A poller for every mailbox with IMAP that is not disabled (the worker, at start)."""
    async with db.session() as session:
        rows = (
            await session.exec(
                select(Mailbox).where(
                    Mailbox.channel_type == ChannelType.EMAIL,
                    Mailbox.state != "disabled",
                    func.coalesce(col(Mailbox.config)["imap_host"].astext, "") != "",
                )
            )
        ).all()
    started = 0
    for mailbox in rows:
        if wants_poller(mailbox):
            await ensure_mailbox_poller(client, settings, mailbox.id)
            started += 1
    if started:
        log.info("reply pollers running for %d mailbox(es) read over IMAP", started)
    return started


@dataclass(frozen=True)
class ImapProblem:
    """A mailbox whose replies are not being read: what ops should look at."""

    mailbox_id: uuid.UUID
    name: str
    address: str
    last_error: str
    last_read_at: datetime | None


async def imap_problems(session: AsyncSession) -> list[ImapProblem]:
    """Mailboxes (not disabled) whose last IMAP round failed, with the error."""
    rows = await session.exec(
        select(Mailbox, MailboxImapState)
        .join(MailboxImapState, col(MailboxImapState.mailbox_id) == col(Mailbox.id))
        .where(col(MailboxImapState.last_error).is_not(None), Mailbox.state != "disabled")
        .order_by(col(Mailbox.name))
    )
    return [
        ImapProblem(m.id, m.name, m.address, s.last_error or "", s.last_polled_at)
        for m, s in rows.all()
    ]
