"""Checks the send step makes under the lead lock, before it claims a send: replies the
sequence has not handled yet, and the channel's daily cap and send window."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import DeliveryStatus, Direction
from models.tables import Channel, Message
from workflows.contracts import ReplyNotice
from workflows.spec import SendWindow
from workflows.timing import next_in_window

CAP_WINDOW = timedelta(hours=24)
# A crowd deferred to the same moment (a window opening, a cap slot freeing) goes out spread
# over up to this long, each lead at its own fixed offset, not all in the same second.
DEFERRAL_SPREAD = timedelta(minutes=15)


def spread(at: datetime, key: str, within: timedelta = DEFERRAL_SPREAD) -> datetime:
    """`at` plus an offset in [0, within) fixed by `key` (the send's idempotency key): the same
    send always gets the same offset, different sends are spread evenly."""
    seconds = max(1, int(within.total_seconds()))
    offset = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") % seconds
    return at + timedelta(seconds=offset)


def _length(window: SendWindow) -> timedelta:
    """How long the window stays open once it opens (an overnight window wraps)."""
    start, end = (datetime.strptime(t, "%H:%M") for t in (window.start, window.end))
    length = end - start
    return length if length > timedelta(0) else length + timedelta(days=1)


async def pending_replies(session: AsyncSession, lead_id: uuid.UUID) -> list[ReplyNotice]:
    """Replies recorded for the lead and not yet handled by its sequence, oldest first, each
    with the channel it came in on (one query: every send asks, and nearly always gets none)."""
    rows = (
        await session.exec(
            select(Message, Channel.type)
            .outerjoin(Channel, col(Channel.id) == col(Message.channel_id))
            .where(
                Message.lead_id == lead_id,
                Message.direction == Direction.INBOUND,
                col(Message.processed_at).is_(None),
            )
            .order_by(col(Message.created_at))
        )
    ).all()
    return [
        ReplyNotice(
            message_id=m.provider_message_id or str(m.id),
            db_message_id=str(m.id),
            channel=channel_type or "EMAIL",
            received_at=m.sent_at or m.created_at,
        )
        for m, channel_type in rows
    ]


async def next_slot(
    session: AsyncSession, channel: Channel, tz: ZoneInfo, now: datetime, key: str
) -> datetime | None:
    """None when the channel may send now; else when to try again: the first moment it may,
    plus this send's own offset (`spread`), within the first half of a window.

    Caps hold across every workflow: the count and the claim that follows it happen under a
    transaction-scoped advisory lock per channel, so two sends cannot both take the last slot.
    """
    if channel.send_window:
        window = SendWindow.model_validate(channel.send_window)
        opens = next_in_window(now, window, tz)
        if opens > now:
            return spread(opens, key, min(DEFERRAL_SPREAD, _length(window) / 2))
    if not channel.daily_cap:
        return None
    await session.exec(  # type: ignore[call-overload]
        text("SELECT pg_advisory_xact_lock(hashtext(:key))").bindparams(key=f"cap:{channel.id}")
    )
    since = now - CAP_WINDOW
    recent = (
        await session.exec(
            select(func.coalesce(Message.sent_at, Message.created_at))
            .where(
                Message.channel_id == channel.id,
                Message.direction == Direction.OUTBOUND,
                Message.delivery_status != DeliveryStatus.FAILED,
                col(Message.created_at) > since,
            )
            .order_by(func.coalesce(Message.sent_at, Message.created_at))
        )
    ).all()
    if len(recent) < channel.daily_cap:
        return None
    # The slot frees when the send that fills the cap ages out of the rolling 24 hours.
    oldest_blocking = recent[len(recent) - channel.daily_cap]
    return spread(oldest_blocking + CAP_WINDOW + timedelta(seconds=1), key)
