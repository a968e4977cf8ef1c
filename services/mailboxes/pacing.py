"""When a mailbox may send next: its caps (rolling 24 h, with the ramp; rolling 60 min), its
minimum gap plus jitter, its send window in its own timezone, and the moments it has already
promised to sends that are waiting (`mailbox_slot`).

A send that cannot go at once is promised the mailbox's next free moment and sleeps until
then. The next send to ask is placed after every promise, one gap (plus its own jitter) later,
so a crowd that becomes due together (a window opening at 09:00, 5,000 leads enrolled at
once) goes out along the mailbox's gap, never as a burst, and each sleeper wakes once, to its
own moment, instead of all waking together to race for the next one. With a send window and
a daily cap the gap is at least the window's length over the cap: the day's sends are spread
across the window.

`plan` is pure (the tests drive it with made-up times); `load_all_times` reads what it needs,
`forget_stale` clears the promises nobody came back for.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import DeliveryStatus, Direction
from models.mailboxes import Mailbox, MailboxSlot
from models.tables import Message
from workflows.spec import SendWindow
from workflows.timing import next_in_window

DAY = timedelta(hours=24)
HOUR = timedelta(hours=1)
# A promised moment may be kept this early (timers fire a little early or late).
GRACE = timedelta(seconds=1)
# A promise this far in the past was not kept (its lead stopped, replied, was erased): it no
# longer holds the mailbox's place. A worker backlog shorter than this keeps its promises.
STALE = timedelta(minutes=10)
# Promises are made this far ahead at most; a send due later sleeps until then without one
# and asks again (so a small cap does not promise months of slots to one crowd).
HORIZON = timedelta(hours=24)


@dataclass(frozen=True)
class Times:
    """A mailbox's sends in the last 24 h, and the moments promised to waiting sends."""

    sent: Sequence[datetime]
    promised: Sequence[datetime]


@dataclass(frozen=True)
class Plan:
    mailbox: Mailbox
    at: datetime  # the earliest moment it may send this one
    headroom: int | None  # sends left in its rolling 24 h now (promises counted); None: no cap
    reason: str  # why not at once: "", "gap", "send window", "daily cap", "hourly cap"
    # The hard floor: one gap after the last send that really went out. A promise may be kept
    # up to GRACE early, never before this.
    floor: datetime | None = None

    def now(self, now: datetime) -> bool:
        return self.at <= now + GRACE and (self.floor is None or now >= self.floor)


def jitter(key: str, mailbox_id: uuid.UUID, seconds: int) -> timedelta:
    """This send's own random part of the gap, in [0, seconds]: fixed by the send and the
    mailbox, so asking again gives the same moment."""
    if seconds <= 0:
        return timedelta(0)
    digest = hashlib.sha256(f"{key}|{mailbox_id}".encode()).digest()
    return timedelta(seconds=int.from_bytes(digest[:8], "big") % (seconds + 1))


def cap_on(mailbox: Mailbox, day: date) -> int | None:
    """The daily cap on `day` (the mailbox's own calendar), the ramp applied."""
    ramp = mailbox.ramp or {}
    if not ramp.get("start"):
        return mailbox.daily_cap
    since = date.fromisoformat(str(ramp.get("since") or day.isoformat()))
    ramped = int(ramp["start"]) + int(ramp.get("step") or 0) * max(0, (day - since).days)
    return ramped if mailbox.daily_cap is None else min(ramped, mailbox.daily_cap)


def window_of(mailbox: Mailbox) -> SendWindow | None:
    return SendWindow.model_validate(mailbox.send_window) if mailbox.send_window else None


def _window_length(window: SendWindow) -> timedelta:
    start, end = (datetime.strptime(t, "%H:%M") for t in (window.start, window.end))
    length = end - start
    return length if length > timedelta(0) else length + DAY


def gap_of(mailbox: Mailbox, cap: int | None) -> timedelta:
    """The least time between two sends: its own gap, or with a window and a cap, the window
    spread over the cap if that is longer."""
    gap = timedelta(seconds=mailbox.min_gap_seconds)
    window = window_of(mailbox)
    if window is not None and cap:
        gap = max(gap, _window_length(window) / cap)
    return gap


def plan(
    mailbox: Mailbox,
    times: Times,
    now: datetime,
    key: str,
    *,
    promised_at: datetime | None = None,
) -> Plan:
    """The first moment from `now` this mailbox may send the send `key`. A send that holds a
    promise (`promised_at`) only queues behind the promises made before its own."""
    tz = ZoneInfo(mailbox.timezone or "UTC")
    ahead = [t for t in times.promised if promised_at is None or t < promised_at]
    taken = sorted([*times.sent, *ahead])
    cap_now = cap_on(mailbox, now.astimezone(tz).date())
    used_now = sum(1 for t in [*times.sent, *times.promised] if t > now - DAY)
    headroom = None if cap_now is None else max(0, cap_now - used_now)
    at, reason = now, ""
    gap = gap_of(mailbox, cap_now)
    floor = max(times.sent) + gap if times.sent and gap else None
    if taken:
        earliest = taken[-1] + gap + jitter(key, mailbox.id, mailbox.jitter_seconds)
        if earliest > at:
            at, reason = earliest, "gap"
    if floor is not None and floor > at:
        at, reason = floor, "gap"
    window = window_of(mailbox)
    for _ in range(64):  # each turn moves `at` forward; a handful settle it
        if window is not None:
            opens = next_in_window(at, window, tz)
            if opens > at:
                at, reason = opens, "send window"
        cap = cap_on(mailbox, at.astimezone(tz).date())
        if cap is not None:
            inside = [t for t in taken if t > at - DAY]
            if len(inside) >= cap:
                at, reason = inside[len(inside) - cap] + DAY + timedelta(seconds=1), "daily cap"
                continue
        if mailbox.hourly_cap:
            inside = [t for t in taken if t > at - HOUR]
            if len(inside) >= mailbox.hourly_cap:
                at = inside[len(inside) - mailbox.hourly_cap] + HOUR + timedelta(seconds=1)
                reason = "hourly cap"
                continue
        break
    return Plan(mailbox, at, headroom, reason, floor)


async def load_all_times(
    session: AsyncSession,
    mailbox_ids: Sequence[uuid.UUID],
    now: datetime,
    *,
    except_key: str | None = None,
) -> dict[uuid.UUID, Times]:
    """Each mailbox's sends in the last 24 h and its live promises (but `except_key`'s own),
    in two queries whatever the number of mailboxes."""
    # A send's time is its claim's (the wall clock just before the provider call): the gap
    # holds between the calls the provider sees.
    sent_at = col(Message.created_at)
    sent = (
        await session.exec(
            select(Message.mailbox_id, sent_at)
            .where(
                col(Message.mailbox_id).in_(mailbox_ids),
                Message.direction == Direction.OUTBOUND,
                Message.delivery_status != DeliveryStatus.FAILED,
                col(Message.created_at) > now - DAY,
            )
            .order_by(sent_at)
        )
    ).all()
    promised = (
        await session.exec(
            select(MailboxSlot.mailbox_id, MailboxSlot.at)
            .where(
                col(MailboxSlot.mailbox_id).in_(mailbox_ids),
                col(MailboxSlot.at) >= now - STALE,
                MailboxSlot.idempotency_key != (except_key or ""),
            )
            .order_by(col(MailboxSlot.at))
        )
    ).all()
    found: dict[uuid.UUID, tuple[list[datetime], list[datetime]]] = {
        i: ([], []) for i in mailbox_ids
    }
    for mailbox_id, at in sent:
        if mailbox_id is not None:
            found[mailbox_id][0].append(at)
    for mailbox_id, at in promised:
        found[mailbox_id][1].append(at)
    return {i: Times(s, p) for i, (s, p) in found.items()}


async def forget_stale(session: AsyncSession, mailbox_id: uuid.UUID, now: datetime) -> None:
    """Delete the mailbox's promises past STALE (their leads stopped, replied or were erased
    before their moment): they no longer count, and would otherwise pile up."""
    await session.exec(
        delete(MailboxSlot).where(
            MailboxSlot.mailbox_id == mailbox_id,  # type: ignore[arg-type]
            col(MailboxSlot.at) < now - STALE,
        )
    )
