"""`GET /api/ops/unmatched`: replies no lead could be found for, newest first, for ops to
assign or discard. They are inbound Messages without a lead; who sent them is in their
UNMATCHED_REPLY event."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import func
from sqlmodel import col, select

from api.deps import SessionDep
from models.enums import ChannelType, Direction, EventType
from models.tables import Channel, EventLog, Message

router = APIRouter(prefix="/ops/unmatched", tags=["ops"])


class UnmatchedReply(BaseModel):
    id: uuid.UUID
    channel: str | None
    sender: str | None
    subject: str | None
    content: str
    provider_message_id: str | None
    received_at: datetime | None
    details: dict[str, Any]


class UnmatchedReplyList(BaseModel):
    items: list[UnmatchedReply]
    total: int
    limit: int
    offset: int


@router.get("", response_model=UnmatchedReplyList, summary="Replies from unknown senders")
async def list_unmatched(
    session: SessionDep,
    channel: ChannelType | None = None,
    limit: int = Query(default=50, ge=1, le=500),
    offset: int = Query(default=0, ge=0),
) -> UnmatchedReplyList:
    stmt = (
        select(Message, Channel.type)
        .join(Channel, col(Channel.id) == Message.channel_id, isouter=True)
        .where(col(Message.lead_id).is_(None), Message.direction == Direction.INBOUND)
    )
    if channel is not None:
        stmt = stmt.where(Channel.type == channel)
    total = (await session.exec(select(func.count()).select_from(stmt.subquery()))).one()
    newest_first = stmt.order_by(col(Message.created_at).desc(), col(Message.id))
    rows = (await session.exec(newest_first.offset(offset).limit(limit))).all()
    message_ids = [str(message.id) for message, _ in rows]
    marker = col(EventLog.details)["message_id"].astext
    events = (
        await session.exec(
            select(EventLog).where(
                EventLog.event_type == EventType.UNMATCHED_REPLY, marker.in_(message_ids)
            )
        )
    ).all()
    by_message = {str(e.details.get("message_id")): e.details for e in events}
    items = []
    for message, channel_type in rows:
        details = dict(by_message.get(str(message.id), {}))
        sender = details.pop("sender", None)
        for key in ("channel", "message_id", "provider_message_id"):
            details.pop(key, None)
        items.append(
            UnmatchedReply(
                id=message.id,
                channel=channel_type,
                sender=sender,
                subject=message.subject,
                content=message.content,
                provider_message_id=message.provider_message_id,
                received_at=message.sent_at,
                details=details,
            )
        )
    return UnmatchedReplyList(items=items, total=total, limit=limit, offset=offset)
