"""The Temporal client, created in one place with the pydantic data converter, and the namespace
and search attributes SalesPad needs (`salespad temporal setup`, the worker, `salespad dev`).

`connect(settings)` is how every process reaches the configured Temporal: a local dev server,
a self-hosted cluster (TLS, mTLS) or Temporal Cloud (mTLS or an API key). `connect("host:port")`
is the plain connection the tests and the local tools use.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from google.protobuf.duration_pb2 import Duration
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest, RegisterNamespaceRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import (
    LogForwardingConfig,
    LoggingConfig,
    PrometheusConfig,
    Runtime,
    TelemetryConfig,
    TelemetryFilter,
)
from temporalio.service import RPCError, RPCStatusCode, TLSConfig

from config.settings import Settings
from workflows.search_attributes import ALL_KEYS

log = logging.getLogger(__name__)

# Errors that mean "this identity may not do that here" (Temporal Cloud's API keys and mTLS
# certificates cannot register namespaces, and often not search attributes, through the API).
NOT_PERMITTED = (RPCStatusCode.PERMISSION_DENIED, RPCStatusCode.UNIMPLEMENTED)


class TemporalConfigError(ValueError):
    """A Temporal connection setting that cannot work; one line naming the setting."""


@dataclass(frozen=True)
class ConnectOptions:
    """What the settings add to Client.connect: `tls` (None: the SDK's default, which is on
    exactly when an API key is given) and `api_key`."""

    tls: bool | TLSConfig | None
    api_key: str | None


def _read_pem(path: Path | None, setting: str) -> bytes | None:
    if path is None:
        return None
    if not path.is_file():
        raise TemporalConfigError(f"{setting}: no file at {path}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TemporalConfigError(f"{setting}: cannot read {path}: {exc.strerror}") from None
    if b"-----BEGIN" not in data:
        raise TemporalConfigError(f"{setting}: {path} is not a PEM file (no -----BEGIN line)")
    return data


def connect_options(settings: Settings) -> ConnectOptions:
    """The TLS and auth options the settings ask for, with the files read; TemporalConfigError
    (naming the setting) for a file that is missing or unreadable, or a certificate without
    its key."""
    s = settings
    if (s.temporal_tls_cert is None) != (s.temporal_tls_key is None):
        given, missing = (
            ("SALESPAD_TEMPORAL_TLS_CERT", "SALESPAD_TEMPORAL_TLS_KEY")
            if s.temporal_tls_key is None
            else ("SALESPAD_TEMPORAL_TLS_KEY", "SALESPAD_TEMPORAL_TLS_CERT")
        )
        raise TemporalConfigError(
            f"{given} is set but {missing} is not (a client certificate needs its key)"
        )
    ca = _read_pem(s.temporal_tls_ca, "SALESPAD_TEMPORAL_TLS_CA")
    cert = _read_pem(s.temporal_tls_cert, "SALESPAD_TEMPORAL_TLS_CERT")
    key = _read_pem(s.temporal_tls_key, "SALESPAD_TEMPORAL_TLS_KEY")
    api_key = s.temporal_api_key.get_secret_value() if s.temporal_api_key else None
    if not api_key:
        api_key = None
    tls: bool | TLSConfig | None
    files = ca or cert or s.temporal_tls_server_name
    if s.temporal_tls is False and files:
        raise TemporalConfigError(
            "SALESPAD_TEMPORAL_TLS is false but a TLS CA, certificate or server name is set"
        )
    if s.temporal_tls is False:
        tls = False  # plain, even with an API key (a cluster behind a TLS-ending proxy)
    elif files:
        tls = TLSConfig(
            server_root_ca_cert=ca,
            client_cert=cert,
            client_private_key=key,
            domain=s.temporal_tls_server_name,
        )
    elif s.temporal_tls:
        tls = True  # the system's roots verify the server; no client certificate
    else:
        tls = None  # the SDK's default: on with an API key (Temporal Cloud), off otherwise
    return ConnectOptions(tls=tls, api_key=api_key)


async def connect(
    target: Settings | str, namespace: str | None = None, runtime: Runtime | None = None
) -> Client:
    """A client for the Temporal the settings name (address, namespace, TLS, API key), or a
    plain one to `target` ("host:port") in `namespace` (default "default"). `runtime`: the SDK
    runtime its workers run on (the worker's, with metrics); else the default one."""
    if isinstance(target, str):
        return await Client.connect(
            target,
            namespace=namespace or "default",
            data_converter=pydantic_data_converter,
            runtime=runtime,
        )
    options = connect_options(target)
    return await Client.connect(
        target.temporal_target,
        namespace=namespace or target.temporal_namespace,
        data_converter=pydantic_data_converter,
        tls=options.tls,
        api_key=options.api_key,
        runtime=runtime,
    )


def metrics_runtime(bind_address: str | None, *, forward_logs: bool = False) -> Runtime:
    """An SDK runtime serving its metrics (task queue polls, workflow and activity task
    latencies and failures, cache size, and our own activity retries) in Prometheus text at
    http://<bind_address>/metrics (None: no metrics). Counters end in `_total` and durations
    are in seconds, as Prometheus expects. `forward_logs`: the SDK core's own log lines (it
    writes them to stderr itself, unformatted) go through Python's logging instead, as the
    `temporalio.core` logger, so they are JSON lines like every other (SALESPAD_LOG_FORMAT)."""
    logging_config = TelemetryConfig().logging
    if forward_logs:
        logging_config = LoggingConfig(
            filter=TelemetryFilter(core_level="WARN", other_level="ERROR"),
            forwarding=LogForwardingConfig(logger=logging.getLogger("temporalio.core")),
        )
    metrics = (
        PrometheusConfig(
            bind_address=bind_address, counters_total_suffix=True, durations_as_seconds=True
        )
        if bind_address
        else None
    )
    return Runtime(telemetry=TelemetryConfig(logging=logging_config, metrics=metrics))


# -- namespace and search attributes ------------------------------------------------------

# tcld's and the Web UI's names for the indexed value types.
_TYPE_NAMES = {
    IndexedValueType.INDEXED_VALUE_TYPE_TEXT: "Text",
    IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD: "Keyword",
    IndexedValueType.INDEXED_VALUE_TYPE_INT: "Int",
    IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE: "Double",
    IndexedValueType.INDEXED_VALUE_TYPE_BOOL: "Bool",
    IndexedValueType.INDEXED_VALUE_TYPE_DATETIME: "Datetime",
    IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST: "KeywordList",
}


def wanted_search_attributes() -> dict[str, IndexedValueType.ValueType]:
    """Every custom search attribute SalesPad's workflows write, with its type."""
    return {key.name: IndexedValueType.ValueType(int(key.indexed_value_type)) for key in ALL_KEYS}


def type_name(value_type: IndexedValueType.ValueType) -> str:
    return _TYPE_NAMES[value_type]


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
    missing = {name: t for name, t in wanted_search_attributes().items() if name not in known}
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=namespace, search_attributes=missing)
        )
        log.info("registered search attributes: %s", ", ".join(sorted(missing)))
    return sorted(missing)


@dataclass
class SetupResult:
    """What `setup_temporal` found and did. `manual` holds the steps left to a human (tcld
    commands, Web UI clicks) where the server refused; empty when all is in place."""

    namespace: str
    namespace_registered: bool = False  # registered now
    namespace_verified: bool = False  # known to exist
    added: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)
    # The attributes known to be missing (could not be added), or every wanted one when they
    # could not even be listed (attributes_verified False).
    missing: list[str] = field(default_factory=list)
    attributes_verified: bool = False
    manual: list[str] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)  # the server's own words

    @property
    def complete(self) -> bool:
        return self.namespace_verified and self.attributes_verified and not self.missing


def _refusal(what: str, exc: RPCError) -> str:
    return f"{what}: {exc.status.name if exc.status else 'error'}: {exc.message}"


async def _namespace_exists(client: Client, namespace: str) -> bool:
    try:
        await client.workflow_service.describe_namespace(
            DescribeNamespaceRequest(namespace=namespace)
        )
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return False
        raise
    return True


async def _list_custom(client: Client, namespace: str, wait_for_namespace: float) -> set[str]:
    """The namespace's search attributes; a namespace registered a moment ago answers
    NOT_FOUND until the server's namespace cache has it (seconds), so that is waited out."""
    deadline = time.monotonic() + wait_for_namespace
    while True:
        try:
            existing = await client.operator_service.list_search_attributes(
                ListSearchAttributesRequest(namespace=namespace)
            )
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND and time.monotonic() < deadline:
                await asyncio.sleep(0.5)
                continue
            raise
        return set(existing.custom_attributes) | set(existing.system_attributes)


async def setup_temporal(
    client: Client, namespace: str, retention: timedelta = timedelta(days=30)
) -> SetupResult:
    """Register the namespace (when missing) and SalesPad's search attributes where the server
    permits; where it does not (Temporal Cloud), `manual` says what to do by hand. Idempotent."""
    result = SetupResult(namespace)
    wanted = wanted_search_attributes()
    wait = 0.0
    try:
        if await _namespace_exists(client, namespace):
            result.namespace_verified = True
        else:
            await client.workflow_service.register_namespace(
                RegisterNamespaceRequest(
                    namespace=namespace,
                    workflow_execution_retention_period=Duration(
                        seconds=int(retention.total_seconds())
                    ),
                )
            )
            result.namespace_registered = result.namespace_verified = True
            wait = 30.0
    except RPCError as exc:
        if exc.status not in NOT_PERMITTED and exc.status != RPCStatusCode.ALREADY_EXISTS:
            raise
        if exc.status == RPCStatusCode.ALREADY_EXISTS:
            result.namespace_verified = True
        else:
            result.refusals.append(_refusal("namespace", exc))

    known: set[str] | None
    try:
        known = await _list_custom(client, namespace, wait)
    except RPCError as exc:
        if exc.status not in NOT_PERMITTED:
            raise
        result.refusals.append(_refusal("listing search attributes", exc))
        known = None
    missing = {n: t for n, t in wanted.items() if known is None or n not in known}
    result.present = sorted(n for n in wanted if n not in missing)
    if missing and known is not None:
        try:
            await client.operator_service.add_search_attributes(
                AddSearchAttributesRequest(namespace=namespace, search_attributes=missing)
            )
            result.added = sorted(missing)
            missing = {}
        except RPCError as exc:
            if exc.status not in NOT_PERMITTED:
                raise
            result.refusals.append(_refusal("adding search attributes", exc))
    result.attributes_verified = known is not None
    if known is not None:
        result.namespace_verified = True  # its search attributes were listed
    result.missing = sorted(missing)
    if not result.namespace_verified:
        result.manual += namespace_steps(namespace, retention)
    if missing:
        result.manual += search_attribute_steps(namespace, {n: wanted[n] for n in missing})
    return result


def namespace_steps(namespace: str, retention: timedelta) -> list[str]:
    days = max(1, int(retention.total_seconds() // 86400))
    return [
        f"Create the namespace {namespace!r} (retention {days} days):",
        f"  self-hosted:     temporal operator namespace create --namespace {namespace} "
        f"--retention {days * 24}h",
        "  Temporal Cloud:  Web UI > Namespaces > Create Namespace (or `tcld namespace create`)",
    ]


def search_attribute_steps(
    namespace: str, missing: dict[str, IndexedValueType.ValueType]
) -> list[str]:
    """The tcld commands (one per attribute) and the Web UI steps that add `missing`."""
    lines = ["Add the search attributes with tcld (Temporal Cloud), one command each:"]
    lines += [
        f"  tcld namespace search-attributes add --namespace {namespace} "
        f'--search-attribute "{name}={type_name(t)}"'
        for name, t in sorted(missing.items())
    ]
    lines += [
        "or in the Temporal Cloud Web UI: Namespaces > "
        f"{namespace} > Edit > Custom Search Attributes > Add, one per row:",
        *(f"  {name}  {type_name(t)}" for name, t in sorted(missing.items())),
        "or, on a self-hosted cluster, with the temporal CLI as an admin:",
        *(
            f"  temporal operator search-attribute create --namespace {namespace} "
            f"--name {name} --type {type_name(t)}"
            for name, t in sorted(missing.items())
        ),
    ]
    return lines
