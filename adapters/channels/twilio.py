"""Twilio Programmable Messaging as the SMS and WhatsApp outreach channels.

Uses the SDK's synchronous client from a worker thread, like SendGrid: one threading model for
all vendor SDKs, and no aiohttp session whose lifetime would have to follow the event loop.
"""

from __future__ import annotations

import asyncio
import copy
import json
import threading
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import phonenumbers
import requests
import urllib3
from requests.adapters import HTTPAdapter
from twilio.base.exceptions import TwilioException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from adapters.channels.base import (
    ChannelError,
    OutboundContent,
    OutcomeUnknownChannelError,
    PermanentChannelError,
    Recipient,
    SendResult,
    TransientChannelError,
    WhatsAppTemplate,
)
from adapters.retry_after import parse_retry_after
from workflows import errors

# Twilio error codes (https://www.twilio.com/docs/api/errors) this channel acts on.
TWILIO_OPTED_OUT_CODE = 21610  # the recipient texted STOP
TWILIO_OUTSIDE_WHATSAPP_WINDOW_CODE = 63016
TWILIO_INVALID_NUMBER_CODES = frozenset({21211, 21614})
_POOL_SIZE = 32  # asyncio.to_thread's default executor has at most 32 workers


class _RoutingHttpClient(TwilioHttpClient):  # type: ignore[misc]
    """The SDK's own HTTP client, optionally sent to another base URL, remembering headers.

    Twilio's error exceptions carry no response headers, so Retry-After is kept here per thread:
    each send runs start to finish on one worker thread.
    """

    def __init__(self, base_url: str | None, timeout: float) -> None:
        super().__init__(timeout=timeout, max_retries=0)
        for prefix in ("https://", "http://"):
            # Explicitly no retries (Temporal owns them), with a pool as wide as the executor.
            self.session.mount(prefix, HTTPAdapter(max_retries=0, pool_maxsize=_POOL_SIZE))
        self._base = urlsplit(base_url.rstrip("/")) if base_url else None
        self._local = threading.local()

    def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        self._local.headers = None
        if self._base is not None:
            parts = urlsplit(url)
            base = self._base
            url = urlunsplit(
                parts._replace(scheme=base.scheme, netloc=base.netloc, path=base.path + parts.path)
            )
        response = super().request(
            method,
            url,
            params=params,
            data=data,
            headers=headers,
            auth=auth,
            timeout=timeout,
            allow_redirects=allow_redirects,
        )
        self._local.headers = response.headers
        return response

    def last_response_headers(self) -> Mapping[str, str] | None:
        headers: Mapping[str, str] | None = getattr(self._local, "headers", None)
        return headers


def to_e164(raw: str | None) -> str | None:
    """The number in E.164, or None; requires the international form (+country code)."""
    if not raw:
        return None
    candidate = raw.strip().removeprefix("whatsapp:")
    try:
        number = phonenumbers.parse(candidate, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class TwilioChannel:
    """OutreachChannel for SMS or WhatsApp through Twilio's Messages API."""

    provider = "twilio"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_number: str,
        channel: Literal["sms", "whatsapp"],
        base_url: str | None = None,
        status_callback: str | None = None,
        *,
        timeout: float = 15.0,
    ) -> None:
        if channel not in ("sms", "whatsapp"):
            raise ValueError(f"unknown Twilio channel {channel!r}")
        self.channel = channel
        self._status_callback = status_callback
        self._http = _RoutingHttpClient(base_url, timeout)
        self._client = Client(
            username=account_sid,
            password=auth_token,
            account_sid=account_sid,
            http_client=self._http,
        )
        sender = from_number.strip()
        # A Messaging Service SID picks the sender itself (number pools, WhatsApp senders).
        self._service_sid = sender if sender.startswith("MG") else None
        self._from = None if self._service_sid else self._address(sender.removeprefix("whatsapp:"))

    def validate_recipient(self, lead: Recipient) -> bool:
        return to_e164(lead.phone) is not None

    def with_sender(self, address: str, name: str | None) -> TwilioChannel:
        """The same account sending from another number or WhatsApp sender (a mailbox)."""
        other = copy.copy(self)
        sender = address.strip()
        other._service_sid = sender if sender.startswith("MG") else None
        other._from = (
            None if other._service_sid else self._address(sender.removeprefix("whatsapp:"))
        )
        return other

    async def send(self, lead: Recipient, content: OutboundContent) -> SendResult:
        number = to_e164(lead.phone)
        if number is None:
            raise PermanentChannelError(
                f"lead {lead.lead_id} has no valid E.164 phone number",
                error_type=errors.INVALID_RECIPIENT,
            )
        return await asyncio.to_thread(
            self._send_blocking, self._address(number), content.body, content.whatsapp_template
        )

    def _address(self, number: str) -> str:
        return f"whatsapp:{number}" if self.channel == "whatsapp" else number

    def _send_blocking(self, to: str, body: str, template: WhatsAppTemplate | None) -> SendResult:
        try:
            return self._create(to=to, body=body)
        except PermanentChannelError as exc:
            outside_window = exc.error_type == errors.WHATSAPP_OUTSIDE_WINDOW
            if not outside_window or template is None or not template.content_sid:
                raise
        # Outside the 24 h session only an approved template may be sent; try that once.
        variables = json.dumps(dict(template.variables)) if template.variables else None
        return self._create(to=to, content_sid=template.content_sid, content_variables=variables)

    def _create(self, **fields: Any) -> SendResult:
        fields = {k: v for k, v in fields.items() if v is not None}
        if self._service_sid:
            fields["messaging_service_sid"] = self._service_sid
        else:
            fields["from_"] = self._from
        if self._status_callback:
            fields["status_callback"] = self._status_callback
        try:
            message = self._client.messages.create(**fields)
        except TwilioException as exc:
            raise _classify(exc, self._http.last_response_headers()) from exc
        except requests.ConnectTimeout as exc:
            raise TransientChannelError(
                f"Twilio did not answer the connection: {exc}", error_type=errors.TWILIO_UNREACHABLE
            ) from exc
        except requests.Timeout as exc:
            # The request went out and no answer came: Twilio may have queued the message.
            raise OutcomeUnknownChannelError(
                f"Twilio timed out waiting for the answer: {exc}", error_type=errors.TWILIO_TIMEOUT
            ) from exc
        except requests.ConnectionError as exc:
            if _before_sending(exc):
                raise TransientChannelError(
                    f"Twilio unreachable: {exc}", error_type=errors.TWILIO_UNREACHABLE
                ) from exc
            # "Connection aborted": closed or reset once the request was out.
            raise OutcomeUnknownChannelError(
                f"Twilio closed the connection before answering: {exc}",
                error_type=errors.TWILIO_CONNECTION_LOST,
            ) from exc
        except (requests.RequestException, OSError) as exc:
            raise TransientChannelError(
                f"Twilio unreachable: {exc}", error_type=errors.TWILIO_UNREACHABLE
            ) from exc
        return SendResult(self.provider, str(message.sid), detail=str(message.status or ""))


def _before_sending(exc: requests.ConnectionError) -> bool:
    """Whether the connection failed before the request went out (refused, DNS, connect
    timeout: urllib3 reports those as NewConnectionError), as opposed to a connection
    aborted after sending (ProtocolError), where Twilio may have queued the message."""
    seen: set[int] = set()
    todo: list[object] = [exc]
    while todo:
        err = todo.pop()
        if id(err) in seen or not isinstance(err, BaseException):
            continue
        seen.add(id(err))
        if isinstance(
            err, urllib3.exceptions.NewConnectionError | urllib3.exceptions.ConnectTimeoutError
        ):
            return True
        if isinstance(err, urllib3.exceptions.ProtocolError):
            return False
        todo += [*err.args, getattr(err, "reason", None), err.__cause__, err.__context__]
    return False


def _describe(exc: TwilioException) -> str:
    # str() of Twilio's exceptions adds ANSI colours when stderr is a TTY; build our own text.
    parts = [getattr(exc, "msg", None), getattr(exc, "title", None), getattr(exc, "detail", None)]
    text = " - ".join(str(p) for p in parts if p) or exc.__class__.__name__
    code = getattr(exc, "code", None)
    return f"Twilio error {code}: {text}" if code is not None else f"Twilio error: {text}"


def _classify(exc: TwilioException, headers: Mapping[str, str] | None) -> ChannelError:
    code = getattr(exc, "code", None)
    try:
        status = int(getattr(exc, "status", 0) or 0)
    except (TypeError, ValueError):
        status = 0
    message = _describe(exc)
    if code == TWILIO_OPTED_OUT_CODE:
        return PermanentChannelError(message, error_type=errors.RECIPIENT_OPTED_OUT)
    if code == TWILIO_OUTSIDE_WHATSAPP_WINDOW_CODE:
        return PermanentChannelError(message, error_type=errors.WHATSAPP_OUTSIDE_WINDOW)
    if code in TWILIO_INVALID_NUMBER_CODES:
        return PermanentChannelError(message, error_type=errors.INVALID_RECIPIENT)
    if status in (408, 429) or status >= 500:
        retry_after = parse_retry_after(headers.get("Retry-After") if headers else None)
        error_type = errors.TWILIO_RATE_LIMITED if status == 429 else errors.TWILIO_UNAVAILABLE
        return TransientChannelError(message, error_type=error_type, retry_after=retry_after)
    if status in (401, 403):
        return PermanentChannelError(message, error_type=errors.TWILIO_UNAUTHORIZED)
    return PermanentChannelError(message, error_type=errors.TWILIO_REJECTED)
