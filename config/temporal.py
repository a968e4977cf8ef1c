"""The Temporal client, created in one place with the pydantic data converter."""

from __future__ import annotations

import logging

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.service import RPCError, RPCStatusCode

from workflows.search_attributes import ALL_KEYS

log = logging.getLogger(__name__)


async def connect(
    address: str, namespace: str = "default", runtime: Runtime | None = None
) -> Client:
    """`runtime`: the SDK runtime its workers run on (the worker's, with metrics); else the
    default one."""
    return await Client.connect(
        address, namespace=namespace, data_converter=pydantic_data_converter, runtime=runtime
    )


def metrics_runtime(bind_address: str) -> Runtime:
    """An SDK runtime serving its metrics (task queue polls, workflow and activity task
    latencies and failures, cache size, and our own activity retries) in Prometheus text at
    http://<bind_address>/metrics. Counters end in `_total` and durations are in seconds, as
    Prometheus expects."""
    return Runtime(
        telemetry=TelemetryConfig(
            metrics=PrometheusConfig(
                bind_address=bind_address,
                counters_total_suffix=True,
                durations_as_seconds=True,
            )
        )
    )


async def ensure_search_attributes(client: Client, namespace: str = "default") -> list[str]:
    """Register every search attribute SalesPad writes; returns the names it added."""
    try:
        existing = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=namespace)
        )
        known = set(existing.custom_attributes) | set(existing.system_attributes)
    except RPCError as exc:
        # The time-skipping test server can add search attributes but not list them.
        if exc.status != RPCStatusCode.UNIMPLEMENTED:
            raise
        known = set()
    missing = {
        key.name: IndexedValueType.ValueType(int(key.indexed_value_type))
        for key in ALL_KEYS
        if key.name not in known
    }
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=namespace, search_attributes=missing)
        )
        log.info("registered search attributes: %s", ", ".join(sorted(missing)))
    return sorted(missing)
