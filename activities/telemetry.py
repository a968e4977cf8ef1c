"""Counts activity retries on the worker's SDK metrics (SALESPAD_WORKER_METRICS_ADDRESS)."""

from __future__ import annotations

from typing import Any

from temporalio import activity
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)

RETRIES_METRIC = "salespad_activity_retries"


class RetryMetrics(Interceptor):
    """Every attempt after an activity's first adds one to `salespad_activity_retries`,
    tagged by the SDK with the activity type, namespace and task queue. Temporal owns retries
    (vendor SDK retries are off), so this is every retried send, draft and classification.
    Without a metrics runtime the SDK's meter is a no-op."""

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _CountRetries(next)


class _CountRetries(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        if activity.info().attempt > 1:
            activity.metric_meter().create_counter(
                RETRIES_METRIC, "Activity attempts after the first (retries)"
            ).add(1)
        return await self.next.execute_activity(input)
