"""Dependencies as Annotated aliases: SessionDep, WorkflowsDep, SettingsDep, ApiKeyDep."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from api.errors import Unauthorized
from config.settings import Settings
from config.temporal import connect
from models.db import Database
from services.errors import ServiceUnavailable
from services.gateway import LeadWorkflowGateway, LeadWorkflows
from services.imports.service import ImportRunner
from services.replies.schemas import ReplyWait
from services.simulation.service import SimulationRunner, Simulator


class AppState:
    """What the app holds for its lifetime; the Temporal client connects lazily if it was
    down at start-up, so the API serves reads (and /healthz says why) without it."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        temporal: Client | None,
        workflows: LeadWorkflowGateway | None = None,
        simulator: Simulator | None = None,
    ) -> None:
        self.settings = settings
        self.db = db
        self.temporal = temporal
        self._lock = asyncio.Lock()
        # Imports too big to finish within a request run here, in the background.
        self.imports = ImportRunner()
        # `salespad simulate` behind POST /api/sequences/{name}/simulate (given by the CLI).
        self.simulations = SimulationRunner(simulator)
        # The one way services reach a lead's workflow; it connects on first use.
        self.workflows: LeadWorkflowGateway = workflows or LeadWorkflows(
            self.temporal_client, settings.task_queue
        )

    async def temporal_client(self) -> Client:
        if self.temporal is not None:
            return self.temporal
        async with self._lock:
            if self.temporal is None:
                try:
                    self.temporal = await asyncio.wait_for(
                        connect(self.settings.temporal_target, self.settings.temporal_namespace),
                        timeout=5,
                    )
                except Exception as exc:
                    raise ServiceUnavailable(
                        f"Temporal is not reachable at {self.settings.temporal_target}",
                        str(exc),
                    ) from exc
            return self.temporal


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.salespad
    return state


StateDep = Annotated[AppState, Depends(get_state)]


def get_settings(state: StateDep) -> Settings:
    return state.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


async def get_session(state: StateDep) -> AsyncIterator[AsyncSession]:
    async with state.db.session() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


async def get_workflows(state: StateDep) -> LeadWorkflowGateway:
    """The gateway, connected: a route that acts on workflows answers 503 before it changes
    anything when Temporal is unreachable."""
    await state.workflows.ensure_connected()
    return state.workflows


WorkflowsDep = Annotated[LeadWorkflowGateway, Depends(get_workflows)]

_bearer = HTTPBearer(auto_error=False, description="SALESPAD_API_KEY (printed by salespad dev)")


def require_api_key(
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    expected = settings.api_key.get_secret_value() if settings.api_key else ""
    if credentials is None:
        raise Unauthorized("missing API key: send `Authorization: Bearer <SALESPAD_API_KEY>`")
    # Bytes: compare_digest refuses non-ASCII str, and a key with such characters is just wrong.
    offered = credentials.credentials.encode("utf-8", "surrogateescape")
    if not expected or not secrets.compare_digest(offered, expected.encode()):
        raise Unauthorized("invalid API key")


ApiKeyDep = Depends(require_api_key)

# `?wait=` wherever a reply is handed to a lead's sequence (POST .../replies, .../assign).
ReplyWaitQuery = Annotated[
    ReplyWait,
    Query(
        description="received (default): answer as soon as the running sequence holds the "
        "reply; classified: answer once it was classified and acted on (intent, action)"
    ),
]
