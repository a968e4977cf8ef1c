"""Which leads a campaign enrolls: explicit ids, the leads of an import, or a filter on the
lead's fields. Leads are paged in ascending id order after a cursor, so an enrollment that
stops part-way resumes exactly where it was."""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.tables import Import, ImportLead, Lead
from services.errors import InvalidInput
from workflows.campaign_contracts import LeadFilter, LeadSelector


async def _require_import(session: AsyncSession, import_id: str) -> uuid.UUID:
    try:
        found = await session.get(Import, uuid.UUID(import_id))
    except ValueError:
        found = None
    if found is None:
        raise InvalidInput(
            f"import {import_id} not found",
            [{"field": "import_id", "message": "no import has this id (GET /api/imports)"}],
        )
    return found.id


async def leads_of_import(
    session: AsyncSession, import_id: str, cursor: str | None = None, limit: int | None = None
) -> list[uuid.UUID]:
    """The leads a file named (ascending ids after `cursor`); a 422 for an unknown import."""
    key = await _require_import(session, import_id)
    query = select(ImportLead.lead_id).where(ImportLead.import_id == key)
    if cursor is not None:
        query = query.where(col(ImportLead.lead_id) > uuid.UUID(cursor))
    query = query.order_by(col(ImportLead.lead_id))
    if limit is not None:
        query = query.limit(limit)
    return list((await session.exec(query)).all())


def _conditions(f: LeadFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if f.status:
        conditions.append(col(Lead.status) == f.status.upper())
    if f.owner:
        conditions.append(col(Lead.owner) == f.owner)
    if f.company:
        conditions.append(col(Lead.company) == f.company)
    if f.metadata:
        conditions.append(col(Lead.meta).contains(f.metadata))  # JSONB @>: key equality
    return conditions


async def page_of_leads(
    session: AsyncSession, selector: LeadSelector, cursor: str | None, limit: int
) -> list[uuid.UUID]:
    """The next `limit` selected lead ids after `cursor`, ascending."""
    if selector.lead_ids is not None:
        ids = sorted({str(uuid.UUID(i)) for i in selector.lead_ids})
        return [uuid.UUID(i) for i in ids if cursor is None or i > cursor][:limit]
    if selector.import_id is not None:
        return await leads_of_import(session, selector.import_id, cursor, limit)
    assert selector.filter is not None
    stmt = select(Lead.id).where(*_conditions(selector.filter))
    if cursor is not None:
        stmt = stmt.where(col(Lead.id) > uuid.UUID(cursor))
    rows = await session.exec(stmt.order_by(col(Lead.id)).limit(limit))
    return list(rows.all())


async def count_selected(session: AsyncSession, selector: LeadSelector) -> int:
    """How many leads the selector names now (explicit ids count once each)."""
    if selector.lead_ids is not None:
        return len(set(selector.lead_ids))
    if selector.import_id is not None:
        key = await _require_import(session, selector.import_id)
        named = await session.exec(
            select(func.count()).select_from(ImportLead).where(ImportLead.import_id == key)
        )
        return named.one()
    assert selector.filter is not None
    counted = await session.exec(
        select(func.count()).select_from(Lead).where(*_conditions(selector.filter))
    )
    return counted.one()
