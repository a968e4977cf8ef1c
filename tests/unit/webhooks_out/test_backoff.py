"""The retry schedule of a failed delivery: doubling, capped, jittered, ending with the window."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from config.settings import WebhookSettings
from services.webhooks_out.backoff import next_attempt_at, retry_delay

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def policy(**overrides: float) -> WebhookSettings:
    return WebhookSettings(_env_file=None, **overrides)  # type: ignore[call-arg, arg-type]


def test_delays_double_from_ten_seconds_up_to_an_hour() -> None:
    exact = policy(jitter=0)
    delays = [retry_delay(exact, n, random.Random(1)).total_seconds() for n in range(1, 13)]
    assert delays == [10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600, 3600, 3600]
    assert retry_delay(exact, 10_000, random.Random(1)) == timedelta(hours=1)  # no overflow


def test_jitter_spreads_each_delay_within_its_bounds() -> None:
    rng = random.Random(3)
    delays = {retry_delay(policy(), 2, rng).total_seconds() for _ in range(200)}
    assert min(delays) >= 16 and max(delays) <= 24
    assert len(delays) > 100  # really spread


def test_the_last_attempt_falls_on_the_windows_end_then_it_stops() -> None:
    exact = policy(jitter=0)
    almost = T0 + timedelta(hours=23, minutes=30)
    assert next_attempt_at(exact, 20, T0, almost, random.Random()) == T0 + timedelta(hours=24)
    assert next_attempt_at(exact, 21, T0, T0 + timedelta(hours=24), random.Random()) is None
    early = next_attempt_at(exact, 1, T0, T0, random.Random())
    assert early == T0 + timedelta(seconds=10)
