"""All-time totals of the business events behind GET /metrics, counted from the event log.

Sends, replies, dead letters and enrollments happen in worker processes (activities) and in
API processes (replies logged over the API, webhooks), and there may be several of each. Every
one of them appends to the one event log, in the same transaction as the fact itself, so the
log is the single place that knows every total; a per-process counter would only know its own
share and would reset on each restart. The log is append-only (a trigger refuses UPDATE and
DELETE; erasure redacts details but keeps the rows and their attribution columns), so these
counts never go down: valid Prometheus counters.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import EventType

# What each counted event type is: (family, outcome). `channel` and `intent` come from the
# attribution columns the insert trigger fills (migration 0006).
COUNTED: dict[str, tuple[str, str]] = {
    EventType.EMAIL_SENT: ("sends", "sent"),
    EventType.WHATSAPP_SENT: ("sends", "sent"),
    EventType.SMS_SENT: ("sends", "sent"),
    EventType.SEND_SKIPPED: ("sends", "skipped"),
    EventType.SEND_DEFERRED: ("sends", "deferred"),
    EventType.DELIVERED: ("deliveries", "delivered"),
    EventType.BOUNCED: ("deliveries", "bounced"),
    EventType.DELIVERY_FAILED: ("deliveries", "failed"),
    EventType.DELIVERY_DEFERRED: ("deliveries", "deferred"),
    EventType.INTENT_CLASSIFIED: ("replies", ""),
    EventType.DEAD_LETTERED: ("dead_letters", ""),
    EventType.ENROLLED: ("enrollments", ""),
    EventType.OPS_RETRY: ("ops_actions", "retry"),
    EventType.OPS_SKIP: ("ops_actions", "skip"),
    EventType.OPS_STOP: ("ops_actions", "stop"),
}

# One pass over the counted types (the event_type index narrows it); a few hundred ms at
# millions of events, hence the cache in front of it (SALESPAD_METRICS_CACHE_SECONDS). A dead
# letter names no channel when its step never sent anything: the failed attempt's message
# (same enrollment and step) does.
_TOTALS = text(
    """
    SELECT e.event_type,
           coalesce(lower(coalesce(e.channel, failed.type)), '') AS channel,
           coalesce(e.intent, '') AS intent,
           coalesce(left(e.details->>'error_type', 64), '') AS error_type,
           count(*) AS n
      FROM event_log e
      LEFT JOIN LATERAL (
            SELECT c.type
              FROM message m JOIN channel c ON c.id = m.channel_id
             WHERE e.event_type = 'DEAD_LETTERED' AND e.channel IS NULL
               AND m.enrollment_id = e.enrollment_id AND m.step = e.step
               AND m.direction = 'OUTBOUND'
             LIMIT 1
           ) failed ON true
     WHERE e.event_type = ANY(:types)
     GROUP BY 1, 2, 3, 4
    """
)


@dataclass(frozen=True)
class EventTotal:
    event_type: str
    channel: str
    intent: str
    error_type: str
    count: int


async def event_totals(session: AsyncSession) -> list[EventTotal]:
    """How many of each counted event there are, by channel, intent and error type."""
    rows = await session.exec(_TOTALS, params={"types": list(COUNTED)})  # type: ignore[call-overload]
    return [EventTotal(r.event_type, r.channel, r.intent, r.error_type, int(r.n)) for r in rows]
