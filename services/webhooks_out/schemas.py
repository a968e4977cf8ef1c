"""Bodies of the webhook-subscription and webhook-delivery routes, with their input rules."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
)

from models.secrets import PREFIX as SEALED_PREFIX
from services.leads.schemas import check_storable
from services.paging import token_check
from services.webhooks_out.events import ALL_EVENTS, EVENT_NAMES
from services.webhooks_out.queries import DeliveryCursor

DeliveryStatus = Literal["pending", "delivered", "failed"]
MAX_URL = 2000


def check_url(value: str) -> str:
    """An absolute http(s) URL with a host."""
    check_storable(value)
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        raise ValueError("must be an http(s) URL") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http(s) URL, e.g. https://example.com/hooks/salespad")
    if any(c.isspace() for c in value):
        raise ValueError("must not contain spaces")
    return value


def check_events(value: list[str]) -> list[str]:
    """Known public names or "*"; duplicates dropped, order kept."""
    unknown = [name for name in value if name != ALL_EVENTS and name not in EVENT_NAMES]
    if unknown:
        raise ValueError(
            f'unknown event {unknown[0]!r}: use {", ".join(EVENT_NAMES)} or "*" for all'
        )
    return list(dict.fromkeys(value))


def check_event_name(value: str) -> str:
    if value not in EVENT_NAMES:
        raise ValueError(f"unknown event {value!r}: one of {', '.join(EVENT_NAMES)}")
    return value


# Query parameters: checked where the request is parsed, so a bad value is a 422 naming it.
EventName = Annotated[
    str,
    AfterValidator(check_event_name),
    WithJsonSchema({"type": "string", "enum": list(EVENT_NAMES)}),
]
CursorToken = Annotated[str, token_check(DeliveryCursor.decode)]
# In a subscription: the document lists the names (the model checks them, with a clear 422).
SubscribedEvent = Annotated[
    str, WithJsonSchema({"type": "string", "enum": [*EVENT_NAMES, ALL_EVENTS]})
]


class _Input(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    @field_validator("url", check_fields=False)
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return None if value is None else check_url(value)

    @field_validator("events", check_fields=False)
    @classmethod
    def _events(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else check_events(value)

    @field_validator("description", check_fields=False)
    @classmethod
    def _description(cls, value: str | None) -> str | None:
        return check_storable(value)  # type: ignore[no-any-return]


class SubscriptionCreate(_Input):
    url: str = Field(max_length=MAX_URL, description="Where to POST, http:// or https://")
    events: list[SubscribedEvent] = Field(
        min_length=1,
        max_length=50,
        description=f'Public event names ({", ".join(EVENT_NAMES)}), or "*" for every one',
    )
    secret: str | None = Field(
        default=None,
        min_length=16,
        max_length=256,
        description="Signs each post; omitted: one is generated and returned in this response only",
    )
    active: bool = True
    description: str | None = Field(default=None, max_length=500)

    @field_validator("secret")
    @classmethod
    def _secret(cls, value: str | None) -> str | None:
        if value is not None:
            check_storable(value)
            if value.startswith(SEALED_PREFIX):
                raise ValueError(f"must not start with {SEALED_PREFIX!r}")
        return value


class SubscriptionUpdate(_Input):
    """Only what is sent changes. The secret cannot change: create a new subscription."""

    url: str | None = Field(default=None, max_length=MAX_URL)
    events: list[SubscribedEvent] | None = Field(default=None, min_length=1, max_length=50)
    active: bool | None = None
    description: str | None = Field(default=None, max_length=500)


class SubscriptionPublic(BaseModel):
    id: uuid.UUID
    url: str
    events: list[str]
    active: bool
    description: str | None
    created_at: datetime


class SubscriptionCreated(SubscriptionPublic):
    secret: str = Field(description="Shown this once: store it where the receiver can read it")


class DeliveryPublic(BaseModel):
    id: uuid.UUID = Field(description="The delivery id (X-SalesPad-Delivery): dedupe on it")
    subscription_id: uuid.UUID
    event: str
    event_id: int
    status: DeliveryStatus
    attempts: int = Field(description="Attempts since it was created or last redelivered")
    created_at: datetime
    first_attempt_at: datetime | None
    next_attempt_at: datetime | None = Field(description="While pending: when it is due")
    delivered_at: datetime | None
    last_status_code: int | None
    last_error: str | None


class AttemptPublic(BaseModel):
    at: datetime
    status_code: int | None = Field(description="The receiver's HTTP status, if it answered")
    error: str | None
    duration_ms: int


class DeliveryDetail(DeliveryPublic):
    payload: dict[str, Any] = Field(description="The JSON body posted")
    attempt_log: list[AttemptPublic] = Field(description="Every attempt, oldest first")


class DeliveryList(BaseModel):
    items: list[DeliveryPublic]
    limit: int
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page")
