"""What ops look at: every stuck lead with the reason and a link into the Temporal Web UI,
and a live stream of what happens (Server-Sent Events over the event log, pushed by the
process's EventHub: services/live/hub.py)."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Header, Query
from fastapi.responses import StreamingResponse

from api.deps import SessionDep, SettingsDep, StateDep
from services.live import queries
from services.live import service as live
from services.live.cursor import CURSOR_PATTERN, Cursor
from services.live.cursor import parse as parse_cursor
from services.live.schemas import RecentEvents
from services.ops import service
from services.ops.schemas import AttentionItem

router = APIRouter(tags=["ops"])

KEEPALIVE_SECONDS = 15.0  # a comment this often keeps proxies from closing an idle stream
RETRY_MS = 1000  # how soon a browser's EventSource reconnects


@router.get(
    "/ops/attention",
    response_model=list[AttentionItem],
    summary="Paused mailboxes, dead letters and overdue tasks: everything waiting for a human",
)
async def attention(session: SessionDep, settings: SettingsDep) -> list[AttentionItem]:
    """Items of kind "mailbox" (a mailbox paused over its bounce or complaint rate, or by
    ops; its leads' sends are held) come first, then items of kind "lead"."""
    return await service.attention(session, settings.temporal_ui, settings.temporal_namespace)


@router.get(
    "/events",
    response_model=RecentEvents,
    summary="The most recent events, newest first, and the stream cursor that follows them",
)
async def recent_events(
    session: SessionDep,
    limit: int = Query(default=50, ge=1, le=500, description="How many events, at most"),
    lead: uuid.UUID | None = Query(default=None, description="Only this lead's events"),
    campaign: uuid.UUID | None = Query(default=None, description="Only this campaign's events"),
) -> RecentEvents:
    """The events a page shows on arrival: each item is what a stream message's data holds,
    plus its `cursor`. Only events the stream can deliver are listed (their transaction is
    below the oldest one still running), so none listed can be preceded by a later commit.
    `GET /api/events/stream?since=<cursor>` then sends every event committed after them
    exactly once (with a filter, `cursor` is the tail: the stream sends what happens from
    then on, not the other leads' or campaigns' past)."""
    return await live.recent(session, limit, lead_id=lead, campaign_id=campaign)


def _sse(logged: queries.Logged) -> str:
    event = logged.event
    assert event.id is not None
    payload: dict[str, Any] = {
        "id": event.id,
        "lead_id": str(event.lead_id) if event.lead_id else None,
        "lead_name": logged.lead_name,
        "campaign_id": str(event.campaign_id) if event.campaign_id else None,
        "event_type": event.event_type,
        "timestamp": event.timestamp.isoformat(),
        "details": event.details,
    }
    data = json.dumps(payload, default=str)
    return f"id: {logged.cursor}\nevent: {event.event_type}\ndata: {data}\n\n"


@router.get(
    "/events/stream",
    summary="Server-Sent Events: sends, replies, status changes, dead letters, as they happen",
    response_class=StreamingResponse,
)
async def events_stream(
    state: StateDep,
    last_event_id: str | None = Header(
        default=None,
        pattern=CURSOR_PATTERN,
        description="Resume after this cursor (what EventSource sends on reconnect): the `id` "
        "of the last message received, or a plain event id",
    ),
    since: str | None = Query(
        default=None,
        pattern=CURSOR_PATTERN,
        description="Start after this cursor (a message's `id`) or event id; "
        "without either the stream starts at the tail: only what happens from now on",
    ),
    poll_seconds: float = Query(
        default=1.0,
        ge=0.1,
        le=30,
        deprecated=True,
        description="Accepted and ignored, for old clients: the stream is pushed on commit",
    ),
    follow: bool = Query(default=True, description="false: send what is there, then close"),
) -> StreamingResponse:
    """Each message is `id: <cursor>`, `event: <event_type>`, `data: {id, lead_id, lead_name,
    campaign_id, event_type, timestamp, details}` (`lead_name`: the lead's name, null for an
    event of no lead), in commit order; resuming after a cursor sends every later event
    exactly once. `GET /api/events` lists the most recent events and the cursor to resume
    after them. `poll_seconds` is accepted but unused (kept so old
    clients are not refused): one LISTEN per process wakes the streams when events commit."""
    raw = last_event_id if last_event_id is not None else since
    async with state.db.session() as session:
        if raw is None:
            start = await queries.tail(session)
        else:
            parsed = parse_cursor(raw)
            start = parsed if isinstance(parsed, Cursor) else await queries.resolve(session, parsed)

    async def stream() -> AsyncIterator[str]:
        yield f"retry: {RETRY_MS}\n: connected\n\n"
        if not follow:
            cursor = start
            while True:
                batch = await state.events.read(cursor)
                for event in batch.events:
                    yield _sse(event)
                cursor = batch.cursor
                if not batch.full:
                    return
        async for pushed in state.events.follow(start, idle_seconds=KEEPALIVE_SECONDS):
            if pushed is None:
                yield ": keep-alive\n\n"
                continue
            for event in pushed.events:
                yield _sse(event)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        # No buffering by proxies (nginx honours X-Accel-Buffering).
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
