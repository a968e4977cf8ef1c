"""GET /metrics (Prometheus text format) and the middleware that gives every request an id
and times it.

Two kinds of figures, from two sources:

- Business counters (sends by channel and outcome, provider delivery reports, replies by
  intent, dead letters, enrollments, ops retries) are counted from the PostgreSQL event log
  (services.analytics.totals), not in this process. Sends, dead letters and enrollments
  happen in worker processes, replies in both; only the log sees all of them, across every
  replica and restart. The counts are refreshed at most every SALESPAD_METRICS_CACHE_SECONDS
  per process. Every API replica reports the same totals: scrape one replica for them, or
  aggregate with `max` (never `sum`) across replicas.
- HTTP figures (request latency by method, route template and status; provider webhook
  latency) are this process's own, measured by `RequestTelemetry`: scrape every replica and
  `sum` them.

A worker's activity-level figures (attempts, retries, latencies per activity type, task
queue polls) come from the Temporal SDK on the worker's own port
(SALESPAD_WORKER_METRICS_ADDRESS, see worker.py).

Authentication: with SALESPAD_METRICS_TOKEN set, /metrics wants `Authorization: Bearer
<token>`; unset, it is open (it shows counts, never a person's data). It lives outside /api,
so the API key and the dashboard session play no part in it.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
import time
import uuid
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import StateDep
from api.errors import Unauthorized
from config.logs import request_id
from models.db import Database
from services.analytics.totals import COUNTED, EventTotal, event_totals

log = logging.getLogger("salespad.metrics")

REQUEST_ID_HEADER = "X-Request-ID"
# An incoming id is reused only if it is short and plain (no spaces, quotes or control
# characters to smuggle into log lines); else a new one is made.
_SANE_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# A path no route matched (scanners, the dashboard's client-side routes) gets one label, so
# arbitrary paths never become label values.
UNMATCHED = "unmatched"
CHANNELS = ("email", "sms", "whatsapp")
SEND_OUTCOMES = ("sent", "skipped", "deferred")
# Webhook budget (DESIGN.md): p99 under 1 s; Twilio gives up after 15 s.
WEBHOOK_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0, 15.0)


class EventTotals:
    """The event log's totals, recounted at most every `ttl` seconds (one query per scrape
    at most; concurrent scrapes share it). A failed count keeps the last one and says so."""

    def __init__(self, ttl: float) -> None:
        self._ttl = ttl
        self._lock = asyncio.Lock()
        self._at = float("-inf")
        self.rows: list[EventTotal] = []
        self.ok = False

    async def refresh(self, db: Database) -> None:
        async with self._lock:
            if time.monotonic() - self._at < self._ttl:
                return
            try:
                async with db.session() as session:
                    self.rows = await asyncio.wait_for(event_totals(session), timeout=10)
                self.ok = True
            except Exception as exc:
                log.warning("metrics: could not count the event log: %s", exc)
                self.ok = False
            self._at = time.monotonic()


class EventLogCollector(Collector):
    """Renders the last `EventTotals` as Prometheus counters (collect() must not do I/O: the
    route refreshes the totals before rendering)."""

    def __init__(self, totals: EventTotals) -> None:
        self._totals = totals

    def collect(self) -> Iterator[Metric]:
        sends = CounterMetricFamily(
            "salespad_sends",
            "Send steps by channel and outcome (sent, skipped, deferred by cap or window)",
            labels=["channel", "outcome"],
        )
        deliveries = CounterMetricFamily(
            "salespad_deliveries",
            "Provider delivery reports by channel and outcome (delivered, bounced, failed, "
            "deferred)",
            labels=["channel", "outcome"],
        )
        replies = CounterMetricFamily(
            "salespad_replies",
            "Replies classified, by intent and the channel of the step answered",
            labels=["intent", "channel"],
        )
        dead = CounterMetricFamily(
            "salespad_dead_letters",
            "Steps dead-lettered for ops (retries exhausted or a permanent error)",
            labels=["channel", "error_type"],
        )
        enrollments = CounterMetricFamily(
            "salespad_enrollments", "Leads enrolled in a sequence (rate() is the enrollment rate)"
        )
        ops = CounterMetricFamily(
            "salespad_ops_actions",
            "Ops decisions on dead-lettered leads (retry, skip, stop)",
            labels=["action"],
        )
        seeded: dict[tuple[str, ...], float] = {}
        # Known series start at 0, so rate() sees the first send too.
        for channel in CHANNELS:
            for outcome in SEND_OUTCOMES:
                seeded[("sends", channel, outcome)] = 0
        for action in ("retry", "skip", "stop"):
            seeded[("ops", action)] = 0
        seeded[("enrollments",)] = 0
        for row in self._totals.rows:
            family, outcome = COUNTED[row.event_type]
            channel = row.channel or "none"
            key: tuple[str, ...]
            if family == "sends":
                key = ("sends", channel, outcome)
            elif family == "deliveries":
                key = ("deliveries", channel, outcome)
            elif family == "replies":
                key = ("replies", row.intent or "other", channel)
            elif family == "dead_letters":
                key = ("dead", channel, row.error_type or "unknown")
            elif family == "enrollments":
                key = ("enrollments",)
            else:
                key = ("ops", outcome)
            seeded[key] = seeded.get(key, 0) + row.count
        families = {
            "sends": sends,
            "deliveries": deliveries,
            "replies": replies,
            "dead": dead,
            "enrollments": enrollments,
            "ops": ops,
        }
        for (family, *labels), value in sorted(seeded.items()):
            families[family].add_metric(labels, value)
        yield from families.values()
        yield GaugeMetricFamily(
            "salespad_event_log_up",
            "1 if the last count of the event log succeeded (else the counters are stale)",
            value=1 if self._totals.ok else 0,
        )


class Telemetry:
    """One app's metrics: its own registry (so several apps in one process never collide)."""

    def __init__(self, cache_seconds: float) -> None:
        self.registry = CollectorRegistry()
        self.totals = EventTotals(cache_seconds)
        self.registry.register(EventLogCollector(self.totals))
        ProcessCollector(registry=self.registry)
        self.http = Histogram(
            "salespad_http_request_duration_seconds",
            "HTTP requests served by this API process, by method, route template and status "
            "(the _count series counts requests)",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.webhooks = Histogram(
            "salespad_webhook_duration_seconds",
            "Provider webhooks (/webhooks/...) answered by this API process, by route and status",
            ["route", "status"],
            buckets=WEBHOOK_BUCKETS,
            registry=self.registry,
        )

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        code = str(status)
        self.http.labels(method if method in _METHODS else "other", route, code).observe(seconds)
        if route.startswith("/webhooks/"):
            self.webhooks.labels(route, code).observe(seconds)


def incoming_request_id(value: str | None) -> str:
    """The caller's X-Request-ID when it is sane, else a new one."""
    if value and _SANE_ID.fullmatch(value):
        return value
    return uuid.uuid4().hex


class RequestTelemetry:
    """Outermost middleware: a request id for every HTTP request (the logs' `request_id`,
    echoed in X-Request-ID) and its latency, by route template, into `Telemetry`."""

    def __init__(self, app: ASGIApp, telemetry: Telemetry) -> None:
        self.app = app
        self.telemetry = telemetry

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = None
        for name, value in scope.get("headers", ()):
            if name == b"x-request-id":
                header = value.decode("latin-1")
                break
        rid = incoming_request_id(header)
        token = request_id.set(rid)
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k != b"x-request-id"]
                headers.append((b"x-request-id", rid.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except BaseException:
            # The id stays set on the way out, so the server's log of this error carries it
            # (each request runs in a task of its own: nothing else sees it).
            self._observe(scope, status, started)
            raise
        self._observe(scope, status, started)
        request_id.reset(token)

    def _observe(self, scope: Scope, status: int, started: float) -> None:
        method = scope.get("method", "")
        self.telemetry.observe(method, route_template(scope), status, time.perf_counter() - started)


def route_template(scope: Scope) -> str:
    """The template of the route that answered (`/api/leads/{lead_id}`), else UNMATCHED.

    Recent FastAPI no longer copies an included router's routes: `scope["route"]` is the
    router's own, without the outer prefixes, and the full template is in its effective route
    context. Older versions put the copied route, with its full path, in `scope["route"]`.
    tests/service/api/test_metrics_http.py pins the result."""
    fastapi_scope = scope.get("fastapi")
    if isinstance(fastapi_scope, dict):
        context = fastapi_scope.get("effective_route_context")
        template = getattr(context, "path_format", None)
        if isinstance(template, str) and template:
            return template
    template = getattr(scope.get("route"), "path", None)
    return template if isinstance(template, str) and template else UNMATCHED


_bearer = HTTPBearer(auto_error=False)
router = APIRouter()


def _require_metrics_token(
    state: StateDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    configured = state.settings.metrics_token
    if configured is None:
        return
    given = credentials.credentials if credentials is not None else ""
    if not hmac.compare_digest(given.encode(), configured.get_secret_value().encode()):
        raise Unauthorized(
            "missing or invalid metrics token",
            "send `Authorization: Bearer <SALESPAD_METRICS_TOKEN>`",
        )


@router.get("/metrics", include_in_schema=False, dependencies=[Depends(_require_metrics_token)])
async def metrics(request: Request, state: StateDep) -> Response:
    telemetry: Telemetry = request.app.state.telemetry
    await telemetry.totals.refresh(state.db)
    return Response(generate_latest(telemetry.registry), media_type=CONTENT_TYPE_LATEST)
