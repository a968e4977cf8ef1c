"""The one interface every outreach channel implements, and the errors it may raise.

Channels never retry on their own: Temporal owns retries. A channel says whether a failure is
worth retrying (`TransientChannelError`, optionally with the provider's Retry-After) or not
(`PermanentChannelError`), and the send activity turns that into the right ApplicationError.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol, runtime_checkable

from workflows import errors

__all__ = [
    "ChannelError",
    "OutboundContent",
    "OutcomeUnknownChannelError",
    "OutreachChannel",
    "PermanentChannelError",
    "Recipient",
    "SendResult",
    "TransientChannelError",
    "WhatsAppTemplate",
]


@dataclass(frozen=True)
class Recipient:
    """What a channel may know about a lead: plain values, never an ORM object."""

    lead_id: str
    name: str
    email: str | None = None
    phone: str | None = None
    timezone: str | None = None


@dataclass(frozen=True)
class WhatsAppTemplate:
    """An approved WhatsApp template (Twilio Content API): outside the 24 h session WhatsApp
    delivers nothing else, so the channel falls back to it once."""

    content_sid: str
    # Twilio's ContentVariables: placeholder ("1", "2", ...) -> value.
    variables: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class OutboundContent:
    """A rendered message, ready to go out, and the send step's instructions to the channel."""

    body: str
    subject: str | None = None
    html: str | None = None
    # Stable identifiers the provider should echo back on events and replies.
    idempotency_key: str = ""
    step: int | None = None
    # Threading: our Message-ID of the first email of this enrollment, for follow-ups.
    in_reply_to: str | None = None
    # Extra mail headers (email channels; ones the channel sets itself are dropped).
    headers: dict[str, str] = field(default_factory=dict)
    # The token of the lead's one-click unsubscribe link; email channels that know the link's
    # URL template add RFC 8058 List-Unsubscribe headers with it.
    unsubscribe_token: str | None = None
    # What a WhatsApp channel sends instead when the lead is outside the 24 h session.
    whatsapp_template: WhatsAppTemplate | None = None


@dataclass(frozen=True)
class SendResult:
    provider: str
    provider_message_id: str
    accepted: bool = True
    detail: str = ""


class ChannelError(Exception):
    """Base for channel failures; `error_type` becomes the ApplicationError type."""

    error_type = errors.CHANNEL_ERROR

    def __init__(self, message: str, *, error_type: str | None = None) -> None:
        super().__init__(message)
        if error_type:
            self.error_type = error_type


class TransientChannelError(ChannelError):
    """Worth retrying later (429, 5xx, timeouts). `retry_after` is the provider's hint."""

    error_type = errors.TRANSIENT_CHANNEL_ERROR

    def __init__(
        self,
        message: str,
        *,
        error_type: str | None = None,
        retry_after: timedelta | None = None,
    ) -> None:
        super().__init__(message, error_type=error_type)
        self.retry_after = retry_after


class OutcomeUnknownChannelError(ChannelError):
    """The request may have reached the provider (a timeout after sending, a connection lost
    after the body): resending could deliver twice, so the send goes to ops instead."""

    error_type = errors.SEND_OUTCOME_UNKNOWN


class PermanentChannelError(ChannelError):
    """Retrying cannot help (invalid recipient, rejected content, bad credentials)."""

    error_type = errors.PERMANENT_CHANNEL_ERROR


@runtime_checkable
class OutreachChannel(Protocol):
    """One provider for one channel type, as the original architecture names it."""

    provider: str

    async def send(self, lead: Recipient, content: OutboundContent) -> SendResult: ...

    def validate_recipient(self, lead: Recipient) -> bool: ...
