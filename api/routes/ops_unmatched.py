"""Replies no lead could be found for, for ops: `GET /api/ops/unmatched` lists them newest
first; `POST .../{id}/assign` makes one a lead's reply (told to its sequence like any other);
`POST .../{id}/discard` sets one aside. They are inbound Messages without a lead; who sent
them is in their UNMATCHED_REPLY event."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict

from api.auth import OPS
from api.deps import ReplyWaitQuery, SessionDep, StateDep
from api.openapi import errors
from models.enums import ChannelType
from services.ops import service
from services.ops.schemas import UnmatchedReplyList
from services.replies.schemas import ReplyResult
from services.replies.unmatched import assign_unmatched, discard_unmatched

# Deep offsets make PostgreSQL walk every skipped row (and past 2**63 it fails outright).
MAX_OFFSET = 1_000_000

router = APIRouter(prefix="/ops/unmatched", tags=["ops"])


class AssignRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lead_id: uuid.UUID


@router.get("", response_model=UnmatchedReplyList, summary="Replies from unknown senders")
async def list_unmatched(
    session: SessionDep,
    channel: ChannelType | None = None,
    limit: int = Query(default=50, ge=1, le=500),
    offset: int = Query(default=0, ge=0, le=MAX_OFFSET),
) -> UnmatchedReplyList:
    return await service.list_unmatched(session, channel, limit, offset)


@router.post(
    "/{message_id}/assign",
    dependencies=[OPS],
    response_model=ReplyResult,
    summary="Make an unmatched reply a lead's reply; the lead's sequence handles it",
    responses=errors(
        404,
        e409="The reply was discarded, or already belongs to another lead",
    ),
)
async def assign(
    message_id: uuid.UUID,
    body: AssignRequest,
    session: SessionDep,
    state: StateDep,
    wait: ReplyWaitQuery = "received",
) -> ReplyResult:
    return await assign_unmatched(
        session,
        state.workflows,
        message_id,
        body.lead_id,
        state.settings.reply_update_timeout_seconds,
        wait=wait,
    )


@router.post(
    "/{message_id}/discard",
    dependencies=[OPS],
    status_code=204,
    response_class=Response,
    summary="Set an unmatched reply aside (kept on record, off the list)",
    responses=errors(404, e409="The reply belongs to a lead"),
)
async def discard(message_id: uuid.UUID, session: SessionDep) -> Response:
    await discard_unmatched(session, message_id)
    return Response(status_code=204)
