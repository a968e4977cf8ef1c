"""`salespad dev` brings dead parts back after a growing pause, and gives up on a crash loop."""

from __future__ import annotations

import pytest

from salespad.dev import Restarts

pytestmark = pytest.mark.unit


def test_restarts_back_off_then_give_up_on_a_crash_loop() -> None:
    r = Restarts()
    now = 1000.0
    pauses = []
    for _ in range(Restarts.LIMIT):
        assert r.due(now)
        assert r.record(now) is True
        pauses.append(r.next_at - now)
        assert not r.due(now)
        now = r.next_at
    assert pauses[:5] == [0.5, 1.0, 2.0, 4.0, 8.0] and max(pauses) == 8.0
    assert r.record(now) is False  # the eleventh within two minutes


def test_old_attempts_are_forgotten() -> None:
    r = Restarts()
    for t in range(Restarts.LIMIT):
        assert r.record(float(t))
    assert r.record(1000.0) is True  # the window has passed
    assert r.next_at == 1000.5
