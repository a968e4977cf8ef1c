"""The worker's channels, following the configuration made over the API while it runs.

A send asks `await channels.current()`. At most every `refresh_seconds` that reads one number,
the configuration version (migration 0011: bumped by a trigger in the same transaction as any
change to the channel table); only when it moved are the channel rows read again, and only the
channel types whose configuration changed get a new adapter. The new router replaces the old
one in one assignment: a send already under way keeps the adapter it took, the next one gets
the new adapter.

A configuration that cannot be built (a secret sealed with another SALESPAD_SECRET_KEY, a
field missing) keeps the adapter in use and logs one line naming the channel type and what is
wrong, never a secret; `salespad doctor` says the same of the rows. Pacing (daily cap, send
window) is not cached at all: the send step reads it from the channel row on every send.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable

from sqlalchemy import text
from sqlmodel import select

from adapters.channels.base import OutreachChannel
from adapters.channels.registry import ChannelRouter
from config.settings import Settings
from models.db import Database
from models.tables import Channel
from services.channels.wiring import base_channels, configured_rows, from_row

log = logging.getLogger("salespad.channels")

VERSION_QUERY = text("SELECT version FROM config_version WHERE id = 1")
# The configuration a type is built from: its base (environment or outbox), or a row.
_BASE = "base"


def _source(row: Channel | None) -> str:
    if row is None:
        return _BASE
    return json.dumps([str(row.id), row.provider, row.config], sort_keys=True, default=str)


def _reason(exc: Exception) -> str:
    """What is wrong, in words that carry no secret (a KeyError names the missing field)."""
    if isinstance(exc, KeyError):
        return f"config.{exc.args[0]} is missing"
    return f"{type(exc).__name__}: {exc}"[:200]


class LiveChannels(ChannelRouter):
    def __init__(
        self,
        settings: Settings,
        db: Database,
        *,
        refresh_seconds: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__({})
        self._settings = settings
        self._db = db
        self._every = (
            settings.config_refresh_seconds if refresh_seconds is None else refresh_seconds
        )
        self._clock = clock
        self._base = base_channels(settings)
        self._snapshot = ChannelRouter(self._base)
        self._sources: dict[str, str] = dict.fromkeys(self._base, _BASE)
        # A configuration that failed to build is reported once, not at every version change.
        self._failed: dict[str, str] = {}
        self._version: int | None = None
        self._checked_at: float | None = None
        self._lock = asyncio.Lock()

    @classmethod
    async def load(cls, settings: Settings, db: Database, **kwargs: object) -> LiveChannels:
        """The channels as configured now. At start-up a configuration that cannot be built is
        an error (the worker exits with one line), as it always was."""
        live = cls(settings, db, **kwargs)  # type: ignore[arg-type]
        await live._refresh(strict=True)
        live._checked_at = live._clock()
        return live

    @property
    def version(self) -> int | None:
        return self._version

    def for_type(self, channel_type: str) -> OutreachChannel:
        return self._snapshot.for_type(channel_type)

    def by_type(self) -> dict[str, OutreachChannel]:
        return self._snapshot.by_type()

    async def current(self) -> ChannelRouter:
        if not self._due():
            return self._snapshot
        async with self._lock:
            if self._due():  # not refreshed by a send that held the lock before us
                try:
                    await self._refresh(strict=False)
                except Exception as exc:  # the database away: keep sending as configured
                    log.warning(
                        "could not check the channel configuration (%s); keeping it as it is",
                        type(exc).__name__,
                    )
                self._checked_at = self._clock()
        return self._snapshot

    def _due(self) -> bool:
        return self._checked_at is None or self._clock() - self._checked_at >= self._every

    async def _refresh(self, *, strict: bool) -> None:
        async with self._db.session() as session:
            version = (await session.exec(VERSION_QUERY)).one()[0]  # type: ignore[call-overload]
            if version == self._version:
                return
            # Read after the version: these rows are at least as new as it.
            rows = list((await session.exec(select(Channel))).all())
        configured = configured_rows(rows)
        chosen = self._snapshot.by_type()
        for channel_type in self._base:
            row = configured.get(channel_type)
            source = _source(row)
            if source == self._sources.get(channel_type):
                continue
            try:
                adapter = self._base[channel_type] if row is None else from_row(row, self._settings)
            except Exception as exc:
                if strict:
                    raise
                if self._failed.get(channel_type) != source:
                    self._failed[channel_type] = source
                    log.error(
                        "%s channel: the new %s configuration cannot be used (%s); still "
                        "sending through %s (salespad doctor checks it)",
                        channel_type,
                        row.provider if row is not None else "default",
                        _reason(exc),
                        chosen[channel_type].provider,
                    )
                continue
            self._failed.pop(channel_type, None)
            self._sources[channel_type] = source
            if self._version is not None:
                log.info("%s now goes through %s", channel_type, adapter.provider)
            chosen[channel_type] = adapter
        if self._version is None:
            for channel_type, adapter in chosen.items():
                log.info("%s goes through %s", channel_type, adapter.provider)
        self._snapshot = ChannelRouter(chosen)
        self._version = version
