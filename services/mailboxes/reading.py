"""One round of a mailbox's reply poller: read what arrived in its IMAP folder since the last
UID, take each message (services/mailboxes/inbox.py), then remember how far it read.

How far: `mailbox_imap_state` keeps the folder's UIDVALIDITY and the last UID read. While the
UIDVALIDITY holds, the next round asks for the UIDs above it. When there is no state yet, or
the folder or its UIDVALIDITY changed (the folder was recreated or restored: its UIDs mean
nothing any more), the round reads by date instead: the messages that arrived since the last
successful read (the first time: since the mailbox was created, at most FIRST_LOOKBACK back;
either with a few minutes' margin for the server's clock).
Older mail is never taken for new replies, and what is read twice is recorded once (replies
and unmatched mail by Message-ID, bounces by the report's id).

An unreachable server, a refused login or a password that cannot be unsealed does not fail
the round: it is written to `last_error` and logged (an error once it keeps failing), and the
poller backs off. Only our own database failing raises (the activity's retries take it).
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

from adapters.channels.imap import ImapConfig, ImapError, ReadFrom, read_new, settle
from models.db import Database
from models.mailboxes import Mailbox, MailboxImapState
from models.secrets import SecretError
from models.tables import utcnow
from services.gateway import LeadWorkflowGateway
from services.mailboxes.imap import ImapSettingsError, has_imap, imap_config
from services.mailboxes.inbox import MailboxRef, take_message

log = logging.getLogger("salespad.mailboxes")

FIRST_LOOKBACK = timedelta(days=14)
# A read by date starts this much earlier: the server's clock is not ours, and its arrival
# times (INTERNALDATE) have whole seconds. What is read twice is recognised.
CLOCK_MARGIN = timedelta(minutes=10)
# From this many failed rounds in a row, a failure is logged as an error, not a warning.
LOUD_AFTER = 3


@dataclass(frozen=True)
class ReadPolicy:
    secret_key: str = ""  # unseals the IMAP passwords (SALESPAD_SECRET_KEY)
    batch: int = 100
    interval_seconds: float = 60.0  # SALESPAD_IMAP_POLL_SECONDS


@dataclass
class RoundOutcome:
    active: bool = True
    reason: str = ""
    error: str | None = None
    more: bool = False
    taken: Counter[str] = field(default_factory=Counter)


async def poll_round(
    db: Database,
    workflows: LeadWorkflowGateway,
    mailbox_id: uuid.UUID,
    policy: ReadPolicy,
    *,
    failures: int = 0,
) -> RoundOutcome:
    async with db.session() as session:
        mailbox = await session.get(Mailbox, mailbox_id)
        state = await session.get(MailboxImapState, mailbox_id)
        await session.commit()
    if mailbox is None:
        return RoundOutcome(active=False, reason="mailbox deleted")
    if mailbox.state == "disabled":
        return RoundOutcome(active=False, reason="mailbox disabled")
    if not has_imap(mailbox.config):
        return RoundOutcome(active=False, reason="mailbox has no IMAP settings")
    try:
        config = imap_config(mailbox, policy.secret_key)
    except (ImapSettingsError, SecretError) as exc:
        return await _failed(db, mailbox, None, str(exc), failures)
    same_folder = state is not None and state.folder == config.folder
    started = utcnow()
    since = max(mailbox.created_at, started - FIRST_LOOKBACK)
    if state is not None and state.last_polled_at is not None:
        since = state.last_polled_at
    try:
        known = state if state is not None and same_folder else None
        start = ReadFrom(
            known.uidvalidity if known else None,
            known.last_uid if known else 0,
            since - CLOCK_MARGIN,
        )
        read = await read_new(config, start, policy.batch)
    except ImapError as exc:
        return await _failed(db, mailbox, config, str(exc), failures)
    outcome = RoundOutcome(more=read.more)
    ref = MailboxRef(mailbox.id, mailbox.address)
    for message in read.messages:
        try:
            outcome.taken[await take_message(db, workflows, ref, message.raw)] += 1
        except Exception:
            log.exception("mailbox %s: message UID %d not taken", mailbox.name, message.uid)
            raise  # the round is retried; what was taken already is recognised then
    async with db.session() as session:
        row = await session.get(MailboxImapState, mailbox_id, with_for_update=True)
        if row is None:
            row = MailboxImapState(mailbox_id=mailbox_id)
            session.add(row)
        row.folder = config.folder
        row.uidvalidity = read.uidvalidity
        row.last_uid = read.last_uid
        row.last_polled_at = started
        row.last_error = None
        row.messages_seen += len(read.messages)
        await session.commit()
    if failures:
        log.info("mailbox %s: IMAP read again after %d failed round(s)", mailbox.name, failures)
    if read.messages:
        log.info("mailbox %s: %s", mailbox.name, dict(outcome.taken))
    try:
        await settle(config, [m.uid for m in read.messages])
    except ImapError as exc:  # recorded already: only the marking or moving is missing
        outcome.error = f"recorded, but not marked or moved: {exc}"
        await _note_error(db, mailbox, config.folder, outcome.error)
        log.warning("mailbox %s: %s", mailbox.name, outcome.error)
    return outcome


async def _failed(
    db: Database, mailbox: Mailbox, config: ImapConfig | None, error: str, failures: int
) -> RoundOutcome:
    level = logging.ERROR if failures + 1 >= LOUD_AFTER else logging.WARNING
    log.log(level, "mailbox %s (%s): IMAP read failed (%d in a row): %s",
            mailbox.name, mailbox.id, failures + 1, error)  # fmt: skip
    await _note_error(db, mailbox, config.folder if config else None, error)
    return RoundOutcome(error=error)


async def _note_error(db: Database, mailbox: Mailbox, folder: str | None, error: str) -> None:
    async with db.session() as session:
        row = await session.get(MailboxImapState, mailbox.id, with_for_update=True)
        if row is None:
            row = MailboxImapState(mailbox_id=mailbox.id, folder=folder or "INBOX")
            session.add(row)
        row.last_error = f"{utcnow().isoformat(timespec='seconds')} {error}"[:2000]
        await session.commit()
