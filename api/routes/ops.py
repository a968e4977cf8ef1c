"""What ops look at: every stuck lead with the reason and a link into the Temporal Web UI,
and a live stream of what happens (Server-Sent Events over the event log)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from sqlmodel import col, select

from api.deps import SessionDep, SettingsDep, StateDep
from models.enums import EnrollmentState, EventType
from models.tables import Enrollment, EventLog, Lead
from workflows.contracts import workflow_id_for

router = APIRouter(tags=["ops"])

_ATTENTION_EVENTS = (EventType.DEAD_LETTERED, EventType.TASK_OVERDUE)


class AttentionItem(BaseModel):
    lead_id: uuid.UUID
    lead_name: str
    lead_email: str | None
    campaign_id: uuid.UUID
    current_step: int | None
    reason: str
    error_type: str | None
    since: datetime
    workflow_id: str
    temporal_url: str
    actions: list[str]


@router.get(
    "/ops/attention",
    response_model=list[AttentionItem],
    summary="Dead letters and overdue tasks: every lead waiting for a human",
)
async def attention(session: SessionDep, settings: SettingsDep) -> list[AttentionItem]:
    rows = (
        await session.exec(
            select(Enrollment, Lead)
            .join(Lead, col(Lead.id) == col(Enrollment.lead_id))
            .where(Enrollment.state == EnrollmentState.ATTENTION)
            .order_by(col(Enrollment.updated_at))
        )
    ).all()
    ui = settings.temporal_ui.rstrip("/")
    namespace = quote(settings.temporal_namespace)
    items = []
    for enrollment, lead in rows:
        event = (
            await session.exec(
                select(EventLog)
                .where(
                    EventLog.lead_id == lead.id,
                    col(EventLog.event_type).in_(_ATTENTION_EVENTS),
                )
                .order_by(col(EventLog.id).desc())
                .limit(1)
            )
        ).first()
        workflow_id = workflow_id_for(str(lead.id))
        dead_letter = event is not None and event.event_type == EventType.DEAD_LETTERED
        items.append(
            AttentionItem(
                lead_id=lead.id,
                lead_name=lead.name,
                lead_email=lead.email,
                campaign_id=enrollment.campaign_id,
                current_step=enrollment.current_step,
                reason=(event.details.get("error") or event.event_type) if event else "unknown",
                error_type=event.details.get("error_type") if event else None,
                since=event.timestamp if event else enrollment.updated_at,
                workflow_id=workflow_id,
                temporal_url=f"{ui}/namespaces/{namespace}/workflows/{quote(workflow_id)}",
                actions=["retry", "skip", "stop"] if dead_letter else ["complete or skip the task"],
            )
        )
    return items


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
    last_event_id: int | None = Header(default=None),
    since: int | None = Query(default=None, description="Start after this event id"),
    poll_seconds: float = Query(default=1.0, ge=0.1, le=30),
    follow: bool = Query(default=True, description="false: send what is there, then close"),
) -> StreamingResponse:
    async def stream() -> AsyncIterator[str]:
        cursor = last_event_id if last_event_id is not None else since
        if cursor is None:  # start at the tail: only what happens from now on
            async with state.db.session() as session:
                latest = (
                    await session.exec(
                        select(EventLog.id).order_by(col(EventLog.id).desc()).limit(1)
                    )
                ).first()
            cursor = latest or 0
        yield ": connected\n\n"
        while not await request.is_disconnected():
            async with state.db.session() as session:
                batch = (
                    await session.exec(
                        select(EventLog)
                        .where(col(EventLog.id) > cursor)
                        .order_by(col(EventLog.id))
                        .limit(500)
                    )
                ).all()
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
