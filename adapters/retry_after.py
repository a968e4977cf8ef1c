"""Retry-After (RFC 9110 section 10.2.3): how long a provider asks us to wait before a retry.

The adapters hand the delay to Temporal as `next_retry_delay`; they never wait themselves.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> timedelta | None:
    """A Retry-After value as RFC 9110 writes it: delay-seconds or an HTTP-date (SendGrid,
    Twilio). Anything else is None; a date in the past is no delay."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return timedelta(seconds=int(value))
    return _until(value, now)


def parse_retry_after_headers(
    headers: Mapping[str, str], *, now: datetime | None = None
) -> timedelta | None:
    """OpenAI's reading of the response headers: `retry-after-ms` first, then `retry-after` as
    (possibly fractional) seconds or an HTTP-date. Negative delays count as none."""
    lowered = {k.lower(): v for k, v in headers.items()}
    for name, unit in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = lowered.get(name, "").strip()
        try:
            seconds = float(value) * unit
        except ValueError:
            continue
        if not math.isnan(seconds) and seconds != math.inf:
            return timedelta(seconds=max(seconds, 0.0))
    return _until(lowered.get("retry-after", "").strip(), now)


def _until(http_date: str, now: datetime | None) -> timedelta | None:
    try:
        when = parsedate_to_datetime(http_date)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # "-0000": RFC 5322's "UTC, zone unknown"; HTTP-dates are GMT
        when = when.replace(tzinfo=UTC)
    return max(when - (now or datetime.now(UTC)), timedelta(0))
