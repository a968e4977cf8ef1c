"""Channels and their pacing: a daily cap (rolling 24 h) and a send window per channel type."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlmodel import col, select

from api.deps import SessionDep
from models.enums import ChannelProvider, ChannelType
from models.queries import channel_row_for
from models.tables import Channel
from workflows.spec import SendWindow

router = APIRouter(prefix="/channels", tags=["channels"])


class ChannelPublic(BaseModel):
    id: uuid.UUID
    type: str
    provider: str
    name: str
    daily_cap: int | None
    send_window: dict[str, Any]
    enabled: bool


class Pacing(BaseModel):
    daily_cap: int | None = Field(
        default=None, ge=1, description="Sends per rolling 24 h across all leads; null: no cap"
    )
    send_window: SendWindow | None = Field(
        default=None, description="Local hours (lead's timezone) sends may go out; null: any"
    )


def _public(row: Channel) -> ChannelPublic:
    return ChannelPublic(
        id=row.id,
        type=row.type,
        provider=row.provider,
        name=row.name,
        daily_cap=row.daily_cap,
        send_window=row.send_window,
        enabled=row.enabled,
    )


@router.get("", response_model=list[ChannelPublic], summary="Channels messages went through")
async def list_channels(session: SessionDep) -> list[ChannelPublic]:
    rows = (await session.exec(select(Channel).order_by(col(Channel.type)))).all()
    return [_public(r) for r in rows]


@router.put(
    "/{channel_type}/pacing",
    response_model=list[ChannelPublic],
    summary="Set the daily cap and send window of a channel type (sends beyond wait, never drop)",
)
async def set_pacing(
    channel_type: ChannelType, body: Pacing, session: SessionDep
) -> list[ChannelPublic]:
    rows = list((await session.exec(select(Channel).where(Channel.type == channel_type))).all())
    if not rows:
        rows = [await channel_row_for(session, channel_type, ChannelProvider.OUTBOX)]
    window = body.send_window.model_dump(mode="json") if body.send_window else {}
    for row in rows:
        row.daily_cap = body.daily_cap
        row.send_window = window
    await session.commit()
    return [_public(r) for r in rows]
