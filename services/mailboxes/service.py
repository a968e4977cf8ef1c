"""Mailboxes over the API: create, list with where each stands, change, disable, delete.

Provider secrets and the IMAP password are sealed before they are stored (models/secrets.py)
and never returned. A running worker reads a mailbox's row on every send, so a change reaches
the next send without a restart.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from config.settings import Settings
from models.enums import ChannelType
from models.mailboxes import Mailbox
from models.secrets import redact, seal
from models.tables import Channel, Message, utcnow
from services.channels.service import ALLOWED_TYPES
from services.channels.wiring import configured_rows
from services.errors import Conflict, InvalidInput, NotFound
from services.mailboxes.health import MailboxHealth, mailbox_health
from services.mailboxes.pacing import DAY, HOUR, Times, cap_on, load_all_times, plan
from services.mailboxes.schemas import (
    DefaultSender,
    MailboxCreate,
    MailboxList,
    MailboxPublic,
    MailboxUpdate,
    MailboxUsage,
    check_address,
)
from services.mailboxes.sending import OWN_CREDENTIALS

# imap_username defaults to the mailbox's address.
IMAP_REQUIRED = ("imap_password",)
IMAP_SECURITY = ("ssl", "starttls", "none")


def _invalid(field: str, message: str) -> InvalidInput:
    return InvalidInput(f"{field}: {message}", [{"field": field, "message": message}])


def _check_config(channel_type: str, provider: str | None, config: dict[str, Any]) -> None:
    if provider is not None and channel_type not in ALLOWED_TYPES.get(provider, ()):
        raise _invalid("provider", f"{provider} cannot send {channel_type}")
    needed = OWN_CREDENTIALS.get(provider or "", ())
    given = [k for k in needed if config.get(k)]
    if given and len(given) < len(needed):
        missing = [k for k in needed if not config.get(k)]
        raise _invalid(f"config.{missing[0]}", "required with " + ", ".join(given))
    if config.get("imap_host"):
        if channel_type != ChannelType.EMAIL:
            raise _invalid("config.imap_host", "only an email mailbox has an IMAP inbox")
        for key in IMAP_REQUIRED:
            if not config.get(key):
                raise _invalid(f"config.{key}", "required with imap_host")
        security = config.get("imap_security", "ssl")
        if security not in IMAP_SECURITY:
            raise _invalid("config.imap_security", "one of " + ", ".join(IMAP_SECURITY))
    for key in ("port", "imap_port"):
        if key in config and config[key] is not None:
            try:
                port = int(config[key])
            except (TypeError, ValueError):
                port = 0
            if not 0 < port < 65536:
                raise _invalid(f"config.{key}", "a port number, 1 to 65535")


def _ramp(ramp: Any, timezone: str) -> dict[str, Any]:
    if ramp is None:
        return {}
    data: dict[str, Any] = ramp.model_dump(mode="json")
    if not data.get("since"):
        data["since"] = utcnow().astimezone(ZoneInfo(timezone)).date().isoformat()
    return data


def _window(window: Any) -> dict[str, Any]:
    return window.model_dump(mode="json") if window is not None else {}


async def create_mailbox(session: AsyncSession, body: MailboxCreate, secret_key: str) -> Mailbox:
    provider = body.provider.value if body.provider else None
    _check_config(body.channel_type, provider, body.config)
    mailbox = Mailbox(
        name=body.name,
        channel_type=body.channel_type,
        provider=provider,
        address=body.address,
        display_name=body.display_name,
        owner=body.owner,
        config=seal(body.config, secret_key),
        daily_cap=body.daily_cap,
        hourly_cap=body.hourly_cap,
        min_gap_seconds=body.min_gap_seconds,
        jitter_seconds=body.jitter_seconds,
        send_window=_window(body.send_window),
        timezone=body.timezone,
        ramp=_ramp(body.ramp, body.timezone),
        pool_default=body.pool_default,
        bounce_threshold=body.bounce_threshold,
        complaint_threshold=body.complaint_threshold,
    )
    session.add(mailbox)
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise Conflict(
            f"a mailbox named {body.name!r} exists",
            [{"field": "name", "message": "taken"}],
        ) from None
    return mailbox


async def find_mailbox(session: AsyncSession, ref: str) -> Mailbox:
    """A mailbox by id or by name."""
    try:
        found = await session.get(Mailbox, uuid.UUID(ref))
    except ValueError:
        found = (await session.exec(select(Mailbox).where(Mailbox.name == ref))).first()
    if found is None:
        raise NotFound(f"mailbox {ref} not found")
    return found


async def resolve_pool(session: AsyncSession, refs: list[str]) -> list[str]:
    """The ids of the mailboxes a campaign names (by id or name); 422 naming each unknown."""
    ids: list[str] = []
    unknown: list[dict[str, str]] = []
    for i, ref in enumerate(refs):
        try:
            mailbox = await find_mailbox(session, ref)
        except NotFound:
            unknown.append({"field": f"mailboxes[{i}]", "message": f"no mailbox {ref!r}"})
            continue
        if str(mailbox.id) not in ids:
            ids.append(str(mailbox.id))
    if unknown:
        raise InvalidInput(
            "unknown mailbox " + ", ".join(repr(refs[int(u["field"][10:-1])]) for u in unknown),
            unknown,
        )
    return ids


async def update_mailbox(
    session: AsyncSession, ref: str, body: MailboxUpdate, secret_key: str
) -> Mailbox:
    mailbox = await find_mailbox(session, ref)
    given = body.model_fields_set
    if "address" in given:
        if body.address is None:
            raise _invalid("address", "required")
        try:
            check_address(mailbox.channel_type, body.address)
        except ValueError as exc:
            raise _invalid("address", str(exc)) from None
        mailbox.address = body.address
    if "config" in given:
        merged = {**mailbox.config, **(body.config or {})}
        merged = {k: v for k, v in merged.items() if v is not None}
        _check_config(mailbox.channel_type, mailbox.provider, merged)
        mailbox.config = seal(merged, secret_key)
    for field in (
        "display_name",
        "owner",
        "daily_cap",
        "hourly_cap",
        "bounce_threshold",
        "complaint_threshold",
    ):
        if field in given:
            setattr(mailbox, field, getattr(body, field))
    for field in ("min_gap_seconds", "jitter_seconds", "pool_default", "timezone"):
        if field in given:
            value = getattr(body, field)
            if value is None:
                raise _invalid(field, "cannot be null")
            setattr(mailbox, field, value)
    if "send_window" in given:
        mailbox.send_window = _window(body.send_window)
    if "ramp" in given:
        mailbox.ramp = _ramp(body.ramp, mailbox.timezone)
    if "state" in given and body.state is not None:
        if body.state == "active" and mailbox.state == "paused":
            raise _invalid("state", "a paused mailbox is resumed with POST .../resume")
        mailbox.state = body.state
    mailbox.updated_at = utcnow()
    await session.commit()
    return mailbox


async def delete_mailbox(session: AsyncSession, ref: str) -> Mailbox:
    """Delete a mailbox that never sent; returns it as it was."""
    mailbox = await find_mailbox(session, ref)
    used = (
        await session.exec(
            select(func.count()).select_from(Message).where(Message.mailbox_id == mailbox.id)
        )
    ).one()
    if used:
        raise Conflict(
            f"mailbox {mailbox.name} has {used} message(s) on record; disable it instead "
            '(PATCH {"state": "disabled"})'
        )
    await session.delete(mailbox)
    await session.commit()
    return mailbox


def usage(mailbox: Mailbox, times: Times, now: datetime) -> MailboxUsage:
    """Where the mailbox stands, from its sends and live promises (`load_all_times`)."""
    next_free = plan(mailbox, times, now, "usage")
    return MailboxUsage(
        sent_24h=sum(1 for t in times.sent if t > now - DAY),
        sent_1h=sum(1 for t in times.sent if t > now - HOUR),
        promised=len(times.promised),
        cap_today=cap_on(mailbox, now.astimezone(ZoneInfo(mailbox.timezone)).date()),
        headroom=next_free.headroom,
        next_free_at=None if next_free.now(now) else next_free.at,
    )


def to_public(
    mailbox: Mailbox, used: MailboxUsage | None = None, health: MailboxHealth | None = None
) -> MailboxPublic:
    return MailboxPublic(
        id=mailbox.id,
        name=mailbox.name,
        channel_type=mailbox.channel_type,
        provider=mailbox.provider,
        address=mailbox.address,
        display_name=mailbox.display_name,
        owner=mailbox.owner,
        config=redact(mailbox.config),
        daily_cap=mailbox.daily_cap,
        hourly_cap=mailbox.hourly_cap,
        min_gap_seconds=mailbox.min_gap_seconds,
        jitter_seconds=mailbox.jitter_seconds,
        send_window=mailbox.send_window,
        timezone=mailbox.timezone,
        ramp=mailbox.ramp,
        pool_default=mailbox.pool_default,
        state=mailbox.state,
        paused_reason=mailbox.paused_reason,
        paused_at=mailbox.paused_at,
        bounce_threshold=mailbox.bounce_threshold,
        complaint_threshold=mailbox.complaint_threshold,
        imap=bool(mailbox.config.get("imap_host")),
        created_at=mailbox.created_at,
        updated_at=mailbox.updated_at,
        usage=used,
        health=health,
    )


async def show_mailbox(
    session: AsyncSession, ref: str, settings: Settings, now: datetime | None = None
) -> MailboxPublic:
    mailbox = await find_mailbox(session, ref)
    return (await _shown(session, [mailbox], settings, now or utcnow()))[0]


async def _shown(
    session: AsyncSession, mailboxes: list[Mailbox], settings: Settings, now: datetime
) -> list[MailboxPublic]:
    times = await load_all_times(session, [m.id for m in mailboxes], now)
    return [
        to_public(m, usage(m, times[m.id], now), await mailbox_health(session, m.id, now, settings))
        for m in mailboxes
    ]


async def list_mailboxes(
    session: AsyncSession, settings: Settings, now: datetime | None = None
) -> MailboxList:
    now = now or utcnow()
    rows = list((await session.exec(select(Mailbox).order_by(col(Mailbox.name)))).all())
    items = await _shown(session, rows, settings, now)
    covered = {m.channel_type for m in rows if m.state != "disabled" and m.pool_default}
    channels = list((await session.exec(select(Channel))).all())
    configured = configured_rows(channels)
    defaults = []
    for channel_type in ("EMAIL", "SMS", "WHATSAPP"):
        row = configured.get(channel_type)
        provider, address = _default_sender(channel_type, row, settings)
        pacing = next((c for c in channels if c.type == channel_type), None)
        defaults.append(
            DefaultSender(
                channel_type=channel_type,
                provider=provider,
                address=address,
                daily_cap=pacing.daily_cap if pacing else None,
                send_window=pacing.send_window if pacing else {},
                used_by="campaigns whose named mailboxes include none of this type"
                if channel_type in covered
                else "campaigns that name no mailbox of this type",
            )
        )
    return MailboxList(items=items, defaults=defaults)


def _default_sender(
    channel_type: str, row: Channel | None, settings: Settings
) -> tuple[str, str | None]:
    if row is not None:
        config = row.config
        return row.provider, config.get("from_email") or config.get("from_number")
    if channel_type == "EMAIL" and settings.sendgrid.api_key is not None:
        return "sendgrid", settings.sendgrid.from_email
    twilio = settings.twilio
    if twilio.account_sid and twilio.auth_token:
        sender = twilio.sms_from if channel_type == "SMS" else twilio.whatsapp_from
        if sender:
            return "twilio", sender
    return "outbox", None
