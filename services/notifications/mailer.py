"""Emails the owners their inbox items, durably: a pending item is claimed (a lease, so a
crashed worker's claim comes back), sent through the email channel, and marked sent; a
transient failure is retried with backoff, a permanent one (or too many tries) marks it failed
with the reason, visible in the inbox. Several workers may run it: claims skip locked rows."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text

from adapters.channels.base import (
    OutboundContent,
    OutreachChannel,
    PermanentChannelError,
    Recipient,
)
from adapters.channels.registry import ChannelRouter, UnknownChannel
from models.db import Database
from services import loops

log = logging.getLogger("salespad.notifications")

_CLAIM = text(
    """
    UPDATE owner_notification n
       SET email_status = 'sending', email_attempts = n.email_attempts + 1,
           email_next_at = now() + make_interval(secs => :lease)
      FROM lead l
     WHERE l.id = n.lead_id AND n.id IN (
           SELECT id FROM owner_notification
            WHERE email_status IN ('pending', 'sending') AND email_next_at <= now()
            ORDER BY email_next_at
            LIMIT :limit
              FOR UPDATE SKIP LOCKED)
    RETURNING n.id, n.email_to, n.owner, n.intent, n.summary, n.email_attempts,
              l.id, l.name, l.email, l.company
    """
)
_DONE = text(
    "UPDATE owner_notification SET email_status = :status, email_error = :error,"
    " email_next_at = now() + make_interval(secs => :delay) WHERE id = :id"
)


@dataclass(frozen=True)
class MailerPolicy:
    lease: float = 300.0  # a claim older than this is taken again (its worker died)
    first_retry: float = 30.0
    max_retry: float = 3600.0
    max_attempts: int = 8
    batch: int = 20


async def send_due(db: Database, email: OutreachChannel | None, policy: MailerPolicy) -> int:
    """One round: claim what is due and send it; returns how many were claimed."""
    async with db.session() as session:
        claimed = (
            await session.exec(  # type: ignore[call-overload]
                _CLAIM, params={"lease": policy.lease, "limit": policy.batch}
            )
        ).all()
        await session.commit()
        for row in claimed:
            status, error, delay = await _send(email, row, policy)
            await session.exec(  # type: ignore[call-overload]
                _DONE, params={"status": status, "error": error, "delay": delay, "id": row[0]}
            )
            await session.commit()
    return len(claimed)


async def _send(
    email: OutreachChannel | None, row: Any, policy: MailerPolicy
) -> tuple[str, str | None, float]:
    notification_id, to, owner, intent, summary, attempts, lead_id, name, address, company = row
    if email is None:
        return "none", "no email channel is configured", 0
    content = OutboundContent(
        subject=f"{name} replied ({intent.replace('_', ' ')})",
        body=(
            f"{name}{f' at {company}' if company else ''} <{address or 'no email'}> replied.\n\n"
            f"Intent: {intent}\n\n{summary}\n\nLead: /api/leads/{lead_id}\n"
        ),
        idempotency_key=f"owner-notification-{notification_id}",
    )
    try:
        await email.send(Recipient(lead_id=str(lead_id), name=owner or to, email=to), content)
    except PermanentChannelError as exc:
        return "failed", str(exc)[:500], 0
    except Exception as exc:  # transient, unknown outcome, or a bug: retried, then failed
        if attempts >= policy.max_attempts:
            return "failed", f"gave up after {attempts} attempts: {exc}"[:500], 0
        delay = min(policy.max_retry, policy.first_retry * 2 ** (attempts - 1))
        log.warning("owner email %s failed (%s); retrying in %.0f s", notification_id, exc, delay)
        return "pending", str(exc)[:500], delay
    return "sent", None, 0


def email_channel(channels: ChannelRouter) -> OutreachChannel | None:
    try:
        return channels.for_type("EMAIL")
    except UnknownChannel:
        return None


async def run_mailer(
    db: Database,
    channels: ChannelRouter,
    stop: asyncio.Event,
    every: float = 2.0,
    policy: MailerPolicy | None = None,
) -> None:
    """Until `stop` is set."""
    chosen = policy or MailerPolicy()

    async def round_() -> None:
        # The email channel as configured now (a worker's channels follow POST /api/channels).
        email = email_channel(await channels.current())
        while await send_due(db, email, chosen) == chosen.batch:
            pass  # a full batch: there may be more due right now

    await loops.every(every, stop, round_, log, "owner mailer round")
