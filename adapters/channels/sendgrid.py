"""SendGrid v3 Mail Send as the EMAIL outreach channel.

The SendGrid SDK is synchronous (urllib underneath, via python_http_client), so every call runs
in a worker thread. It has no retry logic of its own, which is what we want: Temporal owns retries.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import http.client
import json
import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.error import URLError
from urllib.parse import quote

from email_validator import EmailNotValidError, validate_email
from python_http_client.exceptions import HTTPError as SendGridHTTPError
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import CustomArg, From, Header, Mail, MimeType, Personalization, To
from sendgrid.helpers.mail.exceptions import SendGridException

from adapters.channels.base import (
    ChannelError,
    OutboundContent,
    OutcomeUnknownChannelError,
    PermanentChannelError,
    Recipient,
    SendResult,
    TransientChannelError,
    message_id_for,
)

log = logging.getLogger(__name__)

UNSUBSCRIBE_TOKEN_HEADER = "X-SalesPad-Unsubscribe-Token"
# Instructions for channels, not mail headers: never let them reach a recipient's inbox.
PSEUDO_HEADERS = frozenset(
    h.lower()
    for h in (UNSUBSCRIBE_TOKEN_HEADER, "X-SalesPad-Content-Sid", "X-SalesPad-Content-Variables")
)
# Set by this adapter; a caller's copy would duplicate them or break threading.
_OWNED_HEADERS = frozenset(
    {"message-id", "in-reply-to", "references", "list-unsubscribe", "list-unsubscribe-post"}
)
__all__ = ["SendGridChannel", "message_id_for", "parse_retry_after", "text_to_html"]

# SendGrid refuses these in `headers`: they come from other fields of the request. Other mail
# channels drop them from callers too: each is set from OutboundContent or the channel itself.
RESERVED_HEADERS = frozenset(
    {
        "to", "from", "subject", "reply-to", "cc", "bcc", "content-type",
        "content-transfer-encoding", "x-sg-id", "x-sg-eid", "received", "dkim-signature",
    }
)  # fmt: skip
_PERMANENT_TYPES = {
    400: "SendGridBadRequest",
    401: "SendGridUnauthorized",
    403: "SendGridForbidden",
    404: "SendGridNotFound",
    413: "SendGridPayloadTooLarge",
}


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> timedelta | None:
    """RFC 9110 Retry-After: either delay-seconds or an HTTP-date."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return timedelta(seconds=int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(when - (now or datetime.now(UTC)), timedelta(0))


def text_to_html(text: str) -> str:
    """A minimal HTML part for plain-text messages: escaped, paragraphs and line breaks kept."""
    normalized = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    paragraphs = [p for p in re.split(r"\n\s*\n", normalized) if p.strip()]
    inner = "".join(
        "<p>" + html.escape(p.strip()).replace("\n", "<br>\n") + "</p>\n" for p in paragraphs
    )
    return f'<!DOCTYPE html>\n<html><body style="font-family:sans-serif">\n{inner}</body></html>'


def _angle(message_id: str) -> str:
    stripped = message_id.strip().strip("<>")
    return f"<{stripped}>"


def email_target(lead: Recipient, content: OutboundContent) -> tuple[str, str, str]:
    """(recipient address, idempotency key, our Message-ID) for an email send, shared by the
    email channels; a lead without a valid address is a permanent error."""
    to_email = normalized_email(lead)
    if to_email is None:
        raise PermanentChannelError(
            f"lead {lead.lead_id} has no valid email address", error_type="InvalidRecipient"
        )
    # The activity always passes a key; the fallback still keeps retries on one Message-ID.
    key = content.idempotency_key or (
        f"{lead.lead_id}:{content.step}:{content.subject}:"
        + hashlib.sha256(content.body.encode()).hexdigest()
    )
    return to_email, key, message_id_for(key)


def normalized_email(lead: Recipient) -> str | None:
    """The lead's address in normalized form, or None when it is not a valid address."""
    if not lead.email:
        return None
    try:
        return validate_email(lead.email, check_deliverability=False).normalized
    except EmailNotValidError:
        return None


class SendGridChannel:
    """OutreachChannel for email through SendGrid."""

    provider = "sendgrid"

    def __init__(
        self,
        api_key: str,
        from_email: str,
        from_name: str | None = None,
        api_host: str = "https://api.sendgrid.com",
        unsubscribe_url_template: str | None = None,
        *,
        timeout: float = 15.0,
    ) -> None:
        if unsubscribe_url_template is not None and "{token}" not in unsubscribe_url_template:
            raise ValueError("unsubscribe_url_template must contain '{token}'")
        self._from_email = from_email
        self._from_name = from_name
        self._unsubscribe_url_template = unsubscribe_url_template
        self._client = SendGridAPIClient(api_key=api_key, host=api_host.rstrip("/"))
        # python_http_client waits forever by default; a hung socket would pin a worker thread.
        self._client.client.timeout = timeout

    def validate_recipient(self, lead: Recipient) -> bool:
        return normalized_email(lead) is not None

    async def send(self, lead: Recipient, content: OutboundContent) -> SendResult:
        to_email, key, message_id = email_target(lead, content)
        payload = self._build(lead, to_email, content, key, message_id)
        return await asyncio.to_thread(self._post, payload, message_id)

    def _build(
        self, lead: Recipient, to_email: str, content: OutboundContent, key: str, message_id: str
    ) -> dict[str, Any]:
        if not content.subject:
            raise PermanentChannelError("email needs a subject", error_type="InvalidContent")
        mail = Mail()
        mail.from_email = From(self._from_email, self._from_name)
        mail.subject = content.subject
        personalization = Personalization()
        personalization.add_to(To(to_email, lead.name or None))
        custom_args = {"lead_id": lead.lead_id, "idempotency_key": key}
        if content.step is not None:
            custom_args["step"] = str(content.step)
        for name, value in custom_args.items():
            personalization.add_custom_arg(CustomArg(name, value))
        mail.add_personalization(personalization)
        headers = outbound_headers(content, message_id, self._unsubscribe_url_template)
        for name, value in headers.items():
            mail.add_header(Header(name, value))
        try:
            mail.add_content(content.body, MimeType.text)
            mail.add_content(content.html or text_to_html(content.body), MimeType.html)
        except SendGridException as exc:  # e.g. the SDK found an API key in the body
            raise PermanentChannelError(str(exc), error_type="InvalidContent") from exc
        payload: dict[str, Any] = mail.get()
        return payload

    def _post(self, payload: dict[str, Any], message_id: str) -> SendResult:
        try:
            response = self._client.send(payload)
        except SendGridHTTPError as exc:
            raise _from_http_error(exc) from exc
        except TimeoutError as exc:
            # The request went out and no answer came: SendGrid may have accepted it.
            raise OutcomeUnknownChannelError(
                f"SendGrid timed out waiting for the answer: {exc}", error_type="SendGridTimeout"
            ) from exc
        except (OSError, http.client.HTTPException) as exc:
            error_type = "SendGridUnreachable"
            if isinstance(exc, URLError) and isinstance(exc.reason, TimeoutError):
                error_type = "SendGridTimeout"
            raise TransientChannelError(
                f"SendGrid unreachable: {exc}", error_type=error_type
            ) from exc
        provider_id = response.headers.get("X-Message-Id")
        if not provider_id:
            # Accepted all the same; events can still be matched through our custom args.
            log.warning("SendGrid accepted %s without X-Message-Id", message_id)
            return SendResult(self.provider, message_id, detail=f"Message-ID {message_id}")
        return SendResult(self.provider, str(provider_id), detail=f"Message-ID {message_id}")


def outbound_headers(
    content: OutboundContent,
    message_id: str,
    unsubscribe_url_template: str | None,
    *,
    reserved: frozenset[str] = RESERVED_HEADERS,
) -> dict[str, str]:
    """The extra headers of an outbound email: the caller's own (minus pseudo, owned and
    `reserved` ones), our Message-ID, threading, and RFC 8058 List-Unsubscribe."""
    lowered = {name.lower(): value for name, value in content.headers.items()}
    headers: dict[str, str] = {}
    for name, value in content.headers.items():
        low = name.lower()
        if low in PSEUDO_HEADERS or low in _OWNED_HEADERS or low in reserved:
            continue
        headers[name] = value
    headers["Message-ID"] = message_id
    if content.in_reply_to:
        headers["In-Reply-To"] = _angle(content.in_reply_to)
        headers["References"] = _angle(content.in_reply_to)
    token = lowered.get(UNSUBSCRIBE_TOKEN_HEADER.lower())
    if unsubscribe_url_template is not None:
        if token:
            url = unsubscribe_url_template.replace("{token}", quote(token, safe=""))
            # RFC 8058 one-click: mailbox providers POST to the URL without user interaction.
            headers["List-Unsubscribe"] = f"<{url}>"
            headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        else:
            log.warning("no %s given; sending without List-Unsubscribe", UNSUBSCRIBE_TOKEN_HEADER)
    for name, value in headers.items():
        if "\r" in value or "\n" in value or "\r" in name or "\n" in name:
            raise PermanentChannelError(
                f"header {name!r} contains a line break", error_type="InvalidContent"
            )
    return headers


def _error_detail(body: bytes | str | None) -> str:
    raw = body.decode("utf-8", "replace") if isinstance(body, bytes) else (body or "")
    try:
        errors = json.loads(raw).get("errors") or []
        parts = [
            f"{e['field']}: {e.get('message')}" if e.get("field") else str(e.get("message"))
            for e in errors
            if isinstance(e, dict)
        ]
        if parts:
            return "; ".join(parts)
    except (ValueError, AttributeError):
        pass
    return raw[:500] or "no response body"


def _from_http_error(exc: SendGridHTTPError) -> ChannelError:
    status = int(exc.status_code)
    headers: Mapping[str, str] | None = exc.headers
    message = f"SendGrid HTTP {status}: {_error_detail(exc.body)}"
    if status in (408, 429) or status >= 500:
        retry_after = parse_retry_after(headers.get("Retry-After") if headers else None)
        error_type = "SendGridRateLimited" if status == 429 else "SendGridUnavailable"
        return TransientChannelError(message, error_type=error_type, retry_after=retry_after)
    return PermanentChannelError(
        message, error_type=_PERMANENT_TYPES.get(status, "SendGridRejected")
    )
