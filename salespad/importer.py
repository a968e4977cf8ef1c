"""`salespad import FILE`: the Ingestion Service run in this process against the database,
with a progress bar, writing the rejected rows beside the file. With `--campaign` the done
import's leads go to a campaign (an existing one, or a new one with `--sequence`), enrolled in
the background by the workers through Temporal."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from pathlib import Path

from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from temporalio.client import Client

from config.settings import Settings
from config.temporal import connect
from models.db import Database
from models.tables import Import
from salespad.local import database_url_for
from services.errors import InvalidInput, SalesPadError, ServiceUnavailable
from services.gateway import LeadWorkflowGateway, LeadWorkflows
from services.imports import service
from services.imports.enroll import CampaignTarget, resolve_target
from services.imports.upsert import BatchCounts

CONNECT_TIMEOUT = 10.0


class ImportFailed(Exception):
    """What to tell the user (one line) and the exit code; `summary`, when set, is what was
    imported before the failure, printed first."""

    def __init__(self, message: str, code: int = 1, summary: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.summary = summary


def temporal_workflows(settings: Settings) -> LeadWorkflowGateway:
    """The workflow gateway on the Temporal server the settings name, connecting on first use
    (once): ServiceUnavailable if it does not answer within CONNECT_TIMEOUT seconds."""
    client: Client | None = None

    async def source() -> Client:
        nonlocal client
        if client is None:
            try:
                client = await asyncio.wait_for(
                    connect(settings),
                    CONNECT_TIMEOUT,
                )
            except Exception as exc:
                raise ServiceUnavailable(
                    f"Temporal is not reachable at {settings.temporal_target}", str(exc)
                ) from exc
        return client

    return LeadWorkflows(source, settings.task_queue)


# How `--campaign` reaches Temporal; the tests put the recording gateway here.
workflows_factory: Callable[[Settings], LeadWorkflowGateway] = temporal_workflows


def _one_line(exc: SalesPadError) -> str:
    details = exc.detail if isinstance(exc.detail, list) else []
    extra = [
        d.get("message", "")
        for d in details
        if isinstance(d, dict) and d.get("message") and d.get("message") != exc.message
    ]
    return f"{exc.message} ({'; '.join(extra)})" if extra else exc.message


def import_file(
    settings: Settings,
    path: Path,
    mapping: dict[str, str],
    on_duplicate: str,
    campaign: str | None,
    rejected_path: Path,
    sequence: str | None = None,
) -> str:
    """Import `path`; returns the summary to print. ImportFailed on bad input or a failure.

    `campaign` alone names an existing campaign (id or name) the leads are added to; with
    `sequence` it is the name of a new campaign over the import's leads. Both are checked, and
    Temporal reached, before a row is imported."""
    url = database_url_for(settings)
    if url is None:
        raise ImportFailed(
            "no database: start `salespad dev` here, or set SALESPAD_DATABASE_URL", 2
        )
    try:
        options = service.parse_options(on_duplicate, mapping, campaign)
        if sequence is not None and not options.campaign:
            raise InvalidInput("--sequence needs --campaign NAME (the new campaign's name)")
        prepared = service.prepare(path, path.name, options, delete_after=False)
    except SalesPadError as exc:
        raise ImportFailed(_one_line(exc), 2) from None
    return asyncio.run(_run(url, settings, prepared, rejected_path, sequence))


async def _run(
    url: str,
    settings: Settings,
    prepared: service.PreparedImport,
    rejected: Path,
    sequence: str | None,
) -> str:
    db = Database(url, pool_size=2)
    totals = BatchCounts()
    try:
        workflows, target = await _campaign_target(db, settings, prepared, sequence)
        record = await service.create_record(db, prepared, target)
        with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn()) as bar:
            task = bar.add_task(f"importing {prepared.filename}", total=1.0)

            def progress(counts: BatchCounts, done: float) -> None:
                for name in ("created", "updated", "skipped", "rejected", "suppressed"):
                    setattr(totals, name, getattr(totals, name) + getattr(counts, name))
                bar.update(task, completed=done, description=f"{totals.rows} rows")

            await service.run(
                db,
                record.id,
                prepared,
                settings.default_phone_region,
                on_progress=progress,
                workflows=workflows,
                target=target,
            )
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
        if target is not None:
            if result.campaign_id is None:
                raise ImportFailed(result.error or "enrolling could not start", 1, "\n".join(lines))
            lines.append(
                f"campaign {result.campaign_id}: enrolling in the background: "
                f"GET /api/campaigns/{result.campaign_id}"
            )
        return "\n".join(lines)
    finally:
        await db.dispose()


async def _campaign_target(
    db: Database, settings: Settings, prepared: service.PreparedImport, sequence: str | None
) -> tuple[LeadWorkflowGateway | None, CampaignTarget | None]:
    """`--campaign` checked, then Temporal reached, before anything is imported."""
    ref = prepared.options.campaign
    if not ref:
        return None, None
    try:
        workflows = workflows_factory(settings)
        return workflows, await resolve_target(db, workflows, ref, sequence)
    except SalesPadError as exc:
        prepared.discard()
        code = 1 if isinstance(exc, ServiceUnavailable) else 2
        raise ImportFailed(_one_line(exc), code) from None


async def _row(db: Database, import_id: uuid.UUID) -> Import:
    async with db.session() as session:
        return await service.get_import(session, import_id)
