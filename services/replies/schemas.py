"""Reply bodies. In our models `db_message_id` is our Message row's id and
`provider_message_id` the provider's; the JSON keeps its `message_id` key (an alias)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from models.enums import ChannelType
from services.datetimes import IsoDateTime


class ReplyCreate(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    content: str = Field(min_length=1, max_length=100_000)
    channel: ChannelType = ChannelType.EMAIL
    subject: str | None = None
    provider_message_id: str | None = Field(
        default=None,
        alias="message_id",
        max_length=500,
        description="The provider's message id; a repeated id is recognised, not recorded twice",
    )
    received_at: IsoDateTime | None = None
    headers: dict[str, str] = Field(
        default_factory=dict,
        description="Mail headers when known (Auto-Submitted, X-Autoreply, Precedence, ...)",
    )


# How long POST /api/leads/{id}/replies waits: until the running sequence holds the reply (it
# answers at once), or until the reply was classified and acted on.
ReplyWait = Literal["received", "classified"]
# Webhooks, in addition: "signal", record the reply and signal the sequence (no Update).
ReplyDeliveryMode = Literal["signal", "received", "classified"]


class SequenceDelivery(BaseModel):
    delivered: Literal["update", "signal", "processed", "queued", "deferred"] = Field(
        description="update: the running sequence handled it and answered; signal: queued "
        "durably for the running sequence; processed: no sequence was running, the reply was "
        "classified on its own; queued: classification is still running; deferred: Temporal "
        "was unreachable — the reply is recorded and the sequence handles it before its next "
        "send"
    )
    action: str | None = Field(
        default=None,
        description="What the sequence did: received (it holds the reply and runs no step "
        "before handling it), stopped, paused, continued, ...",
    )
    intent: str | None = None
    sends: int | None = None
    current_step: int | None = None
    resume_at: datetime | None = None
    error: str | None = None


class ReplyResult(BaseModel):
    db_message_id: uuid.UUID = Field(serialization_alias="message_id")
    provider_message_id: str
    duplicate: bool
    lead_status: str
    sequence: SequenceDelivery


@dataclass(frozen=True)
class InboundMail:
    """An email as a webhook delivered it, before matching."""

    sender: str | None  # bare address, lower-case
    from_header: str
    to: str
    subject: str | None
    text: str
    provider_message_id: str  # what we dedupe on
    references: tuple[str, ...] = ()  # In-Reply-To first, then References newest first
    headers: dict[str, str] = field(default_factory=dict)
    attachments: int = 0
