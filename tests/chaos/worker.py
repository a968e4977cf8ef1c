"""A real worker process for the chaos tests, sending email through the SendGrid SDK to a fake.

    python -m tests.chaos.worker TEMPORAL_TARGET DATABASE_URL TASK_QUEUE SENDGRID_URL

The production worker (build_worker, the real SendGridChannel) with two test-only knobs: the
SendGrid HTTP timeout (CHAOS_HTTP_TIMEOUT, default 1.5 s) and the sends' start-to-close timeout
(SALESPAD_TEST_SEND_TIMEOUT_SECONDS, through killable_worker's interceptor), so a send left
behind by a SIGKILLed worker is retried in seconds rather than a minute.
"""

from __future__ import annotations

import asyncio
import io
import os
import sys

from adapters.channels.outbox import OutboxChannel
from adapters.channels.registry import CHANNEL_TYPES, ChannelRouter
from adapters.channels.sendgrid import SendGridChannel
from config.temporal import connect
from models.db import Database
from tests.slow.workflows.killable_worker import ShortSendTimeout
from worker import build_worker

API_KEY = "SG.chaos-key"
FROM = "sales@salespad.example.com"


async def main(target: str, database_url: str, task_queue: str, sendgrid_url: str) -> None:
    client = await connect(target)
    channels = {t: OutboxChannel(t, io.StringIO()) for t in CHANNEL_TYPES}
    channels["EMAIL"] = SendGridChannel(  # type: ignore[assignment]
        API_KEY,
        FROM,
        api_host=sendgrid_url,
        timeout=float(os.environ.get("CHAOS_HTTP_TIMEOUT", "1.5")),
    )
    async with build_worker(
        client,
        Database(database_url),
        task_queue,
        ChannelRouter(channels),
        interceptors=[ShortSendTimeout()],
    ):
        print("chaos worker ready", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
