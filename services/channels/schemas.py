"""Channel bodies: a provider's configuration and a channel type's pacing."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from models.enums import ChannelProvider, ChannelType
from workflows.spec import CLOCK_PATTERN, IsoWeekday


class PacingWindow(BaseModel):
    """Local business hours as the API takes them: the rules of the sequence's `SendWindow`
    (an hour past 23:59 or a weekday outside 1..7 would keep the window shut for good), as a
    list, with no unknown keys."""

    model_config = ConfigDict(extra="forbid")

    start: str = Field(default="09:00", pattern=CLOCK_PATTERN, description="HH:MM, 00:00 to 23:59")
    end: str = Field(default="17:00", pattern=CLOCK_PATTERN, description="HH:MM, 00:00 to 23:59")
    days: list[IsoWeekday] = Field(
        default=[1, 2, 3, 4, 5],
        min_length=1,
        max_length=7,
        description="ISO weekdays: 1 = Monday ... 7 = Sunday",
    )


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
    send_window: PacingWindow | None = Field(
        default=None, description="Local hours (lead's timezone) sends may go out; null: any"
    )


class ChannelConfig(BaseModel):
    type: ChannelType
    provider: ChannelProvider
    name: str | None = None
    config: dict[str, Any] = Field(default_factory=dict)
    enabled: bool = True
