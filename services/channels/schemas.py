"""Channel bodies: a provider's configuration and a channel type's pacing."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, Field

from models.enums import ChannelProvider, ChannelType
from workflows.spec import SendWindow


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
        # le: the column is a 32-bit integer; a larger cap is a 422, not a database error.
        default=None,
        ge=1,
        le=1_000_000,
        description="Sends per rolling 24 h across all leads; null: no cap",
    )
    send_window: SendWindow | None = Field(
        default=None, description="Local hours (lead's timezone) sends may go out; null: any"
    )


class ChannelConfig(BaseModel):
    type: ChannelType
    provider: ChannelProvider
    name: str | None = None
    config: dict[str, Any] = Field(default_factory=dict)
    enabled: bool = True
