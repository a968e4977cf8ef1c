"""A worker process whose email "provider" accepts the message and then never lets the activity
commit: the test SIGKILLs this process between the provider call and the database commit.

    python -m tests.slow.workflows.killable_worker TEMPORAL_TARGET DATABASE_URL TASK_QUEUE MARKER

The send it leaves behind holds the time-skipping server's clock until its start-to-close
timeout fires, in real time: SEND_TIMEOUT (60 s) in production. This worker schedules its sends
with SALESPAD_TEST_SEND_TIMEOUT_SECONDS (default 5) instead, through a workflow interceptor,
so neither the workflow code nor production settings change. The value lives in the scheduled
event, so the surviving worker's replay (built with SEND_TIMEOUT) is unaffected: a command's
timeouts are not part of the determinism check. Keep it well above the time the test needs to
see the marker and SIGKILL this process, or the timeout fires while this worker still lives.
"""

from __future__ import annotations

import asyncio
import io
import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from temporalio.worker import (
    Interceptor,
    StartActivityInput,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
    WorkflowOutboundInterceptor,
)

from adapters.channels.base import OutboundContent, Recipient, SendResult
from adapters.channels.outbox import OutboxChannel
from adapters.channels.registry import CHANNEL_TYPES, ChannelRouter
from config.temporal import connect
from models.db import Database
from worker import build_worker
from workflows.contracts import SEND_STEP_ACTIVITY

SEND_TIMEOUT = timedelta(seconds=float(os.environ.get("SALESPAD_TEST_SEND_TIMEOUT_SECONDS", "5")))


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


class ShortSendTimeout(Interceptor):
    """Every send this worker schedules gets SEND_TIMEOUT as its start-to-close timeout."""

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor]:
        return _Inbound


class _Inbound(WorkflowInboundInterceptor):
    def init(self, outbound: WorkflowOutboundInterceptor) -> None:
        super().init(_Outbound(outbound))


class _Outbound(WorkflowOutboundInterceptor):
    def start_activity(self, input: StartActivityInput) -> Any:
        if input.activity == SEND_STEP_ACTIVITY:
            input.start_to_close_timeout = SEND_TIMEOUT
        return super().start_activity(input)


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
        interceptors=[ShortSendTimeout()],
    ):
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
