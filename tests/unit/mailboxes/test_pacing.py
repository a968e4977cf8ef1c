"""A mailbox's next free moment: gap and jitter, promises, caps with the ramp, the hourly cap,
and its send window in its own timezone."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from models.mailboxes import Mailbox
from services.mailboxes.pacing import DAY, Times, cap_on, gap_of, jitter, plan

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)  # a Wednesday


def mailbox(**fields: object) -> Mailbox:
    data: dict[str, object] = {"name": "a", "channel_type": "EMAIL", "address": "a@x.example"}
    data.update(fields)
    return Mailbox(id=uuid.uuid4(), **data)  # type: ignore[arg-type]


def test_free_mailbox_sends_at_once() -> None:
    p = plan(mailbox(daily_cap=5), Times([], []), NOW, "k")
    assert p.now(NOW) and p.reason == "" and p.headroom == 5


def test_gap_and_jitter_follow_the_last_send_and_every_promise() -> None:
    box = mailbox(min_gap_seconds=600, jitter_seconds=120)
    last = NOW - timedelta(minutes=3)
    p = plan(box, Times([last], []), NOW, "k1")
    assert p.reason == "gap"
    assert last + timedelta(seconds=600) <= p.at <= last + timedelta(seconds=720)
    assert p.at - last - timedelta(seconds=600) == jitter("k1", box.id, 120)
    # A later send queues behind the promise made to the first: one gap after it.
    q = plan(box, Times([last], [p.at]), NOW, "k2")
    assert q.at >= p.at + timedelta(seconds=600)
    # The first, woken at its moment, is not pushed behind the promises made after its own.
    again = plan(box, Times([last], [q.at]), p.at, "k1", promised_at=p.at)
    assert again.now(p.at)


def test_jitter_differs_between_sends_and_stays_put_for_one() -> None:
    box = uuid.uuid4()
    draws = {jitter(f"k{i}", box, 300) for i in range(50)}
    assert len(draws) > 20
    assert all(timedelta(0) <= d <= timedelta(seconds=300) for d in draws)
    assert jitter("k7", box, 300) == jitter("k7", box, 300)


def test_daily_cap_waits_for_the_oldest_send_to_age_out() -> None:
    sent = [NOW - timedelta(hours=h) for h in (20, 10, 5)]
    p = plan(mailbox(daily_cap=3), Times(sorted(sent), []), NOW, "k")
    assert p.reason == "daily cap"
    assert p.at == NOW - timedelta(hours=20) + DAY + timedelta(seconds=1)
    assert p.headroom == 0


def test_promises_count_against_the_cap() -> None:
    p = plan(
        mailbox(daily_cap=2),
        Times([NOW - timedelta(hours=1)], [NOW + timedelta(minutes=5)]),
        NOW,
        "k",
    )
    assert p.reason == "daily cap" and p.headroom == 0


def test_ramp_raises_the_cap_day_by_day_up_to_the_daily_cap() -> None:
    box = mailbox(daily_cap=20, ramp={"start": 5, "step": 3, "since": "2026-12-01"})
    assert cap_on(box, date(2026, 12, 1)) == 5
    assert cap_on(box, date(2026, 12, 2)) == 8
    assert cap_on(box, date(2026, 12, 10)) == 20
    assert cap_on(box, date(2026, 11, 30)) == 5  # before it started: the first day's
    # Today (the 2nd) allows 8: the ninth send in 24 h waits.
    sent = [NOW - timedelta(minutes=10 * i) for i in range(1, 9)]
    assert plan(box, Times(sorted(sent), []), NOW, "k").reason == "daily cap"
    assert plan(box, Times(sorted(sent[:7]), []), NOW, "k").now(NOW)


def test_hourly_cap() -> None:
    sent = sorted(NOW - timedelta(minutes=m) for m in (50, 30, 10))
    p = plan(mailbox(hourly_cap=3), Times(sent, []), NOW, "k")
    assert p.reason == "hourly cap"
    assert p.at == NOW - timedelta(minutes=50) + timedelta(hours=1, seconds=1)


def test_window_is_the_mailboxes_own_clock() -> None:
    # 10:00 UTC is 19:00 in Tokyo: shut until 09:00 Tokyo the next (week)day.
    box = mailbox(
        send_window={"start": "09:00", "end": "17:00", "days": [1, 2, 3, 4, 5]},
        timezone="Asia/Tokyo",
    )
    p = plan(box, Times([], []), NOW, "k")
    assert p.reason == "send window"
    local = p.at.astimezone(ZoneInfo("Asia/Tokyo"))
    assert (local.day, local.hour, local.minute) == (3, 9, 0)


def test_a_window_and_a_cap_spread_the_days_sends_across_the_window() -> None:
    box = mailbox(daily_cap=16, send_window={"start": "09:00", "end": "17:00", "days": [3]})
    assert gap_of(box, 16) == timedelta(minutes=30)
    # A crowd due at the opening: each send promised the next half hour, none together.
    promised: list[datetime] = []
    for i in range(16):
        p = plan(box, Times([], promised), NOW.replace(hour=9), f"k{i}")
        promised.append(p.at)
    gaps = [b - a for a, b in itertools.pairwise(promised)]
    assert min(gaps) >= timedelta(minutes=30)
    assert promised[-1] < NOW.replace(hour=17)


def test_a_promise_kept_early_never_undercuts_the_gap_after_the_last_real_send() -> None:
    box = mailbox(min_gap_seconds=60)
    promised_at = NOW
    # The send before it went out late, 30 s after its own moment: waking at its promise,
    # this one waits until a full gap after that send, not merely until its promise.
    late = NOW - timedelta(seconds=30)
    p = plan(box, Times([late], []), NOW, "k", promised_at=promised_at)
    assert not p.now(NOW)
    assert p.at == late + timedelta(seconds=60)
    assert p.now(late + timedelta(seconds=60))
