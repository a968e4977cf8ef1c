"""Channels and their pacing: a daily cap (rolling 24 h) and a send window per channel type."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlmodel import col, select

from api.deps import SessionDep, SettingsDep
from api.errors import InvalidInput
from models.enums import ChannelProvider, ChannelType
from models.queries import channel_row_for
from models.secrets import redact, seal
from models.tables import Channel
from workflows.spec import SendWindow

router = APIRouter(prefix="/channels", tags=["channels"])


class ChannelPublic(BaseModel):
    id: uuid.UUID
    type: str
    provider: str
    name: str
    config: dict[str, Any]
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
        config=redact(row.config),
        daily_cap=row.daily_cap,
        send_window=row.send_window,
        enabled=row.enabled,
    )


# What each provider needs in `config` (secrets are encrypted before they are stored).
REQUIRED: dict[str, tuple[str, ...]] = {
    ChannelProvider.SENDGRID: ("api_key", "from_email"),
    ChannelProvider.TWILIO: ("account_sid", "auth_token", "from_number"),
    ChannelProvider.SMTP: ("host", "from_email"),
    ChannelProvider.OUTBOX: (),
}
ALLOWED_TYPES: dict[str, tuple[str, ...]] = {
    ChannelProvider.SENDGRID: ("EMAIL",),
    ChannelProvider.SMTP: ("EMAIL",),
    ChannelProvider.TWILIO: ("SMS", "WHATSAPP"),
    ChannelProvider.OUTBOX: ("EMAIL", "SMS", "WHATSAPP"),
}


class ChannelConfig(BaseModel):
    type: ChannelType
    provider: ChannelProvider
    name: str | None = None
    config: dict[str, Any] = Field(default_factory=dict)
    enabled: bool = True


@router.post(
    "",
    response_model=ChannelPublic,
    summary="Configure a provider for a channel type (secrets are encrypted, never returned); "
    "workers pick it up when they start",
)
async def configure_channel(
    body: ChannelConfig, session: SessionDep, settings: SettingsDep
) -> ChannelPublic:
    if body.type.value not in ALLOWED_TYPES.get(body.provider, ()):
        raise InvalidInput(
            f"{body.provider.value} cannot serve {body.type.value}",
            [{"field": "provider", "message": f"{body.provider.value} serves "
              f"{', '.join(ALLOWED_TYPES.get(body.provider, ())) or 'no channel type here'}"}],
        )  # fmt: skip
    missing = [f for f in REQUIRED.get(body.provider, ()) if not body.config.get(f)]
    if missing:
        raise InvalidInput(
            f"{body.provider.value} needs {', '.join(missing)}",
            [{"field": f"config.{f}", "message": "required"} for f in missing],
        )
    row = await channel_row_for(session, body.type, body.provider)
    row.name = body.name or row.name
    row.config = seal(body.config, settings.secret_key.get_secret_value())
    row.enabled = body.enabled
    if body.enabled:
        # One provider serves a channel type: the others of that type stand down.
        others = await session.exec(
            select(Channel).where(Channel.type == body.type, Channel.id != row.id)
        )
        for other in others.all():
            other.enabled = False
    await session.commit()
    return _public(row)


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
