"""Plain SMTP (any relay: Postfix, SES, Mailgun, a corporate server) as the EMAIL channel.

Same headers as the SendGrid channel: our deterministic Message-ID, threading, and RFC 8058
List-Unsubscribe. The provider message id we report is that Message-ID, so a reply's
In-Reply-To finds the send directly.

SMTP tells us more than an HTTP API about what happened. A 4xx reply is temporary (RFC 5321)
and a 5xx is final. Where the conversation broke matters as well: before DATA nothing was sent
and a retry is safe; once the message body has gone out, a dropped connection leaves the
outcome unknown, and that goes to ops rather than risking a second copy in the lead's inbox.
"""

from __future__ import annotations

import copy
import email.policy
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Literal

import aiosmtplib

from adapters.channels.base import (
    ChannelError,
    OutboundContent,
    OutcomeUnknownChannelError,
    PermanentChannelError,
    Recipient,
    SendResult,
    TransientChannelError,
)
from adapters.channels.email import (
    RESERVED_HEADERS,
    email_target,
    normalized_email,
    outbound_headers,
    text_to_html,
)
from workflows import errors

# Set by this channel from its own fields; a caller's copy would contradict them.
_SMTP_RESERVED = RESERVED_HEADERS | {"date", "mime-version", "sender", "return-path"}
# 7bit: every line ASCII (non-ASCII text goes quoted-printable), so any relay takes it without
# 8BITMIME; CRLF line endings as SMTP requires.
_POLICY = email.policy.SMTP.clone(cte_type="7bit")
_AUTH_CODES = frozenset({530, 534, 535, 538})
_BAD_MAILBOX_CODES = frozenset({550, 551, 553})
Phase = Literal["connect", "sender", "recipient", "data"]


class SmtpChannel:
    """OutreachChannel for email through an SMTP relay (one connection per send)."""

    provider = "smtp"

    def __init__(
        self,
        hostname: str,
        port: int = 587,
        *,
        from_email: str,
        from_name: str | None = None,
        username: str | None = None,
        password: str | None = None,
        use_tls: bool = False,
        start_tls: bool | None = None,
        validate_certs: bool = True,
        unsubscribe_url_template: str | None = None,
        timeout: float = 15.0,
    ) -> None:
        if unsubscribe_url_template is not None and "{token}" not in unsubscribe_url_template:
            raise ValueError("unsubscribe_url_template must contain '{token}'")
        self._hostname = hostname
        self._port = port
        self._from = Address(display_name=from_name or "", addr_spec=from_email)
        self._from_email = from_email
        self._username = username
        self._password = password
        self._use_tls = use_tls
        # None: STARTTLS when the server offers it (aiosmtplib's default behaviour).
        self._start_tls = start_tls
        self._validate_certs = validate_certs
        self._unsubscribe_url_template = unsubscribe_url_template
        self._timeout = timeout

    def validate_recipient(self, lead: Recipient) -> bool:
        return normalized_email(lead) is not None

    def with_sender(self, address: str, name: str | None) -> SmtpChannel:
        """The same relay sending from another address (a mailbox)."""
        other = copy.copy(self)
        other._from = Address(display_name=name or "", addr_spec=address)
        other._from_email = address
        return other

    async def send(self, lead: Recipient, content: OutboundContent) -> SendResult:
        to_email, _, message_id = email_target(lead, content)
        raw = self._build(lead, to_email, content, message_id)
        response = await self._deliver(to_email, raw)
        return SendResult(self.provider, message_id, detail=response)

    def _build(
        self, lead: Recipient, to_email: str, content: OutboundContent, message_id: str
    ) -> bytes:
        if not content.subject:
            raise PermanentChannelError("email needs a subject", error_type=errors.INVALID_CONTENT)
        headers = outbound_headers(
            content, message_id, self._unsubscribe_url_template, reserved=_SMTP_RESERVED
        )
        try:
            message = EmailMessage(policy=_POLICY)
            message["From"] = self._from
            message["To"] = Address(display_name=lead.name or "", addr_spec=to_email)
            message["Subject"] = content.subject
            message["Date"] = format_datetime(datetime.now(UTC))
            for name, value in headers.items():
                message[name] = value
            message.set_content(content.body)
            message.add_alternative(content.html or text_to_html(content.body), subtype="html")
            return message.as_bytes()
        except (ValueError, TypeError) as exc:  # e.g. a line break in the subject
            raise PermanentChannelError(
                f"cannot build the email: {exc}", error_type=errors.INVALID_CONTENT
            ) from exc

    async def _deliver(self, to_email: str, raw: bytes) -> str:
        client = aiosmtplib.SMTP(
            hostname=self._hostname,
            port=self._port,
            username=self._username,
            password=self._password,
            use_tls=self._use_tls,
            start_tls=self._start_tls,
            validate_certs=self._validate_certs,
            timeout=self._timeout,
        )
        phase: Phase = "connect"
        try:
            await client.connect()
            phase = "sender"
            options = [f"SIZE={len(raw)}"] if client.supports_extension("size") else []
            await client.mail(self._from_email, options=options)
            phase = "recipient"
            await client.rcpt(to_email)
            phase = "data"
            response = await client.data(raw)
        except aiosmtplib.SMTPResponseException as exc:
            raise classify_reply(exc.code, exc.message, phase) from exc
        except OSError as exc:  # refused, reset, disconnected, timed out
            raise _connection_error(exc, phase) from exc
        except aiosmtplib.SMTPException as exc:  # e.g. AUTH configured, server offers none
            raise PermanentChannelError(
                f"SMTP server cannot do what is configured: {exc}",
                error_type=errors.SMTP_NOT_SUPPORTED,
            ) from exc
        finally:
            await _close(client)
        return f"{response.code} {response.message}"


def classify_reply(code: int, text: str, phase: Phase) -> ChannelError:
    """An SMTP reply code as a channel error: 4xx transient, 5xx permanent (RFC 5321 4.2.1)."""
    message = f"SMTP {code} during {phase}: {text}"
    # RFC 5321 4.5.3.1.10: 552 to RCPT has long meant "too many recipients"; treat it as 452.
    if phase == "recipient" and code == 552:
        code = 452
    if 400 <= code < 500:
        error_type = errors.SMTP_UNAVAILABLE if code == 421 else errors.SMTP_TEMPORARY_FAILURE
        return TransientChannelError(message, error_type=error_type)
    if 500 <= code < 600:
        if code in _AUTH_CODES:
            return PermanentChannelError(message, error_type=errors.SMTP_AUTH_FAILED)
        if phase == "recipient" and code in _BAD_MAILBOX_CODES:
            return PermanentChannelError(message, error_type=errors.SMTP_RECIPIENT_REJECTED)
        return PermanentChannelError(message, error_type=errors.SMTP_REJECTED)
    if phase == "data":
        return _unknown_outcome(message)
    return TransientChannelError(message, error_type=errors.SMTP_PROTOCOL_ERROR)


def _connection_error(exc: Exception, phase: Phase) -> ChannelError:
    message = f"SMTP connection failed during {phase}: {exc}"
    if phase == "data":
        return _unknown_outcome(message)
    if isinstance(exc, TimeoutError):
        return TransientChannelError(message, error_type=errors.SMTP_TIMEOUT)
    return TransientChannelError(message, error_type=errors.SMTP_UNREACHABLE)


def _unknown_outcome(message: str) -> OutcomeUnknownChannelError:
    return OutcomeUnknownChannelError(
        message + " (the server may have accepted the message; not resent automatically)",
        error_type=errors.SMTP_OUTCOME_UNKNOWN,
    )


async def _close(client: aiosmtplib.SMTP) -> None:
    if not client.is_connected:
        return
    try:
        await client.quit()
    except (aiosmtplib.SMTPException, OSError):
        client.close()
