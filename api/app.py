"""The FastAPI application: REST under /api (Bearer API key, or the dashboard's session cookie
from /api/session), /healthz, OpenAPI at /docs, provider webhooks under /webhooks, and the
dashboard's bundle at / (api.dashboard: whatever no route answers)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI
from temporalio.client import Client

from api.auth import ApiKeyDep
from api.dashboard import BUNDLED, NoSniff, install_dashboard
from api.deps import AppState
from api.errors import install_error_handlers
from api.input_guard import InputGuard
from api.metrics import RequestTelemetry, Telemetry
from api.metrics import router as metrics_router
from api.openapi import install_openapi
from api.routes import (
    ai,
    analytics,
    campaigns,
    channels,
    controls,
    drafts,
    health,
    imports,
    inbox,
    leads,
    mailboxes,
    ops,
    ops_unmatched,
    sequences,
    session,
    tasks,
    webhooks_out,
)
from api.webhooks.routes import router as webhooks_router
from config.settings import Settings
from config.temporal import connect
from models.db import Database
from services.gateway import LeadWorkflowGateway
from services.live.hub import EventHub
from services.simulation.service import Simulator

log = logging.getLogger("salespad.api")


def create_app(
    settings: Settings,
    *,
    db: Database | None = None,
    temporal: Client | None = None,
    workflows: LeadWorkflowGateway | None = None,
    events: EventHub | None = None,
    dashboard_dir: Path | None = None,
    simulator: Simulator | None = None,
) -> FastAPI:
    """Build the app. Tests pass their own database, Temporal client, workflow gateway or event
    hub, and the dashboard bundle's directory (else SALESPAD_DASHBOARD_DIR, else the packaged
    one); the composition root passes the sequence simulator (without one, simulate answers
    503)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own_db = db is None
        database = db or Database(settings.require_database_url())
        client = temporal
        if client is None:
            try:
                client = await connect(settings)
            except Exception as exc:  # served lazily; /healthz explains
                log.warning("Temporal not reachable at %s: %s", settings.temporal_target, exc)
        app.state.salespad = AppState(settings, database, client, workflows, events, simulator)
        yield
        await app.state.salespad.events.aclose()
        await app.state.salespad.imports.aclose()
        if own_db:
            await database.dispose()

    app = FastAPI(
        title="SalesPad",
        version="0.1.0",
        summary="Outbound sequences as durable Temporal workflows",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    install_openapi(app)
    app.add_middleware(
        InputGuard,
        max_body_bytes=settings.api_max_body_bytes,
        prefixes=("/api/",),
    )
    # Outermost, so the input guard's own refusals carry it too.
    app.add_middleware(NoSniff, prefixes=("/api/",))
    # Outermost of all: every answer gets its request id and is timed (api.metrics).
    app.state.telemetry = Telemetry(settings.metrics_cache_seconds)
    app.add_middleware(RequestTelemetry, telemetry=app.state.telemetry)
    app.include_router(health.router)
    app.include_router(metrics_router)
    # Signing in is how a browser gets its credentials: outside the API-key router.
    app.include_router(session.router)
    api = APIRouter(prefix="/api", dependencies=[ApiKeyDep])
    api.include_router(leads.router)
    api.include_router(imports.router)
    api.include_router(campaigns.router)
    api.include_router(sequences.router)
    api.include_router(drafts.router)
    api.include_router(tasks.router)
    api.include_router(channels.router)
    api.include_router(mailboxes.router)
    api.include_router(ops.router)
    api.include_router(ops_unmatched.router)
    api.include_router(analytics.router)
    api.include_router(inbox.router)
    # After leads and campaigns: /leads/{id}/{action} must not shadow /leads/{id}/replies.
    api.include_router(controls.router)
    api.include_router(ai.router)
    api.include_router(webhooks_out.router)
    app.include_router(api)
    app.include_router(webhooks_router)
    install_dashboard(app, dashboard_dir or settings.dashboard_dir or BUNDLED)
    return app
