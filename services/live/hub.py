"""One LISTEN per API process, fanned out to every open event stream.

The hub holds one psycopg connection that LISTENs on `salespad_events` (the trigger of
migration 0008 notifies at commit) and wakes every subscribed stream; each stream then reads
the log after its own cursor (services/live/queries.py). Many clients are many asyncio
events, not many connections. A slow re-check (every `recheck_seconds`) wakes them all as
well, so a LISTEN connection lost without an error cannot lose events; it is one timer per
process, not a polling loop per client.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator

from models.db import Database, libpq_url
from services.listen import listen_forever
from services.live import queries
from services.live.cursor import Cursor

NOTIFY_CHANNEL = "salespad_events"


class EventHub:
    """Start it lazily (the first subscriber does) and `aclose()` it at shutdown."""

    def __init__(
        self,
        db: Database,
        *,
        recheck_seconds: float = 30.0,
        reconnect_seconds: float = 1.0,
        held_back_retry: tuple[float, float] = (0.1, 0.5),
        batch_size: int = 500,
    ) -> None:
        self._db = db
        self.recheck_seconds = recheck_seconds
        self.reconnect_seconds = reconnect_seconds
        self.held_back_retry = held_back_retry
        self.batch_size = batch_size
        self._subscribers: set[asyncio.Event] = set()
        self._tasks: list[asyncio.Task[None]] = []
        # The LISTEN connection's server process, each time it is (re)established.
        self.listener_pid: int | None = None
        self.connected = asyncio.Event()

    # -- lifetime ---------------------------------------------------------------------------

    def start(self) -> None:
        if self._tasks:
            return
        self._tasks = [
            asyncio.create_task(
                listen_forever(
                    libpq_url(self._db.url),
                    NOTIFY_CHANNEL,
                    self.wake_all,
                    retry_seconds=self.reconnect_seconds,
                    who="event stream",
                    on_connect=self._connected,
                ),
                name="event-hub-listen",
            ),
            asyncio.create_task(self._recheck(), name="event-hub-recheck"),
        ]

    async def aclose(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.connected.clear()
        self.wake_all()

    def wake_all(self) -> None:
        for event in self._subscribers:
            event.set()

    def _connected(self, pid: int) -> None:
        self.listener_pid = pid
        self.connected.set()

    async def _recheck(self) -> None:
        while True:
            await asyncio.sleep(self.recheck_seconds)
            self.wake_all()

    # -- streams ----------------------------------------------------------------------------

    @contextlib.contextmanager
    def subscribe(self) -> Iterator[asyncio.Event]:
        """An event the hub sets whenever new events may be readable."""
        self.start()
        wake = asyncio.Event()
        wake.set()  # read once at the start
        self._subscribers.add(wake)
        try:
            yield wake
        finally:
            self._subscribers.discard(wake)

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    async def read(self, cursor: Cursor) -> queries.Batch:
        async with self._db.session() as session:
            return await queries.read_after(session, cursor, self.batch_size)

    async def follow(
        self, cursor: Cursor, *, idle_seconds: float
    ) -> AsyncIterator[queries.Batch | None]:
        """Every batch of events after `cursor` as it becomes deliverable, for ever; `None`
        after `idle_seconds` without one (the caller sends a keep-alive)."""
        low, high = self.held_back_retry
        with self.subscribe() as wake:
            while True:
                await self._wait(wake, idle_seconds)
                if not wake.is_set():
                    yield None
                    continue
                backoff = low
                while True:
                    # Cleared before reading: a notify that arrives during the read is kept.
                    wake.clear()
                    batch = await self.read(cursor)
                    if batch.events:
                        cursor = batch.cursor
                        yield batch
                    if batch.full:
                        continue
                    if not batch.held_back:
                        break
                    # An older transaction is still open: what committed after it is
                    # delivered once it ends, which may send no notify (it wrote no event).
                    await self._wait(wake, backoff)
                    backoff = min(backoff * 2, high)

    @staticmethod
    async def _wait(wake: asyncio.Event, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), seconds)
