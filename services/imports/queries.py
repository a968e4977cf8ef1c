"""Reading imports and their rejections."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.tables import Import, ImportRejection
from services.imports.upsert import BatchCounts


async def recent(session: AsyncSession, limit: int) -> Sequence[Import]:
    stmt = select(Import).order_by(col(Import.created_at).desc()).limit(limit)
    return (await session.exec(stmt)).all()


async def rejections(
    session: AsyncSession, import_id: uuid.UUID, limit: int, after_id: int = 0
) -> Sequence[ImportRejection]:
    """In file order (they are written in file order), from after `after_id`."""
    stmt = (
        select(ImportRejection)
        .where(ImportRejection.import_id == import_id, col(ImportRejection.id) > after_id)
        .order_by(col(ImportRejection.id))
        .limit(limit)
    )
    return (await session.exec(stmt)).all()


async def add_counts(session: AsyncSession, import_id: uuid.UUID, counts: BatchCounts) -> None:
    """Progress, in the batch's own transaction: the counts never run ahead of the leads."""
    await session.exec(
        update(Import)
        .where(col(Import.id) == import_id)
        .values(
            rows=col(Import.rows) + counts.rows,
            created=col(Import.created) + counts.created,
            updated=col(Import.updated) + counts.updated,
            skipped=col(Import.skipped) + counts.skipped,
            rejected=col(Import.rejected) + counts.rejected,
            suppressed=col(Import.suppressed) + counts.suppressed,
            progress_at=func.now(),
        )
    )
