"""SalesPad's one signature scheme, for posts it receives (lead capture) and posts it sends
(outgoing webhooks): `X-SalesPad-Signature: t=<unix seconds>,sha256=<hex>`, where the hex is
the HMAC-SHA256 of `{t}.{raw body}` under a shared secret.

The timestamp is signed with the body, so a receiver that refuses timestamps more than 300 s
off cannot be fed a captured post later.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time

HEADER = "X-SalesPad-Signature"
TOLERANCE_SECONDS = 300
_UNIX_SECONDS = re.compile(r"[0-9]{1,12}")


class BadSignature(ValueError):
    """Why a signature header was refused (the message says which check failed)."""


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of `{timestamp}.{body}`."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def signature_header(secret: str, body: bytes, *, now: float | None = None) -> str:
    """The header value for `body` signed at `now` (unix seconds; default: the wall clock)."""
    t = str(int(time.time() if now is None else now))
    return f"t={t},sha256={sign(secret, t, body)}"


def verify(
    secret: str,
    header: str | None,
    body: bytes,
    *,
    now: float | None = None,
    tolerance: float = TOLERANCE_SECONDS,
) -> None:
    """Raise BadSignature unless `header` signs `body` under `secret` within `tolerance` s."""
    if not header:
        raise BadSignature(f"missing {HEADER}")
    fields: dict[str, str] = {}
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        fields.setdefault(key.strip().lower(), value.strip())
    timestamp, offered = fields.get("t", ""), fields.get("sha256", "")
    if not _UNIX_SECONDS.fullmatch(timestamp) or not offered:
        raise BadSignature(f"{HEADER} must be t=<unix seconds>,sha256=<hex>")
    if abs((time.time() if now is None else now) - int(timestamp)) > tolerance:
        raise BadSignature(f"the signature's timestamp is more than {tolerance:g} s off")
    expected = sign(secret, timestamp, body)
    if not hmac.compare_digest(expected.encode(), offered.lower().encode()):
        raise BadSignature(f"invalid {HEADER}")
