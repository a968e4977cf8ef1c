"""Unsubscribe tokens: the lead id plus an HMAC-SHA256 of it under SALESPAD_SECRET_KEY.

Only the standard library, so the worker can build List-Unsubscribe links without importing
FastAPI. A token names one lead and cannot be forged or moved to another lead without the key;
rotating the key invalidates every link already sent.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import uuid

# Binds the MAC to this use, so the same key can sign other kinds of token later without one
# kind ever being accepted as another.
_PURPOSE = b"salespad/unsubscribe/v1:"
UNSUBSCRIBE_PATH = "/u/{token}"


def _mac(secret: str, lead_id: uuid.UUID) -> bytes:
    return hmac.new(secret.encode(), _PURPOSE + str(lead_id).encode(), hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def make_unsubscribe_token(secret: str, lead_id: uuid.UUID | str) -> str:
    """`<lead id as base64url>.<HMAC as base64url>`: URL-safe, 65 characters."""
    lead = uuid.UUID(str(lead_id))
    return f"{_b64(lead.bytes)}.{_b64(_mac(secret, lead))}"


def verify_unsubscribe_token(secret: str, token: str) -> uuid.UUID | None:
    """The lead the token names, or None when it was not made with this secret."""
    lead_part, _, mac_part = token.strip().partition(".")
    try:
        lead = uuid.UUID(bytes=base64.urlsafe_b64decode(lead_part + "=" * (-len(lead_part) % 4)))
        mac = base64.urlsafe_b64decode(mac_part + "=" * (-len(mac_part) % 4))
    except (ValueError, binascii.Error):
        return None
    return lead if hmac.compare_digest(mac, _mac(secret, lead)) else None


def unsubscribe_url_template(public_url: str) -> str:
    """The template the email channels take (`unsubscribe_url_template`), e.g.
    `https://app.example.com/u/{token}`."""
    return public_url.rstrip("/") + UNSUBSCRIBE_PATH


def unsubscribe_url(public_url: str, secret: str, lead_id: uuid.UUID | str) -> str:
    return unsubscribe_url_template(public_url).replace(
        "{token}", make_unsubscribe_token(secret, lead_id)
    )
