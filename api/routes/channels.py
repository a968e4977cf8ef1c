"""Channels and their pacing: a daily cap (rolling 24 h) and a send window per channel type."""

from __future__ import annotations

from fastapi import APIRouter

from api.auth import OPS
from api.deps import SessionDep, SettingsDep
from models.enums import ChannelType
from services.channels import service
from services.channels.schemas import ChannelConfig, ChannelPublic, Pacing

router = APIRouter(prefix="/channels", tags=["channels"])


@router.post(
    "",
    dependencies=[OPS],
    response_model=ChannelPublic,
    summary="Configure a provider for a channel type (secrets are encrypted, never returned); "
    "running workers send through it within seconds",
)
async def configure_channel(
    body: ChannelConfig, session: SessionDep, settings: SettingsDep
) -> ChannelPublic:
    return await service.configure_channel(session, body, settings.secret_key.get_secret_value())


@router.get("", response_model=list[ChannelPublic], summary="Channels messages went through")
async def list_channels(session: SessionDep) -> list[ChannelPublic]:
    return await service.list_channels(session)


@router.put(
    "/{channel_type}/pacing",
    dependencies=[OPS],
    response_model=list[ChannelPublic],
    summary="Set the daily cap and send window of a channel type (sends beyond wait, never drop)",
)
async def set_pacing(
    channel_type: ChannelType, body: Pacing, session: SessionDep
) -> list[ChannelPublic]:
    return await service.set_pacing(session, channel_type, body)
