"""The one interface every outreach channel implements, and the errors it may raise.

Channels never retry on their own: Temporal owns retries. A channel says whether a failure is
worth retrying (`TransientChannelError`, optionally with the provider's Retry-After) or not
(`PermanentChannelError`), and the send activity turns that into the right ApplicationError.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol, runtime_checkable

# Instructions from the send step to a channel, carried in OutboundContent.headers and stripped
# by the adapters before anything reaches a provider.
UNSUBSCRIBE_TOKEN_HEADER = "X-SalesPad-Unsubscribe-Token"
CONTENT_SID_HEADER = "X-SalesPad-Content-Sid"


def message_id_for(idempotency_key: str) -> str:
    """Our Message-ID for a send: derived from its idempotency key, so a retried send reuses it
    and a follow-up can name the email it replies to (In-Reply-To) without storing anything."""
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
    return f"<{digest}@salespad>"


@dataclass(frozen=True)
class Recipient:
    """What a channel may know about a lead: plain values, never an ORM object."""

    lead_id: str
    name: str
    email: str | None = None
    phone: str | None = None
    timezone: str | None = None


@dataclass(frozen=True)
class OutboundContent:
    """A rendered message, ready to go out."""

    body: str
    subject: str | None = None
    html: str | None = None
    # Stable identifiers the provider should echo back on events and replies.
    idempotency_key: str = ""
    step: int | None = None
    # Threading: our Message-ID of the first email of this enrollment, for follow-ups.
    in_reply_to: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SendResult:
    provider: str
    provider_message_id: str
    accepted: bool = True
    detail: str = ""


class ChannelError(Exception):
    """Base for channel failures; `error_type` becomes the ApplicationError type."""

    error_type = "ChannelError"

    def __init__(self, message: str, *, error_type: str | None = None) -> None:
        super().__init__(message)
        if error_type:
            self.error_type = error_type


class TransientChannelError(ChannelError):
    """Worth retrying later (429, 5xx, timeouts). `retry_after` is the provider's hint."""

    error_type = "TransientChannelError"

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

    error_type = "SendOutcomeUnknown"


class PermanentChannelError(ChannelError):
    """Retrying cannot help (invalid recipient, rejected content, bad credentials)."""

    error_type = "PermanentChannelError"


@runtime_checkable
class OutreachChannel(Protocol):
    """One provider for one channel type, as the original architecture names it."""

    provider: str

    async def send(self, lead: Recipient, content: OutboundContent) -> SendResult: ...

    def validate_recipient(self, lead: Recipient) -> bool: ...
