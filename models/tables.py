"""The tables. Names and fields follow the original architecture (Lead, Channel, Message,
EventLog) plus Campaign, Enrollment, Suppression and Task from DESIGN.md.

Columns are plain strings for the enums (no native PG enum types) so adding a status is a
code change, not a blocking `ALTER TYPE`. Schema changes go through Alembic only.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import ConfigDict, EmailStr
from sqlalchemy import BigInteger, Column, DateTime, Identity, Index, cast, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import UserDefinedType
from sqlmodel import AutoString, Field, SQLModel

from models.enums import (
    CampaignStatus,
    DeliveryStatus,
    EnrollmentState,
    LeadStatus,
    TaskStatus,
)

PreferredChannel = Literal["EMAIL", "WHATSAPP", "SMS"]


def utcnow() -> datetime:
    return datetime.now(UTC)


def _ts(nullable: bool = False, default_now: bool = True) -> Any:
    return Field(
        default_factory=utcnow if default_now else None,
        sa_column=Column(
            DateTime(timezone=True),
            nullable=nullable,
            server_default=func.now() if default_now else None,
        ),
    )


class Xid8(UserDefinedType[int]):
    """PostgreSQL's 64-bit transaction id (xid8): an int in Python, bound as a cast literal
    (psycopg has no adapter for it)."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "xid8"

    def bind_processor(self, dialect: Any) -> Any:
        return lambda value: None if value is None else str(value)

    def bind_expression(self, bindvalue: Any) -> Any:
        return cast(bindvalue, self)

    def result_processor(self, dialect: Any, coltype: Any) -> Any:
        return lambda value: None if value is None else int(value)


def _json() -> Any:
    return Field(
        default_factory=dict,
        sa_column=Column(JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    )


class LeadBase(SQLModel):
    """A lead's own fields, declared once: the table and the API's LeadCreate / LeadUpdate /
    LeadPublic build on them. `sa_type` keeps the columns as they are while the API limits
    lengths; the input rules (E.164, IANA zones) live with the API's models."""

    name: str = Field(min_length=1, max_length=200, sa_type=AutoString)
    email: EmailStr | None = Field(default=None, sa_type=AutoString(length=320))
    phone: str | None = Field(
        default=None,
        description="E.164, e.g. +14155550123",
        sa_type=AutoString(length=32),
        index=True,
    )
    timezone: str | None = Field(default=None, description="IANA name, e.g. Europe/Berlin")
    company: str | None = Field(default=None, max_length=200, sa_type=AutoString)
    title: str | None = Field(default=None, max_length=200, sa_type=AutoString)
    owner: str | None = Field(default=None, max_length=200, sa_type=AutoString)
    # Set over the API, or learned from the channel the lead last replied on (the later of
    # the two wins). A Message step goes out on it when the lead can receive it there.
    preferred_channel: PreferredChannel | None = Field(
        default=None,
        description="EMAIL, WHATSAPP or SMS: where Message steps reach this lead first",
        sa_type=AutoString(length=16),
    )
    # `metadata` is reserved on SQLAlchemy models: the attribute is `meta`, while the column
    # and the JSON key keep the architecture's name.
    meta: dict[str, Any] = Field(
        default_factory=dict,
        alias="metadata",
        sa_column=Column("metadata", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    )


class Lead(LeadBase, table=True):
    __tablename__ = "lead"
    __table_args__ = (
        Index("uq_lead_email_ci", text("lower(email)"), unique=True),
        Index("uq_lead_phone", "phone", unique=True, postgresql_where=text("email IS NULL")),
    )
    model_config = ConfigDict(populate_by_name=True)  # type: ignore[assignment]

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    status: str = Field(default=LeadStatus.NEW, max_length=16, index=True)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()
    # Set by an erasure (services/erasure): the row stays, anonymised, for analytics' counts.
    erased_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class Channel(SQLModel, table=True):
    __tablename__ = "channel"
    # One row per type and provider: its daily cap is counted on it (migration 0006).
    __table_args__ = (Index("uq_channel_type_provider", "type", "provider", unique=True),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    type: str = Field(max_length=16, index=True)
    provider: str = Field(max_length=16)
    name: str
    config: dict[str, Any] = _json()
    daily_cap: int | None = None
    send_window: dict[str, Any] = _json()
    enabled: bool = True
    created_at: datetime = _ts()


class Message(SQLModel, table=True):
    __tablename__ = "message"
    __table_args__ = (
        Index(
            "ix_message_mailbox_created",
            "mailbox_id",
            "created_at",
            postgresql_where=text("mailbox_id IS NOT NULL"),
        ),
        Index(
            "uq_message_provider_id",
            "direction",
            "provider_message_id",
            unique=True,
            postgresql_where=text("provider_message_id IS NOT NULL"),
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    lead_id: uuid.UUID | None = Field(default=None, foreign_key="lead.id", index=True)
    channel_id: uuid.UUID | None = Field(default=None, foreign_key="channel.id")
    # The mailbox an outbound message went out from (None: the channel's own sender), or the
    # mailbox an inbound one was read from (migration 0012).
    mailbox_id: uuid.UUID | None = Field(default=None, foreign_key="mailbox.id")
    enrollment_id: uuid.UUID | None = Field(default=None, foreign_key="enrollment.id")
    step: int | None = None
    direction: str = Field(max_length=8)
    subject: str | None = None
    content: str
    provider_message_id: str | None = None
    delivery_status: str = Field(default=DeliveryStatus.SENDING, max_length=16)
    sent_at: datetime | None = _ts(nullable=True, default_now=False)
    idempotency_key: str | None = Field(default=None, unique=True)
    # Inbound: the intent the sequence acted on, and when it did (NULL: not handled yet).
    intent: str | None = Field(default=None, max_length=32)
    processed_at: datetime | None = _ts(nullable=True, default_now=False)
    # Inbound headers, the classification and its reason; outbound provider details.
    details: dict[str, Any] = _json()
    created_at: datetime = _ts()


class EventLog(SQLModel, table=True):
    """Append-only: a database trigger refuses UPDATE and DELETE."""

    __tablename__ = "event_log"
    # The live stream's commit-order cursor (migration 0008).
    __table_args__ = (Index("ix_event_log_xact_id", "xact", "id"),)

    id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger, Identity(always=False), primary_key=True),
    )
    lead_id: uuid.UUID | None = Field(default=None, foreign_key="lead.id", index=True)
    event_type: str = Field(max_length=32, index=True)
    timestamp: datetime = _ts()
    details: dict[str, Any] = _json()
    # Attribution for analytics, filled by a BEFORE INSERT trigger (migration 0006) from the
    # row's details, its message, or the lead's enrollment at the time; writers may set them.
    campaign_id: uuid.UUID | None = None
    enrollment_id: uuid.UUID | None = None
    step: int | None = None
    channel: str | None = Field(default=None, max_length=16)
    arm: str | None = Field(default=None, max_length=64)
    intent: str | None = Field(default=None, max_length=32)
    # The inserting transaction, set by the column's default (pg_current_xact_id()); writers
    # leave it unset. The stream orders by (xact, id): see migration 0008.
    xact: int | None = Field(
        default=None,
        sa_column=Column(Xid8(), nullable=False, server_default=text("pg_current_xact_id()")),
    )


class Campaign(SQLModel, table=True):
    __tablename__ = "campaign"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str
    sequence_name: str
    sequence_version: str
    spec: dict[str, Any] = _json()
    timezone: str | None = None
    # Controls (active / paused / stopped); `status` below is how far enrolling has got.
    state: str = Field(default="active", max_length=16)
    created_at: datetime = _ts()
    status: str = Field(default=CampaignStatus.ENROLLED, max_length=16)
    # What POST /api/campaigns selected the leads by (lead_ids, import_id or filter).
    selector: dict[str, Any] = _json()
    # Each enrollment batch's selector, by batch number (0 is `selector`): what a lost start
    # of a batch's EnrollCampaign workflow is started again with (services/campaigns/recovery).
    batch_selectors: list[dict[str, Any]] = Field(
        default_factory=list,
        sa_column=Column(JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    )
    idempotency_key: str | None = Field(default=None, max_length=200, unique=True)
    # A hash of the request that created the campaign: the same key with another body is a 409.
    request_hash: str | None = Field(default=None, max_length=64)
    # Enrollment batches: 0 is the POST's, each POST .../leads adds one; enrolling is done
    # when every batch is in `finished_batches` (a list, so a retried finish counts once).
    batches: int = 1
    finished_batches: list[int] = Field(
        default_factory=list,
        sa_column=Column(JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    )
    selected: int = 0
    enrolled: int = 0
    skipped: int = 0
    warnings: int = 0
    skip_reasons: dict[str, Any] = _json()
    enrolling_finished_at: datetime | None = _ts(nullable=True, default_now=False)
    # The mailboxes it sends from (ids; migration 0012): empty, every mailbox of the step's
    # channel type with `pool_default`, else the channel's own sender. `mailbox_owner`: a
    # lead goes out from its owner's mailboxes (among those) when the owner has any.
    mailboxes: list[str] = Field(
        default_factory=list,
        sa_column=Column(JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    )
    mailbox_owner: bool = Field(default=False, sa_column_kwargs={"server_default": "false"})


class CampaignSkip(SQLModel, table=True):
    """A lead that enrolling left out (kind "skipped") or enrolled with a warning (kind
    "warning"): one row per campaign, batch, lead and kind, so a retried batch adds none."""

    __tablename__ = "campaign_skip"
    __table_args__ = (
        Index(
            "uq_campaign_skip_lead",
            "campaign_id",
            "batch",
            "lead_id",
            "kind",
            unique=True,
        ),
    )

    id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger, Identity(always=False), primary_key=True),
    )
    campaign_id: uuid.UUID = Field(foreign_key="campaign.id", index=True)
    batch: int = 0
    # No foreign key: a lead id that names no lead is reported too ("not found").
    lead_id: uuid.UUID
    kind: str = Field(default="skipped", max_length=16)
    reason: str = Field(max_length=32)
    detail: str = ""
    created_at: datetime = _ts()


class Enrollment(SQLModel, table=True):
    __tablename__ = "enrollment"
    __table_args__ = (
        # A lead is in at most one running sequence: the database says so too.
        Index(
            "uq_enrollment_open_per_lead",
            "lead_id",
            unique=True,
            postgresql_where=text("state IN ('active', 'paused', 'attention')"),
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    campaign_id: uuid.UUID = Field(foreign_key="campaign.id", index=True)
    lead_id: uuid.UUID = Field(foreign_key="lead.id", index=True)
    workflow_id: str
    run_id: str | None = None
    # Which enrollment batch of the campaign created it (a retried batch finds its own rows).
    campaign_batch: int | None = None
    current_step: int | None = None
    # The A/B arm drawn for this enrollment (set by its first send of a step with variants).
    arm: str | None = Field(default=None, max_length=64)
    state: str = Field(default=EnrollmentState.ACTIVE, max_length=16)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()
    ended_at: datetime | None = _ts(nullable=True, default_now=False)


class Suppression(SQLModel, table=True):
    __tablename__ = "suppression"
    __table_args__ = (
        Index("uq_suppression_email_ci", text("lower(email)"), unique=True),
        Index("uq_suppression_phone", "phone", unique=True),
        Index(
            "uq_suppression_email_sha256",
            "email_sha256",
            unique=True,
            postgresql_where=text("email_sha256 IS NOT NULL"),
        ),
        Index(
            "uq_suppression_phone_sha256",
            "phone_sha256",
            unique=True,
            postgresql_where=text("phone_sha256 IS NOT NULL"),
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    email: str | None = None
    phone: str | None = None
    # An erased person's suppression keeps only these (services/erasure/hashing.py).
    email_sha256: str | None = Field(default=None, max_length=64)
    phone_sha256: str | None = Field(default=None, max_length=64)
    reason: str
    created_at: datetime = _ts()


class Task(SQLModel, table=True):
    __tablename__ = "task"
    __table_args__ = (
        Index(
            "uq_task_enrollment_step",
            "enrollment_id",
            "step",
            unique=True,
            postgresql_where=text("enrollment_id IS NOT NULL"),
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    lead_id: uuid.UUID = Field(foreign_key="lead.id", index=True)
    enrollment_id: uuid.UUID | None = Field(default=None, foreign_key="enrollment.id")
    step: int | None = None
    kind: str
    action: str | None = Field(default=None, max_length=32)
    instructions: str
    note: str | None = None
    owner: str | None = None
    due_at: datetime | None = _ts(nullable=True, default_now=False)
    status: str = Field(default=TaskStatus.OPEN, max_length=16, index=True)
    created_at: datetime = _ts()
    completed_at: datetime | None = _ts(nullable=True, default_now=False)


class Import(SQLModel, table=True):
    """One file import: its options, progress counts and outcome."""

    __tablename__ = "import"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    filename: str
    status: str = Field(default="processing", max_length=16, index=True)
    options: dict[str, Any] = _json()
    # The file's header, so rejected rows can be written back in their original columns.
    columns: list[str] = Field(
        default_factory=list,
        sa_column=Column(JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    )
    campaign_id: str | None = None
    rows: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    rejected: int = 0
    suppressed: int = 0
    error: str | None = None
    created_at: datetime = _ts()
    finished_at: datetime | None = _ts(nullable=True, default_now=False)
    # Moved on by every committed batch: an import "processing" whose progress stopped long
    # ago lost its process (services/imports/service.fail_abandoned).
    progress_at: datetime = _ts()


class ImportRejection(SQLModel, table=True):
    """A row an import refused: where it starts in the file, why, and the row as it was."""

    __tablename__ = "import_rejection"

    id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger, Identity(always=False), primary_key=True),
    )
    import_id: uuid.UUID = Field(foreign_key="import.id", index=True)
    line: int
    column: str | None = None
    reason: str
    raw: list[Any] = Field(
        default_factory=list,
        sa_column=Column(JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    )


class ImportLead(SQLModel, table=True):
    """Every lead a file named (created, updated or already as the file says): what a
    campaign started "from this import" enrolls."""

    __tablename__ = "import_lead"

    import_id: uuid.UUID = Field(foreign_key="import.id", primary_key=True, ondelete="CASCADE")
    lead_id: uuid.UUID = Field(foreign_key="lead.id", primary_key=True, ondelete="CASCADE")


class OwnerNotification(SQLModel, table=True):
    """A reply the lead's owner must see (interested, question, referral, ...): an inbox item,
    and an email to the owner when the owner is an address and an email channel can send."""

    __tablename__ = "owner_notification"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    lead_id: uuid.UUID = Field(foreign_key="lead.id", index=True, ondelete="CASCADE")
    # One per reply (unique): processing a reply again notifies nobody twice.
    message_id: uuid.UUID | None = Field(
        default=None, foreign_key="message.id", unique=True, ondelete="CASCADE"
    )
    owner: str | None = None
    intent: str = Field(max_length=32)
    summary: str = ""
    email_to: str | None = None
    # none (no address, or no email channel) | pending | sending (claimed) | sent | failed
    email_status: str = Field(default="none", max_length=16)
    email_error: str | None = None
    email_attempts: int = 0
    email_next_at: datetime = _ts()
    created_at: datetime = _ts()
    read_at: datetime | None = _ts(nullable=True, default_now=False)


class WebhookSubscription(SQLModel, table=True):
    """Where to post which public events (services/webhooks_out/events.py), signed with
    `secret`, which is stored sealed (models/secrets.py) and shown only when created."""

    __tablename__ = "webhook_subscription"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    url: str
    events: list[str] = Field(
        default_factory=list,
        sa_column=Column(JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    )
    secret: str
    active: bool = True
    description: str | None = None
    created_at: datetime = _ts()


class WebhookDelivery(SQLModel, table=True):
    """One event for one subscription: written by the event log's trigger (migration 0007) in
    the event's transaction, then posted by the dispatcher until a 2xx or the retry window
    ends. `id` is the delivery id receivers dedupe on; it never changes."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        Index("uq_webhook_delivery_event", "subscription_id", "event_id", unique=True),
        Index("ix_webhook_delivery_event_id", "event_id", "id"),
        Index(
            "ix_webhook_delivery_due",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    subscription_id: uuid.UUID = Field(foreign_key="webhook_subscription.id", ondelete="CASCADE")
    event_id: int = Field(sa_type=BigInteger)
    event: str = Field(max_length=64)
    payload: dict[str, Any] = _json()
    # pending | delivered | failed
    status: str = Field(default="pending", max_length=16)
    # Since the last (re)delivery; webhook_attempt keeps every attempt.
    attempts: int = 0
    # Due time while pending; while an attempt is in flight, the end of its lease.
    next_attempt_at: datetime = _ts()
    created_at: datetime = _ts()
    first_attempt_at: datetime | None = _ts(nullable=True, default_now=False)
    delivered_at: datetime | None = _ts(nullable=True, default_now=False)
    last_status_code: int | None = None
    last_error: str | None = None


class WebhookAttempt(SQLModel, table=True):
    """One POST of a delivery: when, the HTTP status or the error, and how long it took."""

    __tablename__ = "webhook_attempt"
    __table_args__ = (Index("ix_webhook_attempt_delivery", "delivery_id", "at"),)

    id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger, Identity(always=False), primary_key=True),
    )
    delivery_id: uuid.UUID = Field(foreign_key="webhook_delivery.id", ondelete="CASCADE")
    at: datetime = _ts(default_now=False)
    status_code: int | None = None
    error: str | None = None
    duration_ms: int = 0


__all__ = [
    "Campaign",
    "CampaignSkip",
    "Channel",
    "Enrollment",
    "EnrollmentState",
    "EventLog",
    "Import",
    "ImportLead",
    "ImportRejection",
    "Lead",
    "LeadBase",
    "Message",
    "OwnerNotification",
    "Suppression",
    "Task",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookSubscription",
]
