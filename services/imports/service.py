"""The Ingestion Service: a CSV or XLSX file in, leads upserted in batches, every rejected row
kept with its line and reason.

The file is spooled to disk and read one row at a time; rows are validated in a worker thread
(so the API's event loop keeps serving) and written set-based, one transaction per batch, with
the import's counts updated in that same transaction.
"""

from __future__ import annotations

import asyncio
import json
import logging
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import IO, Any, get_args

from sqlalchemy import update
from sqlmodel import col

from models.db import Database
from models.tables import Import, utcnow
from services.errors import InvalidInput, NotFound, PayloadTooLarge
from services.gateway import LeadWorkflowGateway
from services.imports import queries, rejected_csv
from services.imports.columns import ColumnPlan, parse_mapping, plan_columns
from services.imports.enroll import CampaignTarget, enroll_import
from services.imports.readers import Table, open_table
from services.imports.schemas import REJECTIONS_SHOWN, ImportDetail, ImportPublic, RejectionPublic
from services.imports.upsert import BatchCounts, OnDuplicate, apply_batch
from services.imports.validate import CleanRow, Rejection, validate_row

log = logging.getLogger("salespad.imports")
BATCH_SIZE = 2000
ON_DUPLICATE: tuple[str, ...] = get_args(OnDuplicate)
Progress = Callable[[BatchCounts, float], None]


@dataclass
class ImportOptions:
    on_duplicate: OnDuplicate = "update"
    mapping: dict[str, str] = field(default_factory=dict)
    # A campaign's id or name, as given: its leads go there once the import is done.
    campaign: str | None = None


def parse_options(
    on_duplicate: str | None, mapping: str | dict[str, str] | None, campaign: str | None
) -> ImportOptions:
    """POST /api/imports' form fields (or the CLI's flags), checked: a 422 names the bad one."""
    mode = on_duplicate or "update"
    if mode not in ON_DUPLICATE:
        raise InvalidInput(
            f"unknown on_duplicate {mode!r}",
            [{"field": "on_duplicate", "message": f"one of: {', '.join(ON_DUPLICATE)}"}],
        )
    raw: object = mapping
    if isinstance(mapping, str):
        try:
            raw = json.loads(mapping) if mapping.strip() else None
        except json.JSONDecodeError as exc:
            raise InvalidInput(
                "mapping is not valid JSON", [{"field": "mapping", "message": str(exc)}]
            ) from exc
    return ImportOptions(mode, parse_mapping(raw), (campaign or "").strip() or None)  # type: ignore[arg-type]


def spool(src: IO[bytes], limit: int) -> Path:
    """Copy an upload to a file of our own (it outlives the request); 413 over `limit` bytes."""
    fd, name = tempfile.mkstemp(prefix="salespad-import-")
    path = Path(name)
    size = 0
    with open(fd, "wb") as out:
        while chunk := src.read(1 << 20):
            size += len(chunk)
            if size > limit:
                out.close()
                path.unlink(missing_ok=True)
                raise PayloadTooLarge(
                    f"the file is larger than the {limit // (1 << 20)} MB import limit",
                    [{"field": "file", "message": "split it, or raise SALESPAD_MAX_IMPORT_BYTES"}],
                )
            out.write(chunk)
    return path


@dataclass
class PreparedImport:
    """A readable file with a usable header: everything a client can get wrong is checked."""

    path: Path
    filename: str
    options: ImportOptions
    table: Table
    plan: ColumnPlan
    delete_after: bool = True

    def discard(self) -> None:
        self.table.close()
        if self.delete_after:
            self.path.unlink(missing_ok=True)


def prepare(
    path: Path, filename: str, options: ImportOptions, *, delete_after: bool = True
) -> PreparedImport:
    try:
        table = open_table(path, filename)
    except BaseException:
        if delete_after:
            path.unlink(missing_ok=True)
        raise
    try:
        plan = plan_columns(table.header, options.mapping)
    except BaseException:
        table.close()
        if delete_after:
            path.unlink(missing_ok=True)
        raise
    return PreparedImport(path, filename, options, table, plan, delete_after)


async def create_record(
    db: Database, prepared: PreparedImport, target: CampaignTarget | None = None
) -> Import:
    """The import row, status "processing", before any lead is written. `campaign_id` stays
    empty until the done import's leads have been handed to the campaign."""
    options = prepared.options
    recorded: dict[str, Any] = {
        "on_duplicate": options.on_duplicate,
        "mapping": options.mapping,
        "columns": prepared.plan.describe(),
    }
    if target is not None:
        recorded["campaign"] = options.campaign or target.name
        if target.sequence is not None:
            recorded["sequence"] = target.sequence
    row = Import(
        filename=prepared.filename,
        options=recorded,
        columns=prepared.plan.header,
    )
    async with db.session() as session:
        session.add(row)
        await session.commit()
    return row


class _Batches:
    """Validated rows in batches. A row repeating an email (else phone) seen earlier in the
    file is a duplicate: the first one wins, so re-running a file changes nothing."""

    def __init__(self, prepared: PreparedImport, region: str, size: int) -> None:
        self._rows: Iterator[Any] = prepared.table.rows()
        self._plan = prepared.plan
        self._region = region
        self._size = size
        self._seen: set[str] = set()  # keys only: a few dozen MB for a million rows

    def next(self) -> tuple[list[CleanRow], list[Rejection], int] | None:
        clean: list[CleanRow] = []
        rejected: list[Rejection] = []
        duplicates = 0
        while len(clean) + len(rejected) + duplicates < self._size:
            source = next(self._rows, None)
            if source is None:
                break
            result = validate_row(self._plan, source, self._region)
            if isinstance(result, Rejection):
                rejected.append(result)
            elif (key := result.key()) in self._seen:
                duplicates += 1
            else:
                self._seen.add(key)
                clean.append(result)
        return (clean, rejected, duplicates) if clean or rejected or duplicates else None


async def run(
    db: Database,
    import_id: uuid.UUID,
    prepared: PreparedImport,
    region: str,
    *,
    batch_size: int = BATCH_SIZE,
    on_progress: Progress | None = None,
    workflows: LeadWorkflowGateway | None = None,
    target: CampaignTarget | None = None,
) -> None:
    """Import every row, then mark the import done; any failure marks it failed, naming the
    error (batches already committed stay: re-running the file is safe). With a `target`, the
    imported leads are handed to that campaign before the import is marked done (enroll.py:
    if that fails, the import is still done and its `error` says why)."""
    batches = _Batches(prepared, region, batch_size)
    try:
        while (batch := await asyncio.to_thread(batches.next)) is not None:
            clean, rejected, duplicates = batch
            async with db.session() as session:
                counts = await apply_batch(
                    session, import_id, clean, rejected, prepared.options.on_duplicate
                )
                counts.skipped += duplicates
                await queries.add_counts(session, import_id, counts)
                await session.commit()
            if on_progress is not None:
                on_progress(counts, prepared.table.progress())
        outcome: tuple[uuid.UUID | None, str | None] = (None, None)
        if target is not None and workflows is not None:
            outcome = await enroll_import(db, workflows, import_id, target)
        # Done, with the campaign's outcome in the same write: a done import says it all.
        await _finish(db, import_id, "done", outcome[1], outcome[0])
    except asyncio.CancelledError:
        await _finish(db, import_id, "failed", "interrupted: the process stopped mid-import")
        raise
    except Exception as exc:
        log.exception("import %s failed", import_id)
        await _finish(db, import_id, "failed", f"{type(exc).__name__}: {exc}")
    finally:
        prepared.discard()


async def _finish(
    db: Database,
    import_id: uuid.UUID,
    status: str,
    error: str | None,
    campaign_id: uuid.UUID | None = None,
) -> None:
    async with db.session() as session:
        row = await session.get(Import, import_id)
        if row is not None:
            row.status, row.error, row.finished_at = status, error, utcnow()
            if campaign_id is not None:
                row.campaign_id = str(campaign_id)
            await session.commit()


# No batch commits for this long: the process running the import is gone (a batch takes
# seconds; a crash or kill -9 of the API leaves the import "processing" for ever otherwise).
ABANDONED_AFTER = timedelta(minutes=10)


async def fail_abandoned(db: Database, older_than: timedelta = ABANDONED_AFTER) -> int:
    """Mark imports whose progress stopped long ago failed, saying how to finish them; returns
    how many. Safe beside other API processes: a live import moves its progress every batch."""
    async with db.session() as session:
        result = await session.exec(
            update(Import)
            .where(
                col(Import.status) == "processing",
                col(Import.progress_at) < utcnow() - older_than,
            )
            .values(
                status="failed",
                finished_at=utcnow(),
                error=(
                    "interrupted: the process importing it stopped. Import the same file again: "
                    "rows already imported are recognised, nothing is doubled"
                ),
            )
        )
        await session.commit()
        return int(result.rowcount)


class ImportRunner:
    """Background imports of one API process: kept referenced, cancelled at shutdown (the
    import is then marked failed, never left "processing" by a clean stop)."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


async def start_import(
    db: Database,
    runner: ImportRunner,
    prepared: PreparedImport,
    *,
    region: str,
    sync_max_bytes: int,
    workflows: LeadWorkflowGateway | None = None,
    target: CampaignTarget | None = None,
) -> ImportDetail:
    """Small files are imported before this returns; bigger ones in the background (the
    result then says "processing" and GET /api/imports/{id} shows the progress). With a
    `target` (checked beforehand by enroll.resolve_target) the done import's leads are then
    added to that campaign."""
    record = await create_record(db, prepared, target)
    work = run(db, record.id, prepared, region, workflows=workflows, target=target)
    if prepared.path.stat().st_size <= sync_max_bytes:
        await work
    else:
        runner.spawn(work)
    async with db.session() as session:
        return await import_detail(session, record.id)


def to_public(row: Import) -> ImportPublic:
    return ImportPublic.model_validate(row, from_attributes=True)


async def get_import(session: Any, import_id: uuid.UUID) -> Import:
    row: Import | None = await session.get(Import, import_id)
    if row is None:
        raise NotFound(f"import {import_id} not found")
    return row


async def import_detail(session: Any, import_id: uuid.UUID) -> ImportDetail:
    row = await get_import(session, import_id)
    await session.refresh(row)
    shown = await queries.rejections(session, import_id, REJECTIONS_SHOWN)
    return ImportDetail(
        **to_public(row).model_dump(),
        rejections=[RejectionPublic(line=r.line, column=r.column, reason=r.reason) for r in shown],
        rejected_csv=f"/api/imports/{import_id}/rejected.csv",
    )


async def recent_imports(session: Any, limit: int) -> list[ImportPublic]:
    return [to_public(r) for r in await queries.recent(session, limit)]


def rejected_rows_csv(db: Database, row: Import) -> AsyncIterator[str]:
    """Every rejected row in its original columns, plus `reason`."""
    return rejected_csv.stream(db, row.id, list(row.columns))
