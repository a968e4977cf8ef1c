"""`salespad import FILE`: the Ingestion Service run in this process against the database,
with a progress bar, writing the rejected rows beside the file."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from config.settings import Settings
from models.db import Database
from models.tables import Import
from services.errors import SalesPadError
from services.imports import service
from services.imports.upsert import BatchCounts


class ImportFailed(Exception):
    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def import_file(
    settings: Settings,
    path: Path,
    mapping: dict[str, str],
    on_duplicate: str,
    campaign: str | None,
    rejected_path: Path,
) -> str:
    """Import `path`; returns the summary to print. ImportFailed on bad input or a failure."""
    url = settings.require_database_url()
    try:
        options = service.parse_options(on_duplicate, mapping, campaign)
        prepared = service.prepare(path, path.name, options, delete_after=False)
    except SalesPadError as exc:
        detail = "; ".join(d.get("message", "") for d in exc.detail or [] if isinstance(d, dict))
        raise ImportFailed(f"{exc.message}{f' ({detail})' if detail else ''}", 2) from None
    return asyncio.run(_run(url, settings.default_phone_region, prepared, rejected_path))


async def _run(url: str, region: str, prepared: service.PreparedImport, rejected: Path) -> str:
    db = Database(url, pool_size=2)
    totals = BatchCounts()
    try:
        record = await service.create_record(db, prepared)
        with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn()) as bar:
            task = bar.add_task(f"importing {prepared.filename}", total=1.0)

            def progress(counts: BatchCounts, done: float) -> None:
                for name in ("created", "updated", "skipped", "rejected", "suppressed"):
                    setattr(totals, name, getattr(totals, name) + getattr(counts, name))
                bar.update(task, completed=done, description=f"{totals.rows} rows")

            await service.run(db, record.id, prepared, region, on_progress=progress)
        async with db.session() as session:
            result = await service.import_detail(session, record.id)
        if result.status == "failed":
            raise ImportFailed(f"import {result.id} failed: {result.error}")
        lines = [
            f"import {result.id}: {result.rows} rows, {result.created} created, "
            f"{result.updated} updated, {result.skipped} skipped, {result.rejected} rejected, "
            f"{result.suppressed} suppressed"
        ]
        if result.rejected:
            with rejected.open("w", encoding="utf-8", newline="") as out:
                async for chunk in service.rejected_rows_csv(db, await _row(db, record.id)):
                    out.write(chunk)
            lines.append(f"rejected rows (with a reason column) written to {rejected}")
            lines += [
                f"  line {r.line}: {r.column or '-'}: {r.reason}" for r in result.rejections[:10]
            ]
        return "\n".join(lines)
    finally:
        await db.dispose()


async def _row(db: Database, import_id: uuid.UUID) -> Import:
    async with db.session() as session:
        return await service.get_import(session, import_id)
