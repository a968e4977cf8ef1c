"""Funnel and overview bodies."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field


class Figures(BaseModel):
    """Leads at each stage (each lead once), plus message and engagement event counts."""

    enrolled: int = 0
    sent: int = Field(0, description="Leads sent at least one message")
    delivered: int = 0
    opened: int = 0
    clicked: int = 0
    replied: int = Field(0, description="Leads who replied (out-of-office and auto-replies aside)")
    replies_by_intent: dict[str, int] = Field(default_factory=dict)
    positive: int = Field(0, description="Leads who replied interested, question or referral")
    bounced: int = 0
    unsubscribed: int = 0
    dead_lettered: int = 0
    converted: int = 0
    messages_sent: int = 0
    opens: int = 0
    clicks: int = 0
    reply_rate: float | None = Field(None, description="replied / sent")
    positive_rate: float | None = Field(None, description="positive / sent")


class StepFigures(Figures):
    step: int
    step_id: str | None = None
    kind: str | None = None


class ChannelFigures(Figures):
    channel: str


class ArmFigures(Figures):
    arm: str
    control: bool = False
    # Against the control arm's reply rate: two-proportion z-test, two-sided.
    z: float | None = None
    p_value: float | None = None
    significant: bool | None = Field(None, description="p_value < 0.05")


class CampaignFunnel(BaseModel):
    campaign_id: uuid.UUID
    name: str
    overall: Figures
    median_time_to_first_reply_seconds: float | None = None
    steps: list[StepFigures]
    channels: list[ChannelFigures]
    arms: list[ArmFigures]


class CampaignOverview(BaseModel):
    campaign_id: uuid.UUID
    name: str
    figures: Figures


class Overview(BaseModel):
    days: int
    since: datetime
    totals: Figures
    campaigns: list[CampaignOverview]
