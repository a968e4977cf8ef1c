"""services/signing.py: the one X-SalesPad-Signature scheme, signed and checked."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from services.signing import BadSignature, sign, signature_header, verify

SECRET = "whsec_test-0123456789abcdef"
BODY = b'{"event": "lead.bounced", "delivery_id": "d-1"}'
NOW = 1_800_000_000


def test_the_header_is_the_documented_hmac() -> None:
    header = signature_header(SECRET, BODY, now=NOW)
    mac = hmac.new(SECRET.encode(), f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert header == f"t={NOW},sha256={mac}"
    assert sign(SECRET, str(NOW), BODY) == mac


def test_a_fresh_signature_verifies_within_the_tolerance() -> None:
    header = signature_header(SECRET, BODY, now=NOW)
    verify(SECRET, header, BODY, now=NOW)
    verify(SECRET, header, BODY, now=NOW + 300)
    verify(SECRET, header.upper().replace("T=", "t=").replace("SHA256=", "sha256="), BODY, now=NOW)


@pytest.mark.parametrize(
    ("header", "body", "now", "reason"),
    [
        (None, BODY, NOW, "missing"),
        ("sha256=abc", BODY, NOW, "must be t="),
        (f"t=soon,sha256={'0' * 64}", BODY, NOW, "must be t="),
        (f"t={NOW}", BODY, NOW, "must be t="),
        (signature_header(SECRET, BODY, now=NOW), BODY, NOW + 301, "more than 300 s off"),
        (signature_header(SECRET, BODY, now=NOW), BODY, NOW - 301, "more than 300 s off"),
        (signature_header(SECRET, BODY, now=NOW), BODY + b" ", NOW, "invalid"),
        (signature_header("another-secret-000000", BODY, now=NOW), BODY, NOW, "invalid"),
    ],
)
def test_anything_else_is_refused_with_a_reason(
    header: str | None, body: bytes, now: int, reason: str
) -> None:
    with pytest.raises(BadSignature, match=reason):
        verify(SECRET, header, body, now=now)
