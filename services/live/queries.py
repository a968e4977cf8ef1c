"""The event log in commit order.

Only events whose inserting transaction is below the oldest one still running
(`pg_snapshot_xmin`) are delivered: every transaction below it has ended, so no event can
commit behind a cursor later. In one statement (one snapshot), rows after the cursor are read
in (xact, id) order with a `ready` flag; ready rows come first, and any row that is not ready
means events exist that an older open transaction still holds back.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, tuple_
from sqlmodel import col, literal, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.tables import EventLog, Xid8
from services.live.cursor import START, Cursor


def _xmin() -> ColumnElement[int]:
    """The oldest transaction still running, as of this statement's snapshot."""
    return func.pg_snapshot_xmin(func.pg_current_snapshot(), type_=Xid8())


@dataclass(frozen=True)
class Batch:
    events: list[EventLog]
    cursor: Cursor  # after the last event delivered (or the one asked for)
    held_back: bool  # committed events wait for an older transaction to end
    full: bool  # the limit was reached: read again at once


async def read_after(session: AsyncSession, cursor: Cursor, limit: int = 500) -> Batch:
    """The deliverable events after `cursor`, oldest commit first."""
    ready = (col(EventLog.xact) < _xmin()).label("ready")
    rows = (
        await session.exec(
            select(EventLog, ready)
            .where(
                tuple_(col(EventLog.xact), col(EventLog.id))
                > tuple_(literal(cursor.xact, Xid8()), literal(cursor.id))
            )
            .order_by(col(EventLog.xact), col(EventLog.id))
            .limit(limit)
        )
    ).all()
    events = [event for event, is_ready in rows if is_ready]
    last = events[-1] if events else None
    if last is not None:
        assert last.xact is not None and last.id is not None
        cursor = Cursor(last.xact, last.id)
    return Batch(
        events=events,
        cursor=cursor,
        held_back=len(events) < len(rows),
        full=len(events) == limit,
    )


async def tail(session: AsyncSession) -> Cursor:
    """Where a client without a cursor starts: after every event whose transaction has ended.
    Events of transactions still open (or committed since the oldest open one began) follow,
    so nothing that becomes visible from now on is skipped."""
    xmin = (await session.exec(select(_xmin()))).one()
    return Cursor(xmin, 0)


async def resolve(session: AsyncSession, event_id: int) -> Cursor:
    """An old client's plain event id as a cursor: that event's (xact, id), else the nearest
    event below it (ids of rolled-back inserts are never used), else the start."""
    row = (
        await session.exec(
            select(EventLog.xact, EventLog.id)
            .where(col(EventLog.id) <= event_id)
            .order_by(col(EventLog.id).desc())
            .limit(1)
        )
    ).first()
    if row is None or row[0] is None or row[1] is None:
        return START
    return Cursor(row[0], row[1])
