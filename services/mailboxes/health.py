"""A mailbox's deliverability health, and the guard that pauses it when the health is bad.

Health is measured over the messages the mailbox sent in a rolling window (settings:
`SALESPAD_MAILBOX_HEALTH_WINDOW_HOURS`, a week by default) as a cohort: of the messages that
went out in the window, how many hard-bounced and how many drew a spam complaint, whenever
the report arrived. Numerator and denominator are then the same messages, so a rate never
exceeds 100 % and a late asynchronous bounce still counts against the send that caused it.

- A send: an outbound message of the mailbox the provider accepted (`sent_at` set), or one a
  receiving server refused at send time (SMTP 5xx on RCPT, an invalid recipient): that is
  a hard bounce too, only an early one. A message's time is its `created_at`, the moment it
  was claimed for sending, seconds before the provider call.
- A hard bounce: such a message whose delivery status is `bounced` (SendGrid's Event Webhook
  `bounce` / `dropped` for a bounced address, an IMAP DSN), or the send-time refusal above.
  SendGrid's "blocked" (our reputation, not a dead address) is `failed`, not a bounce.
- A complaint: such a message marked by a spam report (`COMPLAINT_KEY` in its details, set by
  services/replies/delivery_events.py when SendGrid reports `spamreport` for it).

Resuming a paused mailbox is ops' decision that the cause is dealt with: the evidence starts
again from the resume (the window begins at the later of its usual start and the last
MAILBOX_RESUMED), so the same old bounces cannot pause it again, and it needs the minimum
number of new sends before a rate can pause it once more.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, computed_field
from pydantic_core import to_jsonable_python
from sqlalchemy import and_, func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from config.settings import MailboxHealthSettings, Settings
from models.enums import DeliveryStatus, Direction, EventType
from models.mailboxes import Mailbox
from models.tables import EventLog, Message, utcnow
from services.errors import Conflict, NotFound
from services.events import add_event
from workflows.errors import INVALID_RECIPIENT, SMTP_RECIPIENT_REJECTED

log = logging.getLogger("salespad.mailboxes.health")

# Set in an outbound message's details (to the provider event's key) by a spam complaint.
COMPLAINT_KEY = "complaint"
# A send the receiving side refused outright: a hard bounce at send time.
REJECTED_AT_SEND = (SMTP_RECIPIENT_REJECTED, INVALID_RECIPIENT)


class MailboxHealth(BaseModel):
    """A mailbox's figures over its health window (JSON-ready)."""

    mailbox_id: uuid.UUID
    state: str
    window_hours: float
    # The later of now - window_hours and the last resume: what the figures count from.
    window_start: datetime
    since_resume: bool
    sends: int
    bounces: int
    complaints: int
    bounce_threshold: float
    complaint_threshold: float
    min_sends: int
    # Why the mailbox is unhealthy (one sentence per rate over its threshold); empty when it
    # is healthy or has too few sends to tell.
    over: list[str] = []

    # The rates: None while nothing was sent in the window.
    @computed_field  # type: ignore[prop-decorator]
    @property
    def bounce_rate(self) -> float | None:
        return self.bounces / self.sends if self.sends else None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def complaint_rate(self) -> float | None:
        return self.complaints / self.sends if self.sends else None


def _section(settings: Settings | MailboxHealthSettings) -> MailboxHealthSettings:
    return settings.mailbox_health if isinstance(settings, Settings) else settings


async def mailbox_health(
    session: AsyncSession,
    mailbox_id: uuid.UUID,
    now: datetime,
    settings: Settings | MailboxHealthSettings,
) -> MailboxHealth:
    """The mailbox's sends, hard bounces and complaints in its window, rates and thresholds."""
    mailbox = await session.get(Mailbox, mailbox_id)
    if mailbox is None:
        raise NotFound(f"mailbox {mailbox_id} not found")
    return await _health(session, mailbox, now, _section(settings))


async def _health(
    session: AsyncSession, mailbox: Mailbox, now: datetime, settings: MailboxHealthSettings
) -> MailboxHealth:
    window_start = now - timedelta(hours=settings.health_window_hours)
    resumed = await _last_resumed_at(session, mailbox.id)
    since_resume = resumed is not None and resumed > window_start
    if resumed is not None and since_resume:
        window_start = resumed
    counts = await _counts(session, mailbox.id, window_start)
    health = MailboxHealth(
        mailbox_id=mailbox.id,
        state=mailbox.state,
        window_hours=settings.health_window_hours,
        window_start=window_start,
        since_resume=since_resume,
        **counts,
        **_thresholds(mailbox, settings),
    )
    health.over = _over(health, now)
    return health


def _thresholds(mailbox: Mailbox, settings: MailboxHealthSettings) -> dict[str, Any]:
    """The mailbox's own thresholds where it has them, else the settings'."""
    own = {"bounce": mailbox.bounce_threshold, "complaint": mailbox.complaint_threshold}
    defaults = {"bounce": settings.bounce_threshold, "complaint": settings.complaint_threshold}
    chosen = {f"{k}_threshold": defaults[k] if v is None else v for k, v in own.items()}
    return {**chosen, "min_sends": settings.health_min_sends}


def _over(health: MailboxHealth, now: datetime) -> list[str]:
    if health.sends < health.min_sends:
        return []
    span = _span(health, now)
    found = []
    for what, count, rate, threshold in (
        ("hard bounces", health.bounces, health.bounce_rate, health.bounce_threshold),
        ("spam complaints", health.complaints, health.complaint_rate, health.complaint_threshold),
    ):
        if rate is not None and rate > threshold:
            found.append(
                f"{what} {_percent(rate)} % ({count} of {health.sends} sends {span}) "
                f"over the {round(threshold * 100, 4):g} % threshold"
            )
    return found


def _span(health: MailboxHealth, now: datetime) -> str:
    if health.since_resume:
        return f"since it was resumed at {health.window_start:%Y-%m-%d %H:%M} UTC"
    hours = health.window_hours
    if hours % 24 == 0:
        days = int(hours // 24)
        return f"in {days} day{'s' if days != 1 else ''}"
    return f"in {hours:g} hours"


def _percent(fraction: float) -> str:
    value = fraction * 100
    return f"{value:.1f}" if value >= 1 else f"{value:.2f}".rstrip("0").rstrip(".") or "0"


async def _counts(session: AsyncSession, mailbox_id: uuid.UUID, start: datetime) -> dict[str, int]:
    rejected = and_(
        col(Message.sent_at).is_(None),
        col(Message.delivery_status) == DeliveryStatus.FAILED,
        col(Message.details)["error_type"].astext.in_(REJECTED_AT_SEND),
    )
    went_out = col(Message.sent_at).is_not(None)
    row = (
        await session.exec(
            select(
                func.count().filter(or_(went_out, rejected)),
                func.count().filter(
                    or_(
                        and_(went_out, col(Message.delivery_status) == DeliveryStatus.BOUNCED),
                        rejected,
                    )
                ),
                func.count().filter(
                    went_out, col(Message.details)[COMPLAINT_KEY].astext.is_not(None)
                ),
            ).where(
                Message.mailbox_id == mailbox_id,
                Message.direction == Direction.OUTBOUND,
                # No upper bound: under the time-skipping test server a send's clock runs
                # ahead of this one's; in production nothing is sent in the future.
                col(Message.created_at) >= start,
            )
        )
    ).one()
    return {name: int(n) for name, n in zip(("sends", "bounces", "complaints"), row, strict=True)}


async def _last_resumed_at(session: AsyncSession, mailbox_id: uuid.UUID) -> datetime | None:
    return (
        await session.exec(
            select(func.max(EventLog.timestamp)).where(
                EventLog.event_type == EventType.MAILBOX_RESUMED,
                col(EventLog.details)["mailbox_id"].astext == str(mailbox_id),
            )
        )
    ).one()


async def guard_mailboxes(
    session: AsyncSession,
    mailbox_ids: Iterable[uuid.UUID],
    settings: Settings | MailboxHealthSettings,
    now: datetime | None = None,
) -> list[Mailbox]:
    """Pause each active mailbox whose health is over a threshold; returns those paused.
    Called after a bounce or a complaint of theirs was committed. Each mailbox is evaluated
    with its row locked, so two reports arriving together pause it once."""
    paused = []
    for mailbox_id in sorted(set(mailbox_ids)):
        mailbox = await _locked(session, mailbox_id)
        if mailbox is None or mailbox.state != "active":
            await session.commit()
            continue
        health = await _health(session, mailbox, now or utcnow(), _section(settings))
        if not health.over:
            await session.commit()
            continue
        _pause(session, mailbox, "; ".join(health.over), "health", health.model_dump(mode="json"))
        await session.commit()
        log.warning("mailbox %s (%s) paused: %s", mailbox.name, mailbox.id, mailbox.paused_reason)
        paused.append(mailbox)
    return paused


async def pause_mailbox(
    session: AsyncSession, mailbox_id: uuid.UUID, reason: str, *, source: str
) -> Mailbox:
    """Pause a mailbox: no new lead is given it and its leads' sends are held until it is
    resumed. Pausing a paused mailbox changes nothing (its first reason stays)."""
    mailbox = await _changeable(session, mailbox_id)
    if mailbox.state == "active":
        _pause(session, mailbox, reason, source, {})
    return await _committed(session, mailbox)


async def resume_mailbox(session: AsyncSession, mailbox_id: uuid.UUID, *, source: str) -> Mailbox:
    """Resume a paused mailbox. Its health counts afresh from now: the bounces and complaints
    that paused it do not pause it again. Resuming an active mailbox changes nothing."""
    mailbox = await _changeable(session, mailbox_id)
    if mailbox.state == "paused":
        was = {"paused_reason": mailbox.paused_reason, "paused_at": mailbox.paused_at}
        _change(session, mailbox, "active", None, EventType.MAILBOX_RESUMED, source=source, **was)
    return await _committed(session, mailbox)


def _pause(
    session: AsyncSession, mailbox: Mailbox, reason: str, source: str, figures: dict[str, Any]
) -> None:
    figures = {k: v for k, v in figures.items() if k not in ("mailbox_id", "state")}
    _change(session, mailbox, "paused", reason, EventType.MAILBOX_PAUSED, source=source, **figures)


def _change(
    session: AsyncSession,
    mailbox: Mailbox,
    state: str,
    reason: str | None,
    event: EventType,
    **details: Any,
) -> None:
    now = utcnow()
    mailbox.state, mailbox.paused_reason, mailbox.updated_at = state, reason, now
    mailbox.paused_at = now if state == "paused" else None
    about: dict[str, Any] = {"mailbox_id": str(mailbox.id), "mailbox_name": mailbox.name}
    add_event(session, None, event, **about, reason=reason, **to_jsonable_python(details))


async def _changeable(session: AsyncSession, mailbox_id: uuid.UUID) -> Mailbox:
    """The mailbox, locked; a disabled one is neither paused nor resumed."""
    mailbox = await _locked(session, mailbox_id)
    if mailbox is None:
        raise NotFound(f"mailbox {mailbox_id} not found")
    if mailbox.state == "disabled":
        raise Conflict(
            f"mailbox {mailbox.name} is disabled", "only an active or paused mailbox is changed"
        )
    return mailbox


async def _committed(session: AsyncSession, mailbox: Mailbox) -> Mailbox:
    await session.commit()
    await session.refresh(mailbox)
    return mailbox


async def _locked(session: AsyncSession, mailbox_id: uuid.UUID) -> Mailbox | None:
    return (
        await session.exec(select(Mailbox).where(Mailbox.id == mailbox_id).with_for_update())
    ).first()
