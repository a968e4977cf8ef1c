"""`GET /api/ops/unmatched`: replies no lead could be found for, newest first, for ops to
assign or discard. They are inbound Messages without a lead; who sent them is in their
UNMATCHED_REPLY event."""

from __future__ import annotations

from fastapi import APIRouter, Query

from api.deps import SessionDep
from models.enums import ChannelType
from services.ops import service
from services.ops.schemas import UnmatchedReplyList

# Deep offsets make PostgreSQL walk every skipped row (and past 2**63 it fails outright).
MAX_OFFSET = 1_000_000

router = APIRouter(prefix="/ops/unmatched", tags=["ops"])


@router.get("", response_model=UnmatchedReplyList, summary="Replies from unknown senders")
async def list_unmatched(
    session: SessionDep,
    channel: ChannelType | None = None,
    limit: int = Query(default=50, ge=1, le=500),
    offset: int = Query(default=0, ge=0, le=MAX_OFFSET),
) -> UnmatchedReplyList:
    return await service.list_unmatched(session, channel, limit, offset)
