"""The FastAPI application: REST under /api (Bearer API key), /healthz, OpenAPI at /docs."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from temporalio.client import Client

from api.deps import ApiKeyDep, AppState
from api.errors import install_error_handlers
from api.input_guard import InputGuard
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
    ops,
    ops_unmatched,
    sequences,
    tasks,
    webhooks_out,
)
from api.webhooks.routes import router as webhooks_router
from config.settings import Settings
from config.temporal import connect
from models.db import Database
from services.gateway import LeadWorkflowGateway
from services.simulation.service import Simulator

log = logging.getLogger("salespad.api")


def create_app(
    settings: Settings,
    *,
    db: Database | None = None,
    temporal: Client | None = None,
    workflows: LeadWorkflowGateway | None = None,
    simulator: Simulator | None = None,
) -> FastAPI:
    """Build the app. Tests pass their own database, Temporal client or workflow gateway;
    the composition root passes the sequence simulator (without one, simulate answers 503)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own_db = db is None
        database = db or Database(settings.require_database_url())
        client = temporal
        if client is None:
            try:
                client = await connect(settings.temporal_target, settings.temporal_namespace)
            except Exception as exc:  # served lazily; /healthz explains
                log.warning("Temporal not reachable at %s: %s", settings.temporal_target, exc)
        app.state.salespad = AppState(settings, database, client, workflows, simulator)
        yield
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
    app.include_router(health.router)
    api = APIRouter(prefix="/api", dependencies=[ApiKeyDep])
    api.include_router(leads.router)
    api.include_router(imports.router)
    api.include_router(campaigns.router)
    api.include_router(sequences.router)
    api.include_router(drafts.router)
    api.include_router(tasks.router)
    api.include_router(channels.router)
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
    return app
