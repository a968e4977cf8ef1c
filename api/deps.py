"""Dependencies as Annotated aliases: SessionDep, WorkflowsDep, SettingsDep, SessionCookieDep.
Who the caller is and what their API key's scope allows: api.auth."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import APIKeyCookie
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from api import sessions
from config.settings import Settings
from config.temporal import connect
from models.db import Database
from services.errors import ServiceUnavailable
from services.gateway import LeadWorkflowGateway, LeadWorkflows
from services.imports.service import ImportRunner
from services.live.hub import EventHub
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
        events: EventHub | None = None,
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
        # The live event stream's one LISTEN connection, opened by the first subscriber.
        self.events = events or EventHub(db)

    async def temporal_client(self) -> Client:
        if self.temporal is not None:
            return self.temporal
        async with self._lock:
            if self.temporal is None:
                try:
                    self.temporal = await asyncio.wait_for(
                        connect(self.settings),
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

_session_cookie = APIKeyCookie(
    name=sessions.COOKIE,
    auto_error=False,
    scheme_name="SessionCookie",
    description="The dashboard's session (POST /api/session); with it, POST, PUT, PATCH and "
    "DELETE also need the X-CSRF-Token header",
)


# The session cookie's raw value, for the routes that sign in and out.
SessionCookieDep = Annotated[str | None, Depends(_session_cookie)]

# `?wait=` wherever a reply is handed to a lead's sequence (POST .../replies, .../assign).
ReplyWaitQuery = Annotated[
    ReplyWait,
    Query(
        description="received (default): answer as soon as the running sequence holds the "
        "reply; classified: answer once it was classified and acted on (intent, action)"
    ),
]
