"""Which leads a campaign enrolls: explicit ids, the leads of an import, or a filter on the
lead's fields. Leads are paged in ascending id order after a cursor, so an enrollment that
stops part-way resumes exactly where it was."""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, func, text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.tables import Lead
from services.errors import InvalidInput
from workflows.campaign_contracts import LeadFilter, LeadSelector

# The imports branch owns these tables; campaigns read the association when it exists.
IMPORT_LEAD_TABLE = "import_lead"


async def _import_table_exists(session: AsyncSession) -> bool:
    found = await session.exec(  # type: ignore[call-overload]
        text("SELECT to_regclass(:name) IS NOT NULL").bindparams(name=IMPORT_LEAD_TABLE)
    )
    return bool(found.scalar_one())


async def _require_import(session: AsyncSession, import_id: str) -> None:
    if not await _import_table_exists(session):
        raise InvalidInput(
            "imports are not available",
            [{"field": "import_id", "message": "imports are not available on this server"}],
        )
    exists = await session.exec(  # type: ignore[call-overload]
        text(f"SELECT EXISTS (SELECT 1 FROM {IMPORT_LEAD_TABLE} WHERE import_id = :i)").bindparams(
            i=import_id
        )
    )
    if not exists.scalar_one():
        raise InvalidInput(
            f"import {import_id} has no leads",
            [{"field": "import_id", "message": "no import with leads has this id"}],
        )


async def leads_of_import(
    session: AsyncSession, import_id: str, cursor: str | None = None, limit: int | None = None
) -> list[uuid.UUID]:
    """The leads an import created or updated (ascending ids after `cursor`), through the
    `import_lead` association; a 422 while this server has no imports."""
    await _require_import(session, import_id)
    sql = f"SELECT lead_id FROM {IMPORT_LEAD_TABLE} WHERE import_id = :i"
    params: dict[str, object] = {"i": import_id}
    if cursor is not None:
        sql += " AND lead_id > CAST(:cursor AS uuid)"
        params["cursor"] = cursor
    sql += " ORDER BY lead_id"
    if limit is not None:
        sql += " LIMIT :limit"
        params["limit"] = limit
    rows = await session.exec(text(sql).bindparams(**params))  # type: ignore[call-overload]
    return [uuid.UUID(str(r[0])) for r in rows.all()]


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
        return len(await leads_of_import(session, selector.import_id))
    assert selector.filter is not None
    counted = await session.exec(
        select(func.count()).select_from(Lead).where(*_conditions(selector.filter))
    )
    return counted.one()
