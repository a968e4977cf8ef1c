"""The worker's small background loops (funnel compaction, owners' mail, the enrollment sweep):
one round every so often until told to stop; a failed round is logged, never fatal."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any


async def every(
    seconds: float,
    stop: asyncio.Event,
    round_: Callable[[], Awaitable[Any]],
    log: logging.Logger,
    what: str,
) -> None:
    while not stop.is_set():
        try:
            await round_()
        except Exception:
            log.exception("%s failed; retrying in %s s", what, seconds)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=seconds)
