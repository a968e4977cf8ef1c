"""Which mailbox a send goes out from, and when.

The pool: the campaign's mailboxes of the step's channel type (or, when it names none, every
mailbox with `pool_default`), narrowed to the lead owner's own when the campaign asks for it
and the owner has any. No pool: the send goes through the channel's own sender, as before
mailboxes (the caller's legacy path).

In order:
1. A send that was promised a moment keeps it (and its mailbox).
2. A lead sticks to the mailbox that sent its first message on this channel type (threading
   and reputation), while that mailbox is in the pool. When it is paused the send is held
   (`SALESPAD_MAILBOX_PAUSED_LEADS=hold`, checked again every `..._HOLD_SECONDS`) or goes to
   the pool's others (`reassign`).
3. A new lead goes to the mailbox with the most headroom among those that may send at once;
   when none may, to the one free soonest.

Caps hold across workers: the chosen mailbox is planned again, and the claim or promise made,
in one transaction under its transaction-scoped advisory lock. Candidates are ranked on a
snapshot without locks and the first one nobody else is deciding on is taken (`_lock_one`), so
a crowd spreads over the pool instead of queueing on one mailbox. A send that must wait is
deferred, never dropped.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, text
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from adapters.channels.base import OutreachChannel
from config.settings import Settings
from models.enums import DeliveryStatus, Direction
from models.mailboxes import Mailbox, MailboxSlot
from models.secrets import unseal
from models.tables import Campaign, Lead, Message
from services.channels.wiring import from_config
from services.mailboxes.pacing import (
    HORIZON,
    STALE,
    Plan,
    cap_on,
    forget_stale,
    gap_of,
    jitter,
    load_all_times,
    plan,
)

# The credentials that make a mailbox's provider its own (else it borrows its channel's).
OWN_CREDENTIALS: dict[str, tuple[str, ...]] = {
    "smtp": ("host",),
    "sendgrid": ("api_key",),
    "twilio": ("account_sid", "auth_token"),
}
# A deferral beyond the promise horizon wakes somewhere in this span after its moment.
_UNPROMISED_SPREAD = 900
# keep_gap waits at most this long before a provider call (a send activity's timeout is far
# longer); a worker this far behind has other trouble.
MAX_GAP_WAIT = 5.0


def _zone(mailbox: Mailbox) -> ZoneInfo:
    return ZoneInfo(mailbox.timezone or "UTC")


class RaceLost(Exception):
    """The mailbox ranked free on the snapshot was taken by another send before this one held
    its lock: the caller rolls back (releasing the lock) and chooses again."""


class MailboxConfigError(ValueError):
    """A mailbox whose provider cannot be built (missing credentials, a secret sealed with
    another key): its sends dead-letter with this, naming the mailbox."""


@dataclass(frozen=True)
class Choice:
    mailbox: Mailbox | None
    at: datetime | None  # None: send now
    reason: str = ""


def has_own_credentials(mailbox: Mailbox) -> bool:
    needed = OWN_CREDENTIALS.get(mailbox.provider or "", ())
    return bool(needed) and all(mailbox.config.get(k) for k in needed)


class MailboxSenders:
    """Builds (and keeps) each mailbox's adapter, and picks the mailbox for a send."""

    def __init__(self, settings: Settings | None = None) -> None:
        self._settings = settings
        self._paused_leads = settings.mailbox_paused_leads if settings else "hold"
        self._hold = timedelta(seconds=settings.mailbox_hold_seconds if settings else 900)
        self._adapters: dict[tuple[Any, ...], OutreachChannel] = {}
        # When this process last called each mailbox's provider (keep_gap).
        self._last_call: dict[uuid.UUID, datetime] = {}
        self._call_locks: dict[uuid.UUID, asyncio.Lock] = {}

    async def keep_gap(self, mailbox: Mailbox, clock: Callable[[], datetime]) -> None:
        """Just before the provider call: the choice spaced the claims a gap apart, but a busy
        worker can run one claim's call late and the next one's on time; within this process
        the calls themselves keep the gap too (waiting at most MAX_GAP_WAIT)."""
        gap = gap_of(mailbox, cap_on(mailbox, clock().astimezone(_zone(mailbox)).date()))
        if not gap:
            return
        lock = self._call_locks.setdefault(mailbox.id, asyncio.Lock())
        async with lock:
            last = self._last_call.get(mailbox.id)
            if last is not None:
                wait = (last + gap - clock()).total_seconds()
                if wait > 0:
                    await asyncio.sleep(min(wait, MAX_GAP_WAIT))
            self._last_call[mailbox.id] = clock()

    # -- the adapter ----------------------------------------------------------------------

    def sender(self, mailbox: Mailbox, base: OutreachChannel) -> OutreachChannel:
        """The adapter that sends from `mailbox`: its own provider when it has credentials,
        else its channel type's adapter (`base`) with the mailbox as the sender."""
        key = (mailbox.id, mailbox.updated_at, id(base))
        found = self._adapters.get(key)
        if found is not None:
            return found
        if len(self._adapters) > 256:
            self._adapters.clear()
        adapter = self._build(mailbox, base)
        self._adapters[key] = adapter
        return adapter

    def _build(self, mailbox: Mailbox, base: OutreachChannel) -> OutreachChannel:
        if has_own_credentials(mailbox):
            if self._settings is None:
                raise MailboxConfigError(f"mailbox {mailbox.name}: no settings to unseal with")
            try:
                config = unseal(mailbox.config, self._settings.secret_key.get_secret_value())
                config |= {
                    "from_email": mailbox.address,
                    "from_name": mailbox.display_name,
                    "from_number": mailbox.address,
                }
                return from_config(
                    str(mailbox.provider), mailbox.channel_type, config, self._settings
                )
            except (KeyError, ValueError) as exc:
                raise MailboxConfigError(f"mailbox {mailbox.name}: {exc}") from exc
        if mailbox.provider and mailbox.provider != base.provider:
            raise MailboxConfigError(
                f"mailbox {mailbox.name} sends through {mailbox.provider} but has no "
                f"credentials of its own, and {mailbox.channel_type} is configured with "
                f"{base.provider}"
            )
        swap = getattr(base, "with_sender", None)
        if swap is None:
            raise MailboxConfigError(
                f"{base.provider} cannot send from another sender (mailbox {mailbox.name})"
            )
        adapter: OutreachChannel = swap(mailbox.address, mailbox.display_name)
        return adapter

    # -- the choice -----------------------------------------------------------------------

    async def choose(
        self,
        session: AsyncSession,
        *,
        campaign_id: str,
        channel_type: str,
        lead: Lead,
        key: str,
        now: datetime,
        final: bool = True,
    ) -> Choice | None:
        """None: no mailbox serves this send (the channel's own sender does). Unless `final`,
        a choice that lost a race for a free mailbox raises RaceLost instead of deferring."""
        pool = await pool_for(session, campaign_id, channel_type, lead)
        if not pool:
            return None
        by_id = {m.id: m for m in pool}
        own = await session.get(MailboxSlot, key)
        if own is not None:
            mailbox = by_id.get(own.mailbox_id)
            if own.at >= now - STALE and mailbox is not None and mailbox.state == "active":
                return await self._decide(session, [mailbox], lead, key, now, own.at)
            await _forget(session, key)
        sticky = by_id.get(await first_mailbox(session, lead.id, channel_type))  # type: ignore[arg-type]
        if sticky is not None:
            if sticky.state == "active":
                return await self._decide(session, [sticky], lead, key, now, None)
            if self._paused_leads == "hold":
                return Choice(sticky, now + self._hold, _paused(sticky))
        active = [m for m in pool if m.state == "active"]
        if not active:
            return Choice(None, now + self._hold, "every mailbox of the pool is paused")
        return await self._decide(session, active, lead, key, now, None, final=final)

    async def _decide(
        self,
        session: AsyncSession,
        candidates: list[Mailbox],
        lead: Lead,
        key: str,
        now: datetime,
        promised_at: datetime | None,
        *,
        final: bool = True,
    ) -> Choice:
        chosen, looked_free = await self._lock_one(session, candidates, key, now, promised_at)
        # Planned again under its lock: what counts is the mailbox as it is now.
        times = await load_all_times(session, [chosen.id], now, except_key=key)
        best = plan(chosen, times[chosen.id], now, key, promised_at=promised_at)
        if looked_free and not best.now(now) and not final:
            raise RaceLost(chosen.name)
        if best.now(now):
            await _forget(session, key)
            return Choice(best.mailbox, None)
        if best.at > now + HORIZON:
            await _forget(session, key)
            later = best.at + jitter(key, best.mailbox.id, _UNPROMISED_SPREAD)
            return Choice(best.mailbox, later, best.reason)
        await forget_stale(session, best.mailbox.id, now)  # under its lock, with each new promise
        await session.exec(
            insert(MailboxSlot)
            .values(idempotency_key=key, mailbox_id=best.mailbox.id, lead_id=lead.id, at=best.at)
            .on_conflict_do_update(
                index_elements=["idempotency_key"],
                set_={"mailbox_id": best.mailbox.id, "at": best.at},
            )
        )
        return Choice(best.mailbox, best.at, best.reason)

    async def _lock_one(
        self,
        session: AsyncSession,
        candidates: list[Mailbox],
        key: str,
        now: datetime,
        promised_at: datetime | None,
    ) -> tuple[Mailbox, bool]:
        """The mailbox to send from, locked, and whether the snapshot had it free now.

        The candidates are ranked on a snapshot taken without locks; the first one no other
        send is deciding on right now is taken (so a crowd deciding at once spreads over the
        pool instead of queueing on one mailbox), and when every one is busy, the best is
        waited for. Only one lock is ever held or waited for, so two choosers never wait on
        each other crosswise."""
        if len(candidates) == 1:
            await lock(session, candidates[0].id)
            return candidates[0], False
        times = await load_all_times(session, [m.id for m in candidates], now, except_key=key)
        ranked = sorted(
            (plan(m, times[m.id], now, key, promised_at=promised_at) for m in candidates),
            key=lambda p: _preference(p, now),
        )
        for p in ranked:
            if await try_lock(session, p.mailbox.id):
                return p.mailbox, p.now(now)
        await lock(session, ranked[0].mailbox.id)
        return ranked[0].mailbox, ranked[0].now(now)


def _preference(p: Plan, now: datetime) -> tuple[Any, ...]:
    headroom = -(p.headroom if p.headroom is not None else 1 << 40)
    if p.now(now):
        return (0, headroom, p.mailbox.name)
    return (1, p.at, headroom, p.mailbox.name)


def _paused(mailbox: Mailbox) -> str:
    why = f": {mailbox.paused_reason}" if mailbox.paused_reason else ""
    return f"mailbox {mailbox.name} is paused{why}"


def _lock_key(mailbox_id: uuid.UUID) -> str:
    return f"mailbox:{mailbox_id}"


async def lock(session: AsyncSession, mailbox_id: uuid.UUID) -> None:
    """The mailbox's transaction-scoped advisory lock: its counts and the claim or promise
    that follows them are one step for every worker."""
    await session.exec(  # type: ignore[call-overload]
        text("SELECT pg_advisory_xact_lock(hashtext(:key))").bindparams(key=_lock_key(mailbox_id))
    )


async def try_lock(session: AsyncSession, mailbox_id: uuid.UUID) -> bool:
    """The lock if no other transaction holds it, at once; else False."""
    got = await session.exec(  # type: ignore[call-overload]
        text("SELECT pg_try_advisory_xact_lock(hashtext(:key))").bindparams(
            key=_lock_key(mailbox_id)
        )
    )
    return bool(got.scalar())


async def _forget(session: AsyncSession, key: str) -> None:
    await session.exec(delete(MailboxSlot).where(MailboxSlot.idempotency_key == key))  # type: ignore[arg-type]


def _campaign_id(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


async def pool_for(
    session: AsyncSession, campaign_id: str, channel_type: str, lead: Lead
) -> list[Mailbox]:
    """The mailboxes a send of this campaign and channel type may go out from (paused ones
    included: a lead held on its paused mailbox must know it), in id order."""
    stmt = select(Mailbox).where(Mailbox.channel_type == channel_type, Mailbox.state != "disabled")
    mailboxes = list((await session.exec(stmt)).all())
    if not mailboxes:
        return []
    found = _campaign_id(campaign_id)
    campaign = await session.get(Campaign, found) if found else None
    named = {uuid.UUID(i) for i in campaign.mailboxes} if campaign and campaign.mailboxes else None
    pool = [m for m in mailboxes if (m.id in named if named is not None else m.pool_default)]
    if campaign is not None and campaign.mailbox_owner and lead.owner:
        owner = lead.owner.strip().lower()
        owned = [m for m in pool if (m.owner or "").strip().lower() == owner]
        pool = owned or pool
    return sorted(pool, key=lambda m: m.id)


async def first_mailbox(
    session: AsyncSession, lead_id: uuid.UUID, channel_type: str
) -> uuid.UUID | None:
    """The mailbox that sent the lead's first message on this channel type."""
    return (
        await session.exec(
            select(Message.mailbox_id)
            .join(Mailbox, col(Mailbox.id) == col(Message.mailbox_id))
            .where(
                Message.lead_id == lead_id,
                Message.direction == Direction.OUTBOUND,
                Message.delivery_status != DeliveryStatus.FAILED,
                Mailbox.channel_type == channel_type,
            )
            .order_by(col(Message.created_at))
            .limit(1)
        )
    ).first()
