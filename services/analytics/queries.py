"""Set-based reads of the funnel counters (migration 0006) and of the event log."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

Counter = tuple[str, str, str, int, int]  # scope, value, metric, events, leads

# Counters plus the deltas not folded in yet, in one snapshot: always what the log holds.
_COUNTERS = text(
    """
    SELECT scope, value, metric, sum(events)::bigint, sum(leads)::bigint FROM (
        SELECT scope, value, metric, events, leads FROM funnel_count WHERE campaign_id = :c
        UNION ALL
        SELECT scope, value, metric, events, leads FROM funnel_delta WHERE campaign_id = :c
    ) AS x
    GROUP BY scope, value, metric
    """
)

# Per replying lead, from its first send to its first real reply (when the message arrived),
# kept by the counters' trigger.
_MEDIAN_FIRST_REPLY = text(
    "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds)"
    " FROM funnel_reply_delay WHERE campaign_id = :c"
)

# Events in a time window, every campaign at once (grouping sets: totals and per campaign).
_WINDOW = text(
    """
    SELECT e.campaign_id, m.metric, count(*), count(DISTINCT e.lead_id)
      FROM event_log e
     CROSS JOIN LATERAL unnest(
           salespad_funnel_metrics(e.event_type, e.intent, e.details->>'new')) AS m(metric)
     WHERE e.timestamp >= :since AND e.campaign_id IS NOT NULL
     GROUP BY GROUPING SETS ((m.metric), (e.campaign_id, m.metric))
    """
)


async def compact(session: AsyncSession, campaign_id: uuid.UUID) -> None:
    """Fold the campaign's new deltas into its counters (its own short transaction)."""
    await session.exec(text("SELECT salespad_funnel_compact(:c)"), params={"c": campaign_id})  # type: ignore[call-overload]
    await session.commit()


async def counters(session: AsyncSession, campaign_id: uuid.UUID) -> list[Counter]:
    rows = await session.exec(_COUNTERS, params={"c": campaign_id})  # type: ignore[call-overload]
    return [(r[0], r[1], r[2], int(r[3]), int(r[4])) for r in rows]


async def median_first_reply_seconds(session: AsyncSession, campaign_id: uuid.UUID) -> float | None:
    value = (
        await session.exec(_MEDIAN_FIRST_REPLY, params={"c": campaign_id})  # type: ignore[call-overload]
    ).scalar()
    return None if value is None else float(value)


async def window(
    session: AsyncSession, since: datetime
) -> list[tuple[uuid.UUID | None, str, int, int]]:
    rows = await session.exec(_WINDOW, params={"since": since})  # type: ignore[call-overload]
    return [(r[0], r[1], int(r[2]), int(r[3])) for r in rows]


async def rebuild(session: AsyncSession, campaign_id: uuid.UUID) -> None:
    """Recount a campaign from the log (repairs; the counters never drift on their own)."""
    await session.exec(text("SELECT salespad_funnel_rebuild(:c)"), params={"c": campaign_id})  # type: ignore[call-overload]
    await session.commit()
