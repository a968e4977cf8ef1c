"""Builds the Temporal worker: the workflow plus activities wired to adapters from settings."""

from __future__ import annotations

import asyncio
import logging
import signal

from temporalio.client import Client
from temporalio.worker import Worker

from activities.enrollment import EnrollmentActivities
from activities.sending import SendActivities
from adapters.channels.registry import ChannelRouter
from models.db import Database
from salespad.config import Settings
from salespad.temporal import connect, ensure_search_attributes
from workflows.lead_sequence import LeadSequenceWorkflow

log = logging.getLogger("salespad.worker")

WORKFLOWS = [LeadSequenceWorkflow]


def build_channels(settings: Settings) -> ChannelRouter:
    """Outbox for every channel until provider credentials are configured."""
    return ChannelRouter.outbox()


def build_worker(
    client: Client,
    db: Database,
    task_queue: str,
    channels: ChannelRouter,
) -> Worker:
    sending = SendActivities(db, channels)
    enrollment = EnrollmentActivities(db)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=[sending.send_step, enrollment.finish_enrollment],
    )


async def run_worker(settings: Settings) -> None:
    client = await connect(settings.temporal_target, settings.temporal_namespace)
    try:
        await ensure_search_attributes(client, settings.temporal_namespace)
    except Exception as exc:  # e.g. Temporal Cloud, where the CLI/UI registers them
        log.warning("could not register search attributes (%s); register them yourself", exc)
    db = Database(settings.require_database_url())
    worker = build_worker(client, db, settings.task_queue, build_channels(settings))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log.info("worker polling task queue %r on %s", settings.task_queue, settings.temporal_target)
    async with worker:
        await stop.wait()
    await db.dispose()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    asyncio.run(run_worker(Settings()))


if __name__ == "__main__":
    main()
