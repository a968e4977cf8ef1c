"""How each provider proves a webhook is its own: a shared token (Inbound Parse), an ECDSA
signature over timestamp + body (Event Webhook), an HMAC over URL + parameters (Twilio), an
HMAC over timestamp + body (our own lead capture).

A wrong credential is 403 and nothing is read further. A credential we were never given is 503:
our misconfiguration, which the providers retry (and Twilio sends to its fallback URL) instead
of the mail or event being lost.
"""

from __future__ import annotations

import base64
import binascii
import functools
import logging
import secrets
import time
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import Request
from sendgrid.helpers.eventwebhook import EventWebhook
from sendgrid.helpers.eventwebhook.eventwebhook_header import EventWebhookHeader
from twilio.request_validator import (
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    get_signature_algorithm,
)

from api.openapi import errors
from config.settings import Settings
from services import signing
from services.errors import SalesPadError, ServiceUnavailable

log = logging.getLogger("salespad.webhooks")

MAX_TIMESTAMP_SKEW_SECONDS = 300
LEAD_CAPTURE_HEADER = signing.HEADER
# For the OpenAPI description of every webhook route.
AUTH_ERRORS: dict[int | str, dict[str, Any]] = errors(
    e403="Wrong token or signature; nothing was recorded",
    e503="The webhook's secret is not configured here; the provider retries",
)


class WebhookForbidden(SalesPadError):
    status_code = 403


def check_inbound_token(request: Request, settings: Settings) -> None:
    """Inbound Parse: `?token=` or the basic-auth password must equal SENDGRID_INBOUND_TOKEN."""
    configured = settings.sendgrid.inbound_token
    if configured is None or not configured.get_secret_value():
        raise ServiceUnavailable("SENDGRID_INBOUND_TOKEN is not set: inbound mail is not accepted")
    offered = request.query_params.get("token") or _basic_password(request) or ""
    if not secrets.compare_digest(offered.encode(), configured.get_secret_value().encode()):
        raise WebhookForbidden("invalid inbound token")


def _basic_password(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded.partition(":")[2]


@functools.lru_cache(maxsize=4)
def _public_key(configured: str) -> ec.EllipticCurvePublicKey:
    # SendGrid shows the key as bare base64; accept a pasted PEM block as well.
    body = "".join(line.strip() for line in configured.strip().splitlines() if "-----" not in line)
    key = EventWebhook().convert_public_key_to_ecdsa(body)
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise ValueError("SENDGRID_WEBHOOK_PUBLIC_KEY is not an elliptic-curve public key")
    return key


def check_event_signature(
    headers: Mapping[str, str], body: bytes, settings: Settings, *, now: float | None = None
) -> None:
    """Event Webhook: ECDSA P-256 over timestamp + raw body, timestamp within 300 s of now."""
    configured = settings.sendgrid.webhook_public_key
    if not configured:
        raise ServiceUnavailable("SENDGRID_WEBHOOK_PUBLIC_KEY is not set: events are not accepted")
    try:
        key = _public_key(configured)
    except ValueError as exc:
        log.error("SENDGRID_WEBHOOK_PUBLIC_KEY cannot be loaded: %s", exc)
        raise ServiceUnavailable("SENDGRID_WEBHOOK_PUBLIC_KEY cannot be loaded") from exc
    signature = headers.get(EventWebhookHeader.SIGNATURE)
    timestamp = headers.get(EventWebhookHeader.TIMESTAMP)
    if not signature or not timestamp:
        raise WebhookForbidden("missing Event Webhook signature or timestamp")
    try:
        skew = abs((now if now is not None else time.time()) - int(timestamp))
    except ValueError:
        raise WebhookForbidden("invalid Event Webhook timestamp") from None
    if skew > MAX_TIMESTAMP_SKEW_SECONDS:
        raise WebhookForbidden("Event Webhook timestamp is more than 300 s off")
    try:
        valid = EventWebhook().verify_signature(body.decode("utf-8"), signature, timestamp, key)
    except (UnicodeDecodeError, binascii.Error, ValueError):
        valid = False
    if not valid:
        raise WebhookForbidden("invalid Event Webhook signature")


def public_url_of(request: Request, settings: Settings) -> str:
    """The URL the provider called, as it saw it: behind a proxy the app sees another host
    and scheme, so the signed URL is rebuilt from SALESPAD_PUBLIC_URL."""
    url = settings.public_url.rstrip("/") + request.url.path
    query = request.scope.get("query_string", b"").decode("latin-1")
    return f"{url}?{query}" if query else url


async def check_twilio_signature(request: Request, settings: Settings) -> None:
    """X-Twilio-Signature over the public URL and the POST parameters (or, for JSON bodies,
    the body's SHA-256 in the URL). A Webhook Rule's SharedKey replaces the Auth Token."""
    signature = request.headers.get(SIGNATURE_HEADER)
    signing = request.headers.get(SIGNATURE_SETTINGS_HEADER)
    secret = settings.twilio.webhook_shared_key if signing else settings.twilio.auth_token
    if secret is None or not secret.get_secret_value():
        name = "TWILIO_WEBHOOK_SHARED_KEY" if signing else "TWILIO_AUTH_TOKEN"
        raise ServiceUnavailable(f"{name} is not set: Twilio webhooks are not accepted")
    if not signature:
        raise WebhookForbidden("missing X-Twilio-Signature")
    validator = RequestValidator(secret.get_secret_value())
    url = public_url_of(request, settings)
    params: object
    if request.headers.get("content-type", "").startswith("application/json"):
        # Twilio signs a JSON body only through its SHA-256 in the URL; without one it is
        # not Twilio's (and the SDK's validator would fail on it instead of answering no).
        if "bodySHA256" not in request.query_params:
            raise WebhookForbidden("a JSON body needs its bodySHA256 in the URL")
        params = (await request.body()).decode("utf-8", "replace")
    else:
        params = await request.form()
    try:
        valid = validator.validate(url, params, signature, get_signature_algorithm(signing))
    except (TypeError, ValueError, KeyError):  # a body the validator cannot even read
        valid = False
    if not valid:
        raise WebhookForbidden("invalid X-Twilio-Signature")


def check_lead_capture_signature(
    headers: Mapping[str, str], body: bytes, settings: Settings, *, now: float | None = None
) -> None:
    """`X-SalesPad-Signature: t=<unix seconds>,sha256=<hex HMAC of "{t}.{raw body}">`, the
    timestamp within 300 s of now (a captured post cannot be replayed later). The scheme is
    `services.signing`'s, the one outgoing webhooks are signed with too."""
    configured = settings.lead_capture_secret
    if configured is None or not configured.get_secret_value():
        raise ServiceUnavailable(
            "lead capture is not configured", "set SALESPAD_LEAD_CAPTURE_SECRET to accept leads"
        )
    try:
        signing.verify(
            configured.get_secret_value(),
            headers.get(LEAD_CAPTURE_HEADER),
            body,
            now=now,
            tolerance=MAX_TIMESTAMP_SKEW_SECONDS,
        )
    except signing.BadSignature as exc:
        raise WebhookForbidden(str(exc)) from None
