"""A worker process whose email "provider" accepts the message and then never lets the activity
commit: the test SIGKILLs this process between the provider call and the database commit.

    python -m tests.workflows.killable_worker TEMPORAL_TARGET DATABASE_URL TASK_QUEUE MARKER
"""

from __future__ import annotations

import asyncio
import io
import os
import sys
from pathlib import Path

from adapters.channels.base import OutboundContent, Recipient, SendResult
from adapters.channels.outbox import OutboxChannel
from adapters.channels.registry import CHANNEL_TYPES, ChannelRouter
from config.temporal import connect
from models.db import Database
from worker import build_worker


class AcceptThenHang(OutboxChannel):
    def __init__(self, marker: Path) -> None:
        super().__init__("EMAIL", io.StringIO())
        self.marker = marker

    async def send(self, lead: Recipient, content: OutboundContent) -> SendResult:
        # The provider has the message now: record that, durably, then stall before returning.
        with self.marker.open("a") as out:
            out.write(f"{content.idempotency_key}\n")
            out.flush()
            os.fsync(out.fileno())
        await asyncio.sleep(3600)
        raise AssertionError("should have been killed")


async def main(target: str, database_url: str, task_queue: str, marker: str) -> None:
    client = await connect(target)
    channels = {t: OutboxChannel(t, io.StringIO()) for t in CHANNEL_TYPES}
    channels["EMAIL"] = AcceptThenHang(Path(marker))
    # No sticky cache: the time-skipping test server never moves a dead worker's sticky
    # workflow tasks back to the shared queue, so the surviving worker would never see them.
    async with build_worker(
        client,
        Database(database_url),
        task_queue,
        ChannelRouter(channels),
        max_cached_workflows=0,
    ):
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
