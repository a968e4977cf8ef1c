"""Request and response bodies: LeadBase -> LeadCreate -> Lead (table) -> LeadPublic."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator, model_validator

from models.enums import ChannelType

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


class LeadBase(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    email: EmailStr | None = None
    phone: str | None = Field(default=None, description="E.164, e.g. +14155550123")
    timezone: str | None = Field(default=None, description="IANA name, e.g. Europe/Berlin")
    company: str | None = Field(default=None, max_length=200)
    title: str | None = Field(default=None, max_length=200)
    owner: str | None = Field(default=None, max_length=200)
    metadata: dict[str, Any] = Field(default_factory=dict)

    @field_validator("phone")
    @classmethod
    def _e164(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        compact = re.sub(r"[\s().-]", "", value)
        if not _E164.match(compact):
            raise ValueError("must be an E.164 number such as +14155550123")
        return compact

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str | None) -> str | None:
        if not value:
            return None
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r}") from None
        return value

    @field_validator("email")
    @classmethod
    def _lower(cls, value: str | None) -> str | None:
        return value.lower() if value else None


class LeadCreate(LeadBase):
    @model_validator(mode="after")
    def _reachable(self) -> LeadCreate:
        if not self.email and not self.phone:
            raise ValueError("a lead needs an email or a phone number")
        return self


class LeadPublic(BaseModel):
    id: uuid.UUID
    name: str
    email: str | None
    phone: str | None
    timezone: str | None
    company: str | None
    title: str | None
    owner: str | None
    status: str
    metadata: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class RowError(BaseModel):
    field: str
    message: str


class RejectedRow(BaseModel):
    row: int = Field(description="0-based index in the submitted list")
    errors: list[RowError]


class LeadBatchResult(BaseModel):
    created: list[LeadPublic]
    updated: list[LeadPublic]
    rejected: list[RejectedRow]


class LeadList(BaseModel):
    items: list[LeadPublic]
    total: int
    limit: int
    offset: int


class EnrollmentPublic(BaseModel):
    id: uuid.UUID
    campaign_id: uuid.UUID
    workflow_id: str
    current_step: int | None
    state: str
    created_at: datetime
    ended_at: datetime | None


class TimelineEntry(BaseModel):
    at: datetime
    kind: Literal["message", "event"]
    # message fields
    direction: str | None = None
    channel: str | None = None
    step: int | None = None
    subject: str | None = None
    content: str | None = None
    delivery_status: str | None = None
    # event fields
    event_type: str | None = None
    details: dict[str, Any] | None = None


class LeadDetail(BaseModel):
    lead: LeadPublic
    enrollment: EnrollmentPublic | None
    temporal_url: str | None
    timeline: list[TimelineEntry]


class CampaignCreate(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    sequence: str = Field(min_length=1, description="A name from GET /api/sequences")
    lead_ids: list[uuid.UUID] = Field(min_length=1, max_length=10_000)
    timezone: str | None = Field(default=None, description="Fallback when a lead has none")

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str | None) -> str | None:
        return LeadBase._tz(value)


class Enrolled(BaseModel):
    lead_id: uuid.UUID
    workflow_id: str
    enrollment_id: uuid.UUID


class Skipped(BaseModel):
    lead_id: uuid.UUID
    reason: str


class CampaignResult(BaseModel):
    id: uuid.UUID
    name: str
    sequence: str
    sequence_version: str
    enrolled: list[Enrolled]
    skipped: list[Skipped]


class CampaignSummary(BaseModel):
    id: uuid.UUID
    name: str
    sequence: str
    sequence_version: str
    state: str
    created_at: datetime
    enrollments: dict[str, int] = Field(description="Enrollments by state")
    sends_by_step: dict[int, int] = Field(description="Messages sent, by 1-based step")
    replies: int


class ReplyCreate(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    content: str = Field(min_length=1, max_length=100_000)
    channel: ChannelType = ChannelType.EMAIL
    subject: str | None = None
    message_id: str | None = Field(
        default=None,
        max_length=500,
        description="The provider's message id; a repeated id is recognised, not recorded twice",
    )
    received_at: datetime | None = None
    headers: dict[str, str] = Field(
        default_factory=dict,
        description="Mail headers when known (Auto-Submitted, X-Autoreply, Precedence, ...)",
    )


class SequenceDelivery(BaseModel):
    delivered: Literal["update", "signal", "processed", "queued", "deferred"] = Field(
        description="update: the running sequence handled it and answered; signal: queued "
        "durably for the running sequence; processed: no sequence was running, the reply was "
        "classified on its own; queued: classification is still running; deferred: Temporal "
        "was unreachable — the reply is recorded and the sequence handles it before its next "
        "send"
    )
    action: str | None = Field(
        default=None, description="What the sequence did: stopped, paused, continued, ..."
    )
    intent: str | None = None
    sends: int | None = None
    current_step: int | None = None
    resume_at: datetime | None = None
    error: str | None = None


class ReplyResult(BaseModel):
    message_id: uuid.UUID
    provider_message_id: str
    duplicate: bool
    lead_status: str
    sequence: SequenceDelivery
