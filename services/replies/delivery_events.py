"""Delivery and engagement reports from the providers (SendGrid events, Twilio statuses and STOP
keywords), applied once each however often they are delivered.

Providers redeliver: SendGrid retries any non-2xx for a day and may send duplicates anyway,
Twilio retries and its signature has no timestamp. Every report carries a provider event id;
it is written into the details of the EventLog row the report produces, and a report whose id
is already there is a replay. A transaction-scoped advisory lock per id makes two concurrent
deliveries of one report queue behind each other instead of both passing the check.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import or_, text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from config.settings import MailboxHealthSettings
from models.enums import DeliveryStatus, Direction, EventType
from models.tables import EventLog, Lead, Message
from services.channels.suppression import SuppressedStatus, suppress
from services.events import add_event
from services.gateway import LeadWorkflowGateway
from services.leads.schemas import keepable
from services.mailboxes.health import COMPLAINT_KEY, guard_mailboxes

log = logging.getLogger("salespad.delivery_events")

Kind = Literal[
    "delivered", "deferred", "opened", "clicked", "failed", "bounced", "unsubscribed", "complained"
]

_EVENT_TYPES: dict[Kind, EventType] = {
    "delivered": EventType.DELIVERED,
    "deferred": EventType.DELIVERY_DEFERRED,
    "opened": EventType.OPENED,
    "clicked": EventType.CLICKED,
    "failed": EventType.DELIVERY_FAILED,
}
# A spam complaint unsubscribes the lead like an unsubscribe does; it also marks its message
# (COMPLAINT_KEY) so the sending mailbox's complaint rate counts it (services/mailboxes/health).
_SUPPRESSING: dict[Kind, SuppressedStatus] = {
    "bounced": "BOUNCED",
    "unsubscribed": "UNSUBSCRIBED",
    "complained": "UNSUBSCRIBED",
}
# Reports that count against the sending mailbox's health: it is checked once they are in.
_MAILBOX_HEALTH: frozenset[Kind] = frozenset({"bounced", "complained"})
# A late or reordered report must not walk a message back: a bounce after "delivered" wins,
# a "delivered" after a bounce does not.
_FINAL_MESSAGE_STATES = frozenset({DeliveryStatus.BOUNCED, DeliveryStatus.FAILED})
EVENT_ID_KEY = "provider_event_id"


@dataclass(frozen=True)
class ProviderEvent:
    """One report, provider-neutral. `event_id` is unique per provider."""

    provider: str
    event_id: str
    kind: Kind
    email: str | None = None
    phone: str | None = None
    lead_id: uuid.UUID | None = None
    idempotency_key: str | None = None
    # Candidates for Message.provider_message_id (SendGrid's id has several spellings).
    provider_message_ids: tuple[str, ...] = ()
    message_status: DeliveryStatus | None = None
    reason: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.provider}:{self.event_id}"


@dataclass
class EventsOutcome:
    applied: int = 0
    duplicates: int = 0
    unmatched: int = 0


async def apply_events(
    session: AsyncSession,
    workflows: LeadWorkflowGateway | None,
    events: Iterable[ProviderEvent],
    *,
    mailbox_health: MailboxHealthSettings | None = None,
) -> EventsOutcome:
    """Apply a batch in one transaction; suppressions (rare) follow, one by one; then every
    mailbox that sent a message bounced or complained about here is checked, and paused when
    over a threshold (`mailbox_health`; None: the thresholds from the environment)."""
    outcome = EventsOutcome()
    guarded: set[uuid.UUID] = set()
    unique: dict[str, ProviderEvent] = {}
    for event in map(keepable, events):
        if event.key in unique:
            outcome.duplicates += 1
        else:
            unique[event.key] = event
    await _lock(session, unique)
    seen = await _seen(session, unique)
    outcome.duplicates += len(seen)
    fresh = [e for k, e in unique.items() if k not in seen]
    by_key, by_provider_id = await _messages(session, fresh)
    known_leads = await _existing_leads(session, {e.lead_id for e in fresh if e.lead_id})
    later: list[tuple[ProviderEvent, dict[str, Any]]] = []
    for event in fresh:
        message = by_key.get(event.idempotency_key or "") or next(
            (by_provider_id[p] for p in event.provider_message_ids if p in by_provider_id), None
        )
        if message is not None and event.message_status is not None:
            _move(message, event.message_status)
        details = {**event.details, EVENT_ID_KEY: event.key, "provider": event.provider}
        if event.kind == "complained":
            details[COMPLAINT_KEY] = True
        if message is not None:
            details["message_id"] = str(message.id)
            if event.kind == "complained" and COMPLAINT_KEY not in message.details:
                message.details = {**message.details, COMPLAINT_KEY: event.key}
            if event.kind in _MAILBOX_HEALTH and message.mailbox_id is not None:
                guarded.add(message.mailbox_id)
        if event.kind in _SUPPRESSING:
            later.append((event, details))
            continue
        lead_id = message.lead_id if message is not None else None
        if lead_id is None and event.lead_id in known_leads:
            lead_id = event.lead_id
        if lead_id is None:
            outcome.unmatched += 1  # nobody to attach it to; a replay is harmless
            continue
        add_event(session, lead_id, _EVENT_TYPES[event.kind], **details)
        outcome.applied += 1
    await session.commit()
    for event, details in later:
        # The commit above released the batch's locks: take this one again before checking.
        await _lock(session, {event.key: event})
        if await _seen(session, {event.key: event}):
            await session.commit()
            outcome.duplicates += 1
            continue
        if not event.email and not event.phone:
            await session.commit()
            outcome.unmatched += 1
            continue
        await suppress(
            session,
            workflows,
            email=event.email,
            phone=event.phone,
            reason=event.reason or event.kind,
            status=_SUPPRESSING[event.kind],
            source=event.provider,
            details=details,
        )
        outcome.applied += 1
    if guarded:
        await _guard(session, guarded, mailbox_health or MailboxHealthSettings())
    return outcome


async def _guard(
    session: AsyncSession, mailbox_ids: set[uuid.UUID], settings: MailboxHealthSettings
) -> None:
    # The reports are committed: a failure here must not make the provider redeliver them
    # (a redelivery is a duplicate and would not check again), so it is logged, not raised.
    try:
        await guard_mailboxes(session, mailbox_ids, settings)
    except Exception:
        await session.rollback()
        log.exception("checking the health of mailboxes %s failed", sorted(map(str, mailbox_ids)))


def _move(message: Message, status: DeliveryStatus) -> None:
    if status == DeliveryStatus.DELIVERED and message.delivery_status in _FINAL_MESSAGE_STATES:
        return
    message.delivery_status = status


async def _lock(session: AsyncSession, keys: Iterable[str]) -> None:
    ordered = sorted(keys)  # one order everywhere, so two batches cannot deadlock
    if ordered:
        await session.exec(  # type: ignore[call-overload]
            text(
                "SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) "
                "FROM unnest(CAST(:keys AS text[])) AS k"
            ).bindparams(keys=ordered)
        )


async def _seen(session: AsyncSession, keys: Iterable[str]) -> set[str]:
    wanted = list(keys)
    if not wanted:
        return set()
    marker = col(EventLog.details)[EVENT_ID_KEY].astext
    rows = await session.exec(select(marker).where(marker.in_(wanted)))
    return {str(r) for r in rows.all()}


async def _messages(
    session: AsyncSession, events: list[ProviderEvent]
) -> tuple[dict[str, Message], dict[str, Message]]:
    keys = {e.idempotency_key for e in events if e.idempotency_key}
    provider_ids = {p for e in events for p in e.provider_message_ids}
    if not keys and not provider_ids:
        return {}, {}
    rows = await session.exec(
        select(Message).where(
            Message.direction == Direction.OUTBOUND,
            or_(
                col(Message.idempotency_key).in_(keys),
                col(Message.provider_message_id).in_(provider_ids),
            ),
        )
    )
    by_key: dict[str, Message] = {}
    by_provider_id: dict[str, Message] = {}
    for message in rows.all():
        if message.idempotency_key:
            by_key[message.idempotency_key] = message
        if message.provider_message_id:
            by_provider_id[message.provider_message_id] = message
    return by_key, by_provider_id


async def _existing_leads(session: AsyncSession, ids: set[uuid.UUID | None]) -> set[uuid.UUID]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return set()
    rows = await session.exec(select(Lead.id).where(col(Lead.id).in_(wanted)))
    return set(rows.all())
