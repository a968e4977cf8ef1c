"""Workers with scripted channels, for the engine's guarantees."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from temporalio.client import Client

from adapters.channels.base import OutboundContent, Recipient, SendResult
from adapters.channels.outbox import OutboxChannel
from adapters.channels.registry import CHANNEL_TYPES, ChannelRouter
from models.db import Database
from tests.conftest import WORKER_SHUTDOWN
from worker import QueueWorkers, build_worker


class ScriptedChannel(OutboxChannel):
    """The outbox, plus scripted failures and a gate that holds a send in flight."""

    def __init__(self, channel_type: str = "EMAIL") -> None:
        super().__init__(channel_type, io.StringIO())
        self.calls: list[int | None] = []
        self.failures: list[Exception] = []
        self.gate: asyncio.Event | None = None
        self.entered = asyncio.Event()

    async def send(self, lead: Recipient, content: OutboundContent) -> SendResult:
        self.calls.append(content.step)
        self.entered.set()
        if self.gate is not None:
            await self.gate.wait()
        if self.failures:
            raise self.failures.pop(0)
        return await super().send(lead, content)


def router(**channels: OutboxChannel) -> ChannelRouter:
    chosen = {t: channels.get(t.lower()) or OutboxChannel(t, io.StringIO()) for t in CHANNEL_TYPES}
    return ChannelRouter(chosen)


@asynccontextmanager
async def running_worker(
    client: Client, db: Database, task_queue: str, channels: ChannelRouter, **options: Any
) -> AsyncIterator[QueueWorkers]:
    """`options` go to build_worker: classifier=..., drafter=..."""
    options.setdefault("graceful_shutdown_timeout", WORKER_SHUTDOWN)
    async with build_worker(client, db, task_queue, channels, **options) as worker:
        yield worker
