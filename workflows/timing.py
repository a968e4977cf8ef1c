"""Calendar arithmetic the interpreter needs, pure and deterministic (no clock, no I/O)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from workflows.spec import SendWindow

RESUME_AT = time(9, 0)  # OOO pauses end at the start of a working day, local time


def zone(*candidates: str | None) -> ZoneInfo:
    """The first valid time zone of the lead's, the campaign's, then UTC."""
    for name in candidates:
        if name:
            try:
                return ZoneInfo(name)
            except (KeyError, ValueError):
                continue
    return ZoneInfo("UTC")


def _hm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def in_window(at: datetime, window: SendWindow, tz: ZoneInfo) -> bool:
    local = at.astimezone(tz)
    return local.isoweekday() in window.days and _hm(window.start) <= local.time() < _hm(window.end)


def next_in_window(at: datetime, window: SendWindow, tz: ZoneInfo) -> datetime:
    """`at` itself when inside the window, else the next moment the window opens."""
    if in_window(at, window, tz):
        return at
    local = at.astimezone(tz)
    start = _hm(window.start)
    for offset in range(8):
        day = local.date() + timedelta(days=offset)
        if day.isoweekday() not in window.days:
            continue
        opening = datetime.combine(day, start, tzinfo=tz)
        if opening > local:
            return opening.astimezone(UTC)
    raise ValueError(f"send window {window} never opens")


def resume_on_return(return_date: date, tz: ZoneInfo, *, days_late: int = 0) -> datetime:
    """The start of the working day, local time, on the return date: the first day back
    ("until the 14th" is back on the 15th). Runs from before the lean history resumed a day
    late (`days_late=1`) and replay so."""
    back = return_date + timedelta(days=days_late)
    return datetime.combine(back, RESUME_AT, tzinfo=tz).astimezone(UTC)
