"""The event log, appended to inside the caller's transaction (API services and activities)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import EventType
from models.tables import EventLog
from services.clock import activity_now


def add_event(
    session: AsyncSession,
    lead_id: uuid.UUID | None,
    event_type: EventType,
    *,
    at: datetime | None = None,
    **details: Any,
) -> EventLog:
    """Append to the event log inside the caller's transaction (stamped with activity time)."""
    event = EventLog(
        lead_id=lead_id, event_type=event_type, details=details, timestamp=at or activity_now()
    )
    session.add(event)
    return event
