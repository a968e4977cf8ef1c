"""Retry-After as SendGrid and Twilio send it (RFC 9110) and as OpenAI's headers carry it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from adapters.retry_after import parse_retry_after, parse_retry_after_headers


def test_rfc_9110_value() -> None:
    now = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
    assert parse_retry_after("7", now=now) == timedelta(seconds=7)
    assert parse_retry_after("Wed, 01 Jan 2025 12:01:00 GMT", now=now) == timedelta(minutes=1)
    assert parse_retry_after("Wed, 01 Jan 2025 11:00:00 GMT", now=now) == timedelta(0)
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after("1.5", now=now) is None  # delay-seconds are digits only
    assert parse_retry_after(None) is None


def test_openai_headers() -> None:
    now = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    in_a_minute = format_datetime(now + timedelta(minutes=1), usegmt=True)
    assert parse_retry_after_headers({"Retry-After": "12"}) == timedelta(seconds=12)
    assert parse_retry_after_headers({"retry-after": "0.5"}) == timedelta(seconds=0.5)
    assert parse_retry_after_headers({"retry-after-ms": "250"}) == timedelta(milliseconds=250)
    assert parse_retry_after_headers({"retry-after": in_a_minute}, now=now) == timedelta(minutes=1)
    assert parse_retry_after_headers({"retry-after": "-3"}) == timedelta(0)
    assert parse_retry_after_headers({"retry-after": "soon"}) is None
    assert parse_retry_after_headers({}) is None
