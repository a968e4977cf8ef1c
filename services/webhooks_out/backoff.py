"""When a failed delivery is tried again, and when it stops being tried (pure, no I/O)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from config.settings import WebhookSettings


def retry_delay(policy: WebhookSettings, attempts: int, rng: random.Random) -> timedelta:
    """After the `attempts`-th failed attempt: base * 2^(attempts-1), capped, then +-jitter
    (so receivers that come back are not hit by every delivery in the same second)."""
    exponent = min(max(attempts - 1, 0), 62)  # 2**62 s is beyond any cap; avoids overflow
    seconds = min(policy.backoff_base_seconds * 2.0**exponent, policy.backoff_max_seconds)
    if policy.jitter:
        seconds *= 1 + rng.uniform(-policy.jitter, policy.jitter)
    return timedelta(seconds=seconds)


def next_attempt_at(
    policy: WebhookSettings,
    attempts: int,
    first_attempt_at: datetime,
    now: datetime,
    rng: random.Random,
) -> datetime | None:
    """When to try again after a failed attempt at `now`, or None: the retry window (counted
    from the first attempt) is over. The last attempt falls on the window's end itself."""
    deadline = first_attempt_at + timedelta(hours=policy.retry_window_hours)
    if now >= deadline:
        return None
    return min(now + retry_delay(policy, attempts, rng), deadline)
