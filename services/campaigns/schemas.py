"""Campaign bodies: what starts one, what enrolling reported, and its funnel."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.leads.schemas import check_timezone


class CampaignCreate(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    sequence: str = Field(min_length=1, description="A name from GET /api/sequences")
    lead_ids: list[uuid.UUID] = Field(min_length=1, max_length=10_000)
    timezone: str | None = Field(default=None, description="Fallback when a lead has none")

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str | None) -> str | None:
        return check_timezone(value)


class Enrolled(BaseModel):
    lead_id: uuid.UUID
    workflow_id: str
    enrollment_id: uuid.UUID


class Skipped(BaseModel):
    lead_id: uuid.UUID
    reason: str


class EnrollmentReport(BaseModel):
    campaign_id: uuid.UUID
    enrolled: list[Enrolled]
    skipped: list[Skipped]


class CampaignResult(BaseModel):
    id: uuid.UUID
    name: str
    sequence: str
    sequence_version: str
    enrolled: list[Enrolled]
    skipped: list[Skipped]


class CampaignSummary(BaseModel):
    id: uuid.UUID
    name: str
    sequence: str
    sequence_version: str
    state: str
    created_at: datetime
    enrollments: dict[str, int] = Field(description="Enrollments by state")
    sends_by_step: dict[int, int] = Field(description="Messages sent, by 1-based step")
    replies: int


class CampaignControlResult(BaseModel):
    campaign_id: uuid.UUID
    action: str
    signalled: int
    not_running: list[uuid.UUID]
