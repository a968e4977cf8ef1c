"""SendGrid v3 Mail Send as the EMAIL outreach channel.

The SendGrid SDK is synchronous (urllib underneath, via python_http_client), so every call runs
in a worker thread. It has no retry logic of its own, which is what we want: Temporal owns retries.
"""

from __future__ import annotations

import asyncio
import copy
import http.client
import json
import logging
from collections.abc import Mapping
from typing import Any
from urllib.error import URLError

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
)
from adapters.channels.email import (
    email_target,
    normalized_email,
    outbound_headers,
    text_to_html,
)
from adapters.retry_after import parse_retry_after
from workflows import errors

log = logging.getLogger(__name__)

__all__ = ["SendGridChannel"]

_PERMANENT_TYPES = {
    400: errors.SENDGRID_BAD_REQUEST,
    401: errors.SENDGRID_UNAUTHORIZED,
    403: errors.SENDGRID_FORBIDDEN,
    404: errors.SENDGRID_NOT_FOUND,
    413: errors.SENDGRID_PAYLOAD_TOO_LARGE,
}


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

    def with_sender(self, address: str, name: str | None) -> SendGridChannel:
        """The same account sending from another verified sender (a mailbox)."""
        other = copy.copy(self)
        other._from_email, other._from_name = address, name
        return other

    async def send(self, lead: Recipient, content: OutboundContent) -> SendResult:
        to_email, key, message_id = email_target(lead, content)
        payload = self._build(lead, to_email, content, key, message_id)
        return await asyncio.to_thread(self._post, payload, message_id)

    def _build(
        self, lead: Recipient, to_email: str, content: OutboundContent, key: str, message_id: str
    ) -> dict[str, Any]:
        if not content.subject:
            raise PermanentChannelError("email needs a subject", error_type=errors.INVALID_CONTENT)
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
            raise PermanentChannelError(str(exc), error_type=errors.INVALID_CONTENT) from exc
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
                f"SendGrid timed out waiting for the answer: {exc}",
                error_type=errors.SENDGRID_TIMEOUT,
            ) from exc
        except URLError as exc:
            # urllib wraps what fails while connecting and sending: nothing was accepted.
            error_type = errors.SENDGRID_UNREACHABLE
            if isinstance(exc.reason, TimeoutError):
                error_type = errors.SENDGRID_TIMEOUT
            raise TransientChannelError(
                f"SendGrid unreachable: {exc}", error_type=error_type
            ) from exc
        except (OSError, http.client.HTTPException) as exc:
            # Unwrapped: the request was out and the connection closed or reset before the
            # answer (RemoteDisconnected, ConnectionResetError). SendGrid may have accepted it.
            raise OutcomeUnknownChannelError(
                f"SendGrid closed the connection before answering: {exc!r}",
                error_type=errors.SENDGRID_CONNECTION_LOST,
            ) from exc
        provider_id = response.headers.get("X-Message-Id")
        if not provider_id:
            # Accepted all the same; events can still be matched through our custom args.
            log.warning("SendGrid accepted %s without X-Message-Id", message_id)
            return SendResult(self.provider, message_id, detail=f"Message-ID {message_id}")
        return SendResult(self.provider, str(provider_id), detail=f"Message-ID {message_id}")


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
        error_type = errors.SENDGRID_RATE_LIMITED if status == 429 else errors.SENDGRID_UNAVAILABLE
        return TransientChannelError(message, error_type=error_type, retry_after=retry_after)
    return PermanentChannelError(
        message, error_type=_PERMANENT_TYPES.get(status, errors.SENDGRID_REJECTED)
    )
