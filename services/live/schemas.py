"""What the event log looks like on the wire: each SSE message's data, and the most recent
events (GET /api/events) in that same shape plus each one's stream cursor."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class LiveEvent(BaseModel):
    id: int = Field(description="The event's id (not an ordering: see `cursor`)")
    lead_id: uuid.UUID | None
    lead_name: str | None = Field(description="The lead's name, or null for an event of no lead")
    campaign_id: uuid.UUID | None
    event_type: str
    timestamp: datetime
    details: dict[str, Any]


class RecentEvent(LiveEvent):
    cursor: str = Field(
        description="This event's stream cursor (`<xact>-<id>`, an SSE message's `id:`)",
        examples=["1234-567"],
    )


class RecentEvents(BaseModel):
    items: list[RecentEvent] = Field(description="Newest commit first")
    cursor: str = Field(
        description="`GET /api/events/stream?since=<cursor>` continues here: every event "
        "committed after the ones listed, none of them again",
        examples=["1234-567"],
    )
