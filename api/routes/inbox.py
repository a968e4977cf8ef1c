from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import SessionDep
from api.openapi import errors
from services.leads.listing import CursorToken
from services.notifications import service
from services.notifications.schemas import InboxItem, InboxPage

router = APIRouter(prefix="/inbox", tags=["inbox"])


@router.get(
    "",
    response_model=InboxPage,
    summary="Replies owners must see (interested, question, referral, ...), newest first",
)
async def inbox(
    session: SessionDep,
    owner: Annotated[str | None, Query(max_length=320, description="One owner's items")] = None,
    unread: Annotated[bool, Query(description="Only items not marked read")] = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[CursorToken, Query(max_length=400)] = "",
) -> InboxPage:
    return await service.inbox(session, owner=owner, unread_only=unread, limit=limit, cursor=cursor)


@router.post(
    "/{item_id}/read",
    response_model=InboxItem,
    summary="Mark an inbox item read",
    responses=errors(404),
)
async def mark_read(item_id: uuid.UUID, session: SessionDep) -> InboxItem:
    return await service.mark_read(session, item_id)
