"""Lead imports: upload a CSV or XLSX file, follow its progress, download the rejected rows."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from api.deps import SessionDep, StateDep
from api.openapi import errors
from services.errors import InvalidInput, PayloadTooLarge
from services.imports import service
from services.imports.enroll import resolve_target
from services.imports.schemas import ImportDetail, ImportList

router = APIRouter(prefix="/imports", tags=["imports"])


@router.post(
    "",
    response_model=ImportDetail,
    status_code=201,
    summary="Import leads from a CSV or XLSX file (multipart field `file`)",
    responses={
        201: {"description": "Imported: the counts and the rejected rows"},
        202: {"description": "Importing in the background: follow the Location header"},
        **errors(
            e409="`campaign` is stopped (nothing imported)",
            e413="The file is over SALESPAD_MAX_IMPORT_BYTES",
            e422="A bad field, named (a multipart body that cannot be read names `body`); "
            "an unknown or ambiguous `campaign`",
            e503="`campaign` given and Temporal unreachable (nothing imported)",
        ),
    },
)
async def create_import(
    request: Request,
    response: Response,
    state: StateDep,
    file: Annotated[UploadFile | None, File(description="CSV (any delimiter) or XLSX")] = None,
    mapping: Annotated[
        str | None, Form(description='JSON {"column": "field"}, e.g. {"Work Mail": "email"}')
    ] = None,
    on_duplicate: Annotated[str, Form(description="update | skip | fill-empty")] = "update",
    campaign: Annotated[
        str | None,
        Form(
            description="An existing campaign's id or name: once the import is done its leads "
            "are added to it and enrolled in the background (as POST /api/campaigns/{id}/leads)"
        ),
    ] = None,
) -> ImportDetail:
    settings = state.settings
    if file is None or isinstance(file, str):
        raise InvalidInput(
            "no file: send the CSV or XLSX as the multipart field `file`",
            [{"field": "file", "message": "required"}],
        )
    if file.size is not None and file.size > settings.max_import_bytes:
        raise PayloadTooLarge(
            f"the file is larger than the {settings.max_import_bytes // (1 << 20)} MB limit",
            [{"field": "file", "message": f"{file.size} bytes"}],
        )
    options = service.parse_options(on_duplicate, mapping, campaign)
    # The campaign is checked (and Temporal reached) before a byte of the file is read.
    target = (
        await resolve_target(state.db, state.workflows, options.campaign)
        if options.campaign
        else None
    )
    path = await run_in_threadpool(service.spool, file.file, settings.max_import_bytes)
    prepared = await run_in_threadpool(service.prepare, path, file.filename or "upload", options)
    result = await service.start_import(
        state.db,
        state.imports,
        prepared,
        region=settings.default_phone_region,
        sync_max_bytes=settings.import_sync_max_bytes,
        workflows=state.workflows,
        target=target,
    )
    response.headers["Location"] = str(request.url_for("get_import", import_id=result.id))
    if result.status == "processing":
        response.status_code = 202
    return result


@router.get("", response_model=ImportList, summary="Recent imports, newest first")
async def list_imports(
    session: SessionDep, limit: int = Query(default=20, ge=1, le=200)
) -> ImportList:
    return ImportList(items=await service.recent_imports(session, limit))


@router.get(
    "/{import_id}",
    response_model=ImportDetail,
    summary="An import's status, counts, rejections",
    responses=errors(404),
)
async def get_import(import_id: uuid.UUID, session: SessionDep) -> ImportDetail:
    return await service.import_detail(session, import_id)


@router.get(
    "/{import_id}/rejected.csv",
    response_class=StreamingResponse,
    summary="The rejected rows in their original columns plus `reason`, to fix and re-import",
    responses={200: {"content": {"text/csv": {}}}, **errors(404)},
)
async def rejected_csv(import_id: uuid.UUID, session: SessionDep, state: StateDep) -> Response:
    row = await service.get_import(session, import_id)
    return StreamingResponse(
        service.rejected_rows_csv(state.db, row),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="rejected-{import_id}.csv"'},
    )
