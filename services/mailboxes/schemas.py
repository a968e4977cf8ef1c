"""Mailbox bodies: what POST / PATCH /api/mailboxes take and what the API shows."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from models.enums import ChannelProvider, ChannelType
from services.channels.schemas import PacingWindow
from services.leads.schemas import check_timezone
from services.mailboxes.health import MailboxHealth

MailboxState = Literal["active", "paused", "disabled"]
# LinkedIn steps are tasks a person does: no sender to pace.
MailboxChannel = Literal["EMAIL", "SMS", "WHATSAPP"]
_NAME = r"^[A-Za-z0-9][A-Za-z0-9._@+-]*$"
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_MAX_SECONDS = 86_400


class Ramp(BaseModel):
    """Warm-up: `start` sends a day on `since` (default: the day it is set), `step` more each
    day after, never above the daily cap."""

    model_config = ConfigDict(extra="forbid")

    start: int = Field(ge=1, le=1_000_000)
    step: int = Field(default=0, ge=0, le=1_000_000)
    since: date | None = None


class _Pacing(BaseModel):
    daily_cap: int | None = Field(
        default=None, ge=1, le=1_000_000, description="Sends per rolling 24 h; null: no cap"
    )
    hourly_cap: int | None = Field(
        default=None, ge=1, le=1_000_000, description="Sends per rolling 60 min; null: no cap"
    )
    min_gap_seconds: int = Field(
        default=0, ge=0, le=_MAX_SECONDS, description="Least time between two sends"
    )
    jitter_seconds: int = Field(
        default=0,
        ge=0,
        le=_MAX_SECONDS,
        description="Up to this much more, random per send, on top of the gap",
    )
    send_window: PacingWindow | None = Field(
        default=None, description="Hours it sends in, in its own `timezone`; null: any time"
    )
    timezone: str = Field(default="UTC", description="IANA name: the send window's clock")
    ramp: Ramp | None = None

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        return check_timezone(value) or "UTC"


class MailboxCreate(_Pacing):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=100, pattern=_NAME)
    channel_type: MailboxChannel = "EMAIL"
    provider: ChannelProvider | None = Field(
        default=None,
        description="null: the channel type's configured provider, sending from `address`; "
        "else this provider with the credentials in `config`",
    )
    address: str = Field(
        min_length=3,
        max_length=320,
        description="The sender: an email address, or a number in E.164 (+14155550100)",
    )
    display_name: str | None = Field(default=None, max_length=200)
    owner: str | None = Field(default=None, max_length=200, description="The rep it belongs to")
    config: dict[str, Any] = Field(
        default_factory=dict,
        description="Provider credentials (smtp: host, port, username, password, use_tls; "
        "sendgrid: api_key; twilio: account_sid, auth_token) and where replies are read "
        "(imap_host, imap_port, imap_username, imap_password, imap_security, imap_folder); "
        "secrets are encrypted and never returned",
    )
    pool_default: bool = Field(
        default=True, description="Campaigns that name no mailboxes send from it"
    )
    bounce_threshold: float | None = Field(default=None, gt=0, le=1)
    complaint_threshold: float | None = Field(default=None, gt=0, le=1)

    @field_validator("address")
    @classmethod
    def _address(cls, value: str, info: ValidationInfo) -> str:
        check_address(info.data.get("channel_type", "EMAIL"), value)
        return value


def check_address(channel_type: ChannelType | str, address: str) -> None:
    if channel_type == ChannelType.EMAIL:
        if not _EMAIL.match(address):
            raise ValueError(f"{address!r} is not an email address")
    elif not _E164.match(address.removeprefix("whatsapp:")):
        raise ValueError(f"{address!r} is not a number in E.164 (+14155550100)")


class MailboxUpdate(BaseModel):
    """Only the fields given change; `null` clears a cap, window or ramp."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    address: str | None = Field(default=None, min_length=3, max_length=320)
    display_name: str | None = Field(default=None, max_length=200)
    owner: str | None = Field(default=None, max_length=200)
    config: dict[str, Any] | None = Field(
        default=None, description="Merged into the stored config; a key set to null is removed"
    )
    daily_cap: int | None = Field(default=None, ge=1, le=1_000_000)
    hourly_cap: int | None = Field(default=None, ge=1, le=1_000_000)
    min_gap_seconds: int | None = Field(default=None, ge=0, le=_MAX_SECONDS)
    jitter_seconds: int | None = Field(default=None, ge=0, le=_MAX_SECONDS)
    send_window: PacingWindow | None = None
    timezone: str | None = None
    ramp: Ramp | None = None
    pool_default: bool | None = None
    state: Literal["active", "disabled"] | None = Field(
        default=None, description="Disable or enable it; pausing has its own route"
    )
    bounce_threshold: float | None = Field(default=None, gt=0, le=1)
    complaint_threshold: float | None = Field(default=None, gt=0, le=1)

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str | None) -> str | None:
        return check_timezone(value)


class PauseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str | None = Field(default=None, max_length=500, description="Why, for the record")


class MailboxUsage(BaseModel):
    """Where it stands now."""

    sent_24h: int
    sent_1h: int
    promised: int = Field(description="Sends waiting for a moment it promised them")
    cap_today: int | None = Field(description="The daily cap with the ramp applied")
    headroom: int | None = Field(description="Sends left in the rolling 24 h; null: no cap")
    next_free_at: datetime | None = Field(description="When it may send next; null: now")


class MailboxPublic(BaseModel):
    id: uuid.UUID
    name: str
    channel_type: str
    provider: str | None
    address: str
    display_name: str | None
    owner: str | None
    config: dict[str, Any]
    daily_cap: int | None
    hourly_cap: int | None
    min_gap_seconds: int
    jitter_seconds: int
    send_window: dict[str, Any]
    timezone: str
    ramp: dict[str, Any]
    pool_default: bool
    state: str
    paused_reason: str | None
    paused_at: datetime | None
    bounce_threshold: float | None
    complaint_threshold: float | None
    imap: bool = Field(description="Replies are read from it over IMAP")
    created_at: datetime
    updated_at: datetime
    usage: MailboxUsage | None = None
    health: MailboxHealth | None = Field(
        default=None,
        description="Bounce and complaint rates over its health window, with the thresholds "
        "it pauses at",
    )


class DefaultSender(BaseModel):
    """A channel type with no mailbox of its own sends as its channel did before mailboxes:
    shown here as its default mailbox."""

    channel_type: str
    provider: str
    address: str | None
    daily_cap: int | None
    send_window: dict[str, Any]
    used_by: str = Field(description="Which campaigns send through it")


class MailboxList(BaseModel):
    items: list[MailboxPublic]
    defaults: list[DefaultSender]
