from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Response
from pydantic import ValidationError

from api.auth import OPS
from api.deps import ReplyWaitQuery, SessionDep, SettingsDep, StateDep, WorkflowsDep
from api.openapi import errors
from models.enums import LeadStatus
from services.datetimes import IsoDateTime
from services.erasure.schemas import ErasureResult
from services.erasure.service import erase_lead
from services.errors import InvalidInput, field_errors
from services.leads import service
from services.leads.listing import (
    MAX_LIMIT,
    MAX_OFFSET,
    MAX_TEXT,
    CursorToken,
    FilterText,
    LeadFilter,
)
from services.leads.schemas import LeadBatchResult, LeadCreate, LeadDetail, LeadList, LeadPublic
from services.replies.schemas import ReplyCreate, ReplyResult
from services.replies.service import handle_reply

router = APIRouter(prefix="/leads", tags=["leads"])


@router.post(
    "",
    response_model=LeadPublic | LeadBatchResult,
    summary="Create or update leads (one object, or a list); upsert by email, else phone",
    responses={
        201: {"description": "Lead created"},
        200: {"description": "Updated / batch"},
        **errors(422),
    },
)
async def create_leads(
    session: SessionDep,
    response: Response,
    payload: Annotated[
        dict[str, Any] | list[Any],
        Body(
            description="A LeadCreate object, or a list of them",
            openapi_examples={
                "one": {"value": {"name": "Ada Lovelace", "email": "ada@example.com"}},
                "many": {"value": [{"name": "Grace Hopper", "phone": "+14155550123"}]},
            },
        ),
    ],
) -> LeadPublic | LeadBatchResult:
    if isinstance(payload, list):
        return await service.upsert_many(session, payload)
    try:
        data = LeadCreate.model_validate(payload)
    except ValidationError as exc:
        raise InvalidInput("invalid lead", field_errors(exc.errors())) from exc
    lead, created = await service.upsert_lead(session, data)
    response.status_code = 201 if created else 200
    return service.to_public(lead)


@router.get(
    "",
    response_model=LeadList,
    summary="List leads, newest first: filter, then page with `cursor` (or `offset`)",
)
async def list_leads(
    session: SessionDep,
    status: Annotated[
        list[LeadStatus] | None, Query(description="One or several: repeat the parameter")
    ] = None,
    campaign: Annotated[
        uuid.UUID | None, Query(description="Campaign id: leads enrolled in it (ever)")
    ] = None,
    owner: Annotated[
        FilterText | None, Query(max_length=MAX_TEXT, description="Exact, case-insensitive")
    ] = None,
    company: Annotated[
        FilterText | None, Query(max_length=MAX_TEXT, description="Exact, case-insensitive")
    ] = None,
    q: Annotated[
        FilterText | None,
        Query(
            max_length=MAX_TEXT,
            description="Substring of name, email or company, case-insensitive",
        ),
    ] = None,
    email: Annotated[
        FilterText | None, Query(max_length=320, description="Exact email, case-insensitive")
    ] = None,
    created_after: Annotated[
        IsoDateTime | None, Query(description="Created at or after (ISO 8601; no zone: UTC)")
    ] = None,
    created_before: Annotated[
        IsoDateTime | None, Query(description="Created before (ISO 8601; no zone: UTC)")
    ] = None,
    limit: int = Query(default=50, ge=1, le=MAX_LIMIT),
    offset: int = Query(default=0, ge=0, le=MAX_OFFSET, description="Prefer `cursor`"),
    cursor: Annotated[
        CursorToken | None,
        Query(max_length=200, description="`next_cursor` of the previous page"),
    ] = None,
) -> LeadList:
    where = LeadFilter(
        statuses=tuple(status or ()),
        campaign_id=campaign,
        owner=owner,
        company=company,
        q=q,
        email=email,
        created_after=created_after,
        created_before=created_before,
    )
    return await service.list_leads(session, where, limit, offset, cursor)


@router.get(
    "/{lead_id}",
    response_model=LeadDetail,
    summary="A lead with its timeline",
    responses=errors(404),
)
async def get_lead(lead_id: uuid.UUID, session: SessionDep, settings: SettingsDep) -> LeadDetail:
    return await service.lead_detail(
        session, lead_id, settings.temporal_ui, settings.temporal_namespace
    )


@router.delete(
    "/{lead_id}",
    response_model=ErasureResult,
    dependencies=[OPS],  # irreversible: an ops key (README "API keys")
    summary="Erase the lead (GDPR Art. 17): its sequence is stopped and deleted from Temporal, "
    "its personal data removed, its counts kept, its address suppressed (hashed)",
    responses=errors(404, 503),
)
async def delete_lead(
    lead_id: uuid.UUID, session: SessionDep, workflows: WorkflowsDep
) -> ErasureResult:
    return await erase_lead(session, workflows, lead_id)


@router.post(
    "/{lead_id}/replies",
    response_model=ReplyResult,
    summary="Log a reply that arrived elsewhere; the lead's sequence stops",
    responses=errors(404),
)
async def post_reply(
    lead_id: uuid.UUID,
    body: ReplyCreate,
    session: SessionDep,
    state: StateDep,
    wait: ReplyWaitQuery = "received",
) -> ReplyResult:
    return await handle_reply(
        session,
        state.workflows,
        lead_id,
        body,
        state.settings.reply_update_timeout_seconds,
        wait=wait,
    )
