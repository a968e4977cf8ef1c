"""Mailboxes: the sender identities a channel type sends from (migration 0012).

A mailbox is an email address (SMTP or SendGrid) or a Twilio number / WhatsApp sender, with
its own pacing: a daily cap (rolling 24 h) and an hourly cap (rolling 60 min), a minimum gap
between two sends plus a random jitter, a send window in its own timezone, and an optional
ramp (warm-up: `start` a day, `step` more each day since `since`, up to the daily cap).
Provider credentials in `config` are sealed like a channel's (models/secrets.py); a mailbox
without credentials of its own sends through its channel type's configured provider, from its
own address. `config["imap"]` holds where its replies are read from (an SMTP mailbox's).

`mailbox_slot` holds the sends a mailbox has promised a time to: a send that must wait for its
gap takes the next free moment and sleeps until then, so a crowd due at once is spread along
the mailbox's gap instead of waking together. `mailbox_imap_state` is how far the reply poller
has read a mailbox's folder (UIDVALIDITY and the last UID seen).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Column, DateTime, Index, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import BigInteger, Field, SQLModel

from models.tables import utcnow

MAILBOX_STATES = ("active", "paused", "disabled")


def _json() -> Any:
    return Field(
        default_factory=dict,
        sa_column=Column(JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    )


def _ts(nullable: bool = False) -> Any:
    if nullable:
        return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    return Field(
        default_factory=utcnow,
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


class Mailbox(SQLModel, table=True):
    __tablename__ = "mailbox"
    __table_args__ = (
        CheckConstraint("state IN ('active', 'paused', 'disabled')", name="ck_mailbox_state"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    channel_type: str = Field(max_length=16, index=True)
    # None: the channel type's configured provider (environment or POST /api/channels).
    provider: str | None = Field(default=None, max_length=16)
    address: str = Field(max_length=320)
    display_name: str | None = Field(default=None, max_length=200)
    # The rep who owns it: a campaign with `mailbox_owner` sends a lead from its owner's.
    owner: str | None = Field(default=None, max_length=200, index=True)
    config: dict[str, Any] = _json()
    daily_cap: int | None = None
    hourly_cap: int | None = None
    min_gap_seconds: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    jitter_seconds: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    send_window: dict[str, Any] = _json()
    timezone: str = Field(default="UTC", max_length=64, sa_column_kwargs={"server_default": "UTC"})
    # {"start": N, "step": M, "since": "YYYY-MM-DD"}: N a day on `since`, M more each day.
    ramp: dict[str, Any] = _json()
    # Used by campaigns that name no mailboxes.
    pool_default: bool = Field(default=True, sa_column_kwargs={"server_default": "true"})
    state: str = Field(
        default="active", max_length=16, sa_column_kwargs={"server_default": "active"}
    )
    paused_reason: str | None = None
    paused_at: datetime | None = _ts(nullable=True)
    # Deliverability thresholds (fractions); None: the settings' defaults.
    bounce_threshold: float | None = None
    complaint_threshold: float | None = None
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class MailboxSlot(SQLModel, table=True):
    __tablename__ = "mailbox_slot"
    __table_args__ = (Index("ix_mailbox_slot_mailbox_at", "mailbox_id", "at"),)

    # The send's idempotency key: one promised moment per send.
    idempotency_key: str = Field(primary_key=True)
    mailbox_id: uuid.UUID = Field(foreign_key="mailbox.id", ondelete="CASCADE")
    lead_id: uuid.UUID
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class MailboxImapState(SQLModel, table=True):
    __tablename__ = "mailbox_imap_state"

    mailbox_id: uuid.UUID = Field(foreign_key="mailbox.id", primary_key=True, ondelete="CASCADE")
    folder: str = Field(default="INBOX", max_length=200)
    uidvalidity: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    last_uid: int = Field(
        default=0, sa_column=Column(BigInteger, nullable=False, server_default="0")
    )
    last_polled_at: datetime | None = _ts(nullable=True)
    last_error: str | None = None
    messages_seen: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
