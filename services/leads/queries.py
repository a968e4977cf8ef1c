"""Reading and locking leads and their enrollments."""

from __future__ import annotations

import uuid

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import OPEN_ENROLLMENT_STATES
from models.tables import Enrollment, Lead


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


async def page_of_leads(
    session: AsyncSession, status: str | None, email: str | None, limit: int, offset: int
) -> tuple[list[Lead], int]:
    """(leads newest first, total matching)."""
    stmt = select(Lead)
    if status is not None:
        stmt = stmt.where(Lead.status == status)
    if email:
        stmt = stmt.where(func.lower(Lead.email) == email.lower())
    total = (await session.exec(select(func.count()).select_from(stmt.subquery()))).one()
    rows = (
        await session.exec(stmt.order_by(col(Lead.created_at).desc()).offset(offset).limit(limit))
    ).all()
    return list(rows), total
