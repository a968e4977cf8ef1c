"""The most recent events, for a page's first load, and where the live stream continues."""

from __future__ import annotations

import uuid

from sqlmodel.ext.asyncio.session import AsyncSession

from services.live import queries
from services.live.schemas import RecentEvent, RecentEvents


def recent_event(logged: queries.Logged) -> RecentEvent:
    event = logged.event
    assert event.id is not None
    return RecentEvent(
        id=event.id,
        lead_id=event.lead_id,
        lead_name=logged.lead_name,
        campaign_id=event.campaign_id,
        event_type=event.event_type,
        timestamp=event.timestamp,
        details=event.details,
        cursor=str(logged.cursor),
    )


async def recent(
    session: AsyncSession,
    limit: int,
    *,
    lead_id: uuid.UUID | None = None,
    campaign_id: uuid.UUID | None = None,
) -> RecentEvents:
    """Newest commit first. Unfiltered, the cursor is the newest event's (the tail when there
    is none): the stream resumed there sends exactly what commits after these. Filtered, it is
    the tail of the same snapshot, so the stream does not replay other leads' or campaigns'
    past events the list left out."""
    events, tail = await queries.newest(session, limit, lead_id=lead_id, campaign_id=campaign_id)
    filtered = lead_id is not None or campaign_id is not None
    cursor = events[0].cursor if events and not filtered else tail
    return RecentEvents(items=[recent_event(e) for e in events], cursor=str(cursor))
