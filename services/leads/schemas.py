"""Lead bodies on the model chain `LeadBase -> LeadCreate / LeadUpdate -> Lead -> LeadPublic`:
the fields are declared once, on `models.tables.LeadBase`; these add the input rules."""

from __future__ import annotations

import dataclasses
import json
import math
import re
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from models.tables import LeadBase

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def check_timezone(value: str | None) -> str | None:
    """An IANA zone name, or None for an empty one."""
    if not value:
        return None
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown IANA time zone {value!r}") from None
    return value


def unstorable_text(value: str) -> str | None:
    """Why PostgreSQL cannot store this text (a NUL, a lone surrogate), or None."""
    if "\x00" in value:
        return "must not contain NUL characters"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "must be valid Unicode text"
    return None


def keepable(value: Any) -> Any:
    """What a provider sent, made storable rather than refused (a webhook's post must be kept):
    NUL characters dropped, lone surrogates replaced, non-finite numbers null; recursively, into
    mappings, lists and the fields of a dataclass (a provider's parsed event or mail)."""
    if isinstance(value, str):
        if "\x00" in value:
            value = value.replace("\x00", "")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            value = value.encode("utf-8", "replace").decode("utf-8")
        return value
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {keepable(k): keepable(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = dataclasses.fields(value)
        return dataclasses.replace(
            value, **{f.name: keepable(getattr(value, f.name)) for f in fields if f.init}
        )
    if isinstance(value, list | tuple):
        return type(value)(keepable(item) for item in value)
    return value


def check_storable(value: Any) -> Any:
    """Text and JSON PostgreSQL can store: no NUL characters, no lone surrogates, no NaN or
    infinity (JSONB refuses them, and the database error would be a 500, not a 422)."""
    if isinstance(value, str):
        if problem := unstorable_text(value):
            raise ValueError(problem)
    elif isinstance(value, float) and not math.isfinite(value):
        raise ValueError("numbers must be finite")
    elif isinstance(value, dict):
        for key, item in value.items():
            check_storable(key)
            check_storable(item)
    elif isinstance(value, list | tuple):
        for item in value:
            check_storable(item)
    return value


class LeadInput(LeadBase):
    """The rules every lead body follows: E.164 phones, IANA zones, lower-case emails, text the
    database can store."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")  # type: ignore[assignment]

    @field_validator("*", mode="before")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        try:
            return check_storable(value)
        except RecursionError:
            raise ValueError("is nested too deeply") from None

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
        return check_timezone(value)

    @field_validator("meta")
    @classmethod
    def _bounded(cls, value: dict[str, Any]) -> dict[str, Any]:
        check_metadata_size(value)
        return value

    @field_validator("email")
    @classmethod
    def _lower(cls, value: str | None) -> str | None:
        return value.lower() if value else None

    @field_validator("preferred_channel", mode="before")
    @classmethod
    def _channel_upper(cls, value: object) -> object:
        # "whatsapp" and "WhatsApp" mean WHATSAPP; "" clears it like null.
        if isinstance(value, str):
            return value.strip().upper() or None
        return value


# A lead travels to its sequence's activities and templates: kept well below Temporal's 2 MB
# payload limit (a bigger one would retry for ever), and below anything a template needs.
MAX_METADATA_BYTES = 32_768


def check_metadata_size(meta: dict[str, Any]) -> None:
    size = len(json.dumps(meta, ensure_ascii=False).encode())
    if size > MAX_METADATA_BYTES:
        raise ValueError(f"metadata is {size:,} bytes as JSON; at most {MAX_METADATA_BYTES:,}")


class LeadCreate(LeadInput):
    @model_validator(mode="after")
    def _reachable(self) -> LeadCreate:
        if not self.email and not self.phone:
            raise ValueError("a lead needs an email or a phone number")
        return self


class LeadUpdate(LeadInput):
    """A partial update: only the fields given change (metadata keys are merged)."""

    name: str | None = Field(default=None, min_length=1, max_length=200)  # type: ignore[assignment]


class LeadPublic(LeadBase):
    model_config = ConfigDict(populate_by_name=True)  # type: ignore[assignment]

    id: uuid.UUID
    status: str
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
    total: int = Field(description="Leads matching the filters (the cursor aside)")
    limit: int
    offset: int
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` for the next page; null on the last page"
    )


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


class ControlResult(BaseModel):
    lead_id: uuid.UUID
    action: str
    signalled: bool
    detail: str = ""
