"""A crowd deferred to the same moment is spread out, each send at its own fixed offset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from activities.pacing import DEFERRAL_SPREAD, _length, spread
from workflows.spec import SendWindow

OPENS = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def test_five_thousand_sends_spread_evenly_over_the_spread() -> None:
    times = [spread(OPENS, f"lead-{i}:step-1") for i in range(5_000)]
    offsets = [(t - OPENS).total_seconds() for t in times]
    assert min(offsets) >= 0
    assert max(offsets) < DEFERRAL_SPREAD.total_seconds()
    # No minute of the fifteen gets more than twice its share.
    per_minute = [0] * 15
    for offset in offsets:
        per_minute[int(offset // 60)] += 1
    assert max(per_minute) < 2 * 5_000 / 15
    assert min(per_minute) > 5_000 / 15 / 2


def test_the_same_send_always_gets_the_same_offset() -> None:
    assert spread(OPENS, "lead-1:step-3") == spread(OPENS, "lead-1:step-3")
    assert spread(OPENS, "lead-1:step-3") != spread(OPENS, "lead-2:step-3")


def test_a_short_window_keeps_the_spread_inside_its_first_half() -> None:
    window = SendWindow(start="09:00", end="09:10")
    assert _length(window) == timedelta(minutes=10)
    latest = max(
        spread(OPENS, f"k{i}", min(DEFERRAL_SPREAD, _length(window) / 2)) for i in range(500)
    )
    assert latest < OPENS + timedelta(minutes=5)
    assert _length(SendWindow(start="22:00", end="02:00")) == timedelta(hours=4)
