"""A send window that opens at the first whole minute after a lead time: what the pacing
benches enroll a crowd against, so every lead is waiting when it opens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any


def opening_soon(lead_time: float) -> tuple[datetime, datetime, dict[str, Any]]:
    """(now, when the window opens, the window: six hours every day, UTC)."""
    began = datetime.now(UTC)
    opens = (began + timedelta(seconds=lead_time + 60)).replace(second=0, microsecond=0)
    closes = opens + timedelta(hours=6)
    window: dict[str, Any] = {"start": f"{opens:%H:%M}", "end": f"{closes:%H:%M}",
                              "days": [1, 2, 3, 4, 5, 6, 7]}  # fmt: skip
    if closes.date() != opens.date():
        window["end"] = "23:59"
    return began, opens, window
