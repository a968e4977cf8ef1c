"""What ops look at: every stuck lead with the reason and a link into the Temporal Web UI,
and a live stream of what happens (Server-Sent Events over the event log)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse

from api.deps import SessionDep, SettingsDep, StateDep
from models.tables import EventLog
from services.ops import queries, service
from services.ops.schemas import AttentionItem

router = APIRouter(tags=["ops"])

# Event ids are PostgreSQL bigints: a larger number is a 422, never a database error.
MAX_EVENT_ID = 2**63 - 1


@router.get(
    "/ops/attention",
    response_model=list[AttentionItem],
    summary="Dead letters and overdue tasks: every lead waiting for a human",
)
async def attention(session: SessionDep, settings: SettingsDep) -> list[AttentionItem]:
    return await service.attention(session, settings.temporal_ui, settings.temporal_namespace)


def _sse(event: EventLog) -> str:
    payload: dict[str, Any] = {
        "id": event.id,
        "lead_id": str(event.lead_id) if event.lead_id else None,
        "event_type": event.event_type,
        "timestamp": event.timestamp.isoformat(),
        "details": event.details,
    }
    return (
        f"id: {event.id}\nevent: {event.event_type}\ndata: {json.dumps(payload, default=str)}\n\n"
    )


@router.get(
    "/events/stream",
    summary="Server-Sent Events: sends, replies, status changes, dead letters, as they happen",
    response_class=StreamingResponse,
)
async def events_stream(
    request: Request,
    state: StateDep,
    last_event_id: int | None = Header(default=None, ge=0, le=MAX_EVENT_ID),
    since: int | None = Query(
        default=None, ge=0, le=MAX_EVENT_ID, description="Start after this event id"
    ),
    poll_seconds: float = Query(default=1.0, ge=0.1, le=30),
    follow: bool = Query(default=True, description="false: send what is there, then close"),
) -> StreamingResponse:
    async def stream() -> AsyncIterator[str]:
        cursor = last_event_id if last_event_id is not None else since
        if cursor is None:  # start at the tail: only what happens from now on
            async with state.db.session() as session:
                latest = await queries.latest_event_id(session)
            cursor = latest or 0
        yield ": connected\n\n"
        while not await request.is_disconnected():
            async with state.db.session() as session:
                batch = await queries.events_after(session, cursor)
            for event in batch:
                assert event.id is not None
                cursor = event.id
                yield _sse(event)
            if not batch:
                if not follow:
                    return
                await asyncio.sleep(poll_seconds)

    return StreamingResponse(
        stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
    )
