from __future__ import annotations

import asyncio
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

from api.deps import StateDep

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    database: dict[str, Any]
    temporal: dict[str, Any]


@router.get(
    "/healthz",
    summary="Database and Temporal status (no auth)",
    response_model=Health,
    responses={
        200: {"description": "Both reachable"},
        503: {"model": Health, "description": "Degraded: `database` or `temporal` says why"},
    },
)
async def healthz(state: StateDep) -> JSONResponse:
    database: dict[str, object] = {"ok": True}
    temporal: dict[str, object] = {"ok": True, "address": state.settings.temporal_target}
    try:
        async with state.db.session() as session:
            await asyncio.wait_for(session.exec(text("SELECT 1")), timeout=3)  # type: ignore[call-overload]
    except Exception as exc:
        database = {"ok": False, "error": str(exc) or type(exc).__name__}
    try:
        client = await state.temporal_client()
        await asyncio.wait_for(client.service_client.check_health(), timeout=3)
    except Exception as exc:
        temporal = {**temporal, "ok": False, "error": str(exc) or type(exc).__name__}
    ok = bool(database["ok"]) and bool(temporal["ok"])
    return JSONResponse(
        {"status": "ok" if ok else "degraded", "database": database, "temporal": temporal},
        status_code=200 if ok else 503,
    )
