"""The event log in commit order.

Only events whose inserting transaction is below the oldest one still running
(`pg_snapshot_xmin`) are delivered: every transaction below it has ended, so no event can
commit behind a cursor later. In one statement (one snapshot), rows after the cursor are read
in (xact, id) order with a `ready` flag; ready rows come first, and any row that is not ready
means events exist that an older open transaction still holds back.

Each event comes with its lead's name, outer-joined in the same statement.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, true, tuple_
from sqlalchemy.orm import aliased
from sqlmodel import col, literal, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.tables import EventLog, Lead, Xid8
from services.live.cursor import START, Cursor


def _xmin() -> ColumnElement[int]:
    """The oldest transaction still running, as of this statement's snapshot."""
    return func.pg_snapshot_xmin(func.pg_current_snapshot(), type_=Xid8())


@dataclass(frozen=True)
class Logged:
    """An event of the log and the name of its lead (None: no lead)."""

    event: EventLog
    lead_name: str | None

    @property
    def cursor(self) -> Cursor:
        assert self.event.xact is not None and self.event.id is not None
        return Cursor(self.event.xact, self.event.id)


@dataclass(frozen=True)
class Batch:
    events: list[Logged]
    cursor: Cursor  # after the last event delivered (or the one asked for)
    held_back: bool  # committed events wait for an older transaction to end
    full: bool  # the limit was reached: read again at once


async def read_after(session: AsyncSession, cursor: Cursor, limit: int = 500) -> Batch:
    """The deliverable events after `cursor`, oldest commit first."""
    ready = (col(EventLog.xact) < _xmin()).label("ready")
    rows = (
        await session.exec(
            select(EventLog, ready, col(Lead.name))
            .outerjoin(Lead, col(Lead.id) == col(EventLog.lead_id))
            .where(
                tuple_(col(EventLog.xact), col(EventLog.id))
                > tuple_(literal(cursor.xact, Xid8()), literal(cursor.id))
            )
            .order_by(col(EventLog.xact), col(EventLog.id))
            .limit(limit)
        )
    ).all()
    events = [Logged(event, name) for event, is_ready, name in rows if is_ready]
    if events:
        cursor = events[-1].cursor
    return Batch(
        events=events,
        cursor=cursor,
        held_back=len(events) < len(rows),
        full=len(events) == limit,
    )


async def newest(
    session: AsyncSession,
    limit: int,
    *,
    lead_id: uuid.UUID | None = None,
    campaign_id: uuid.UUID | None = None,
) -> tuple[list[Logged], Cursor]:
    """The `limit` most recent deliverable events (newest commit first), and the tail as of
    the same snapshot: where the stream continues after them.

    One statement: the snapshot's xmin is a one-row table, outer-joined with (lateral) the
    newest events below that xmin, so there is a row, and the tail, even when there are no
    events. An event listed here therefore can never be preceded by one that commits later,
    and the stream resumed at the tail sends every event not listed (filters aside)."""
    snap = select(_xmin().label("xmin")).subquery("snap")
    where = [col(EventLog.xact) < snap.c.xmin]
    if lead_id is not None:
        where.append(col(EventLog.lead_id) == lead_id)
    if campaign_id is not None:
        where.append(col(EventLog.campaign_id) == campaign_id)
    found = (
        select(EventLog, col(Lead.name).label("lead_name"))
        .outerjoin(Lead, col(Lead.id) == col(EventLog.lead_id))
        .where(*where)
        .order_by(col(EventLog.xact).desc(), col(EventLog.id).desc())
        .limit(limit)
        .lateral("found")
    )
    event = aliased(EventLog, found)
    rows = (
        await session.exec(
            select(snap.c.xmin, event, found.c.lead_name)
            .select_from(snap)
            .outerjoin(found, true())
            .order_by(found.c.xact.desc(), found.c.id.desc())
        )
    ).all()
    tail = Cursor(rows[0][0], 0)
    return [Logged(e, name) for _, e, name in rows if e is not None], tail


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
