"""Reading and locking leads and their enrollments."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import exists, func, or_, tuple_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import OPEN_ENROLLMENT_STATES
from models.tables import Enrollment, Lead
from services.leads.listing import LeadCursor, LeadFilter


async def lock_lead(session: AsyncSession, lead_id: uuid.UUID) -> Lead | None:
    """Row-lock the lead: sends and replies for one lead serialise on this lock."""
    result = await session.exec(select(Lead).where(Lead.id == lead_id).with_for_update())
    return result.first()


async def open_enrollment(session: AsyncSession, lead_id: uuid.UUID) -> Enrollment | None:
    """The lead's running (active, paused or waiting-for-ops) enrollment, if any."""
    return (
        await session.exec(
            select(Enrollment).where(
                Enrollment.lead_id == lead_id,
                col(Enrollment.state).in_(OPEN_ENROLLMENT_STATES),
            )
        )
    ).first()


async def find_for_upsert(
    session: AsyncSession, email: str | None, phone: str | None
) -> Lead | None:
    """The lead an upsert updates (locked): by email (case-insensitive), else an email-less
    lead with this phone."""
    if email:
        stmt = select(Lead).where(func.lower(Lead.email) == email.lower())
    else:
        stmt = select(Lead).where(Lead.phone == phone, col(Lead.email).is_(None))
    return (await session.exec(stmt.with_for_update())).first()


async def latest_enrollment(session: AsyncSession, lead_id: uuid.UUID) -> Enrollment | None:
    return (
        await session.exec(
            select(Enrollment)
            .where(Enrollment.lead_id == lead_id)
            .order_by(col(Enrollment.created_at).desc())
            .limit(1)
        )
    ).first()


def _like_pattern(text: str) -> str:
    """`text` as a literal substring for ILIKE: its own % and _ match only themselves."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _conditions(where: LeadFilter) -> list[Any]:
    conditions: list[Any] = []
    if where.statuses:
        conditions.append(col(Lead.status).in_(where.statuses))
    if where.campaign_id is not None:
        conditions.append(
            exists().where(
                col(Enrollment.lead_id) == col(Lead.id),
                col(Enrollment.campaign_id) == where.campaign_id,
            )
        )
    if where.owner:
        conditions.append(func.lower(Lead.owner) == where.owner.lower())
    if where.company:
        conditions.append(func.lower(Lead.company) == where.company.lower())
    if where.email:
        conditions.append(func.lower(Lead.email) == where.email.lower())
    if where.q:
        pattern = _like_pattern(where.q)
        conditions.append(
            or_(
                col(Lead.name).ilike(pattern, escape="\\"),
                col(Lead.email).ilike(pattern, escape="\\"),
                col(Lead.company).ilike(pattern, escape="\\"),
            )
        )
    if where.created_after is not None:
        conditions.append(col(Lead.created_at) >= where.created_after)
    if where.created_before is not None:
        conditions.append(col(Lead.created_at) < where.created_before)
    return conditions


async def page_of_leads(
    session: AsyncSession,
    where: LeadFilter,
    limit: int,
    offset: int = 0,
    after: LeadCursor | None = None,
) -> tuple[list[Lead], int, bool]:
    """(up to `limit` leads newest first, after the cursor; total matching the filter,
    cursor aside; whether more follow)."""
    conditions = _conditions(where)
    total = (await session.exec(select(func.count()).select_from(Lead).where(*conditions))).one()
    stmt = select(Lead).where(*conditions)
    if after is not None:
        stmt = stmt.where(
            tuple_(col(Lead.created_at), col(Lead.id)) < tuple_(after.created_at, after.id)
        )
    newest_first = stmt.order_by(col(Lead.created_at).desc(), col(Lead.id).desc())
    rows = list((await session.exec(newest_first.offset(offset).limit(limit + 1))).all())
    return rows[:limit], total, len(rows) > limit
