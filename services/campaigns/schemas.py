"""Campaign bodies: what starts one, its progress while enrolling, and its funnel."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.errors import InvalidInput
from services.leads.schemas import check_timezone
from workflows.campaign_contracts import LeadFilter, LeadSelector

SELECTOR_FIELDS = ("lead_ids", "import_id", "filter")


class LeadSelection(BaseModel):
    """Exactly one of `lead_ids`, `import_id` or `filter` names the leads."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    lead_ids: list[uuid.UUID] | None = Field(default=None, min_length=1, max_length=10_000)
    import_id: str | None = Field(default=None, min_length=1, description="From POST /api/imports")
    filter: LeadFilter | None = Field(
        default=None,
        description='status, owner, company, and/or {"metadata": {"key": "value"}} equality',
    )

    def selector(self) -> LeadSelector:
        given = [name for name in SELECTOR_FIELDS if getattr(self, name) is not None]
        if len(given) != 1:
            fields = given[1:] if given else ["lead_ids"]
            raise InvalidInput(
                "give exactly one of lead_ids, import_id, filter",
                [
                    {"field": name, "message": "give exactly one of lead_ids, import_id, filter"}
                    for name in fields
                ],
            )
        return LeadSelector(
            lead_ids=[str(i) for i in dict.fromkeys(self.lead_ids)] if self.lead_ids else None,
            import_id=self.import_id,
            filter=self.filter,
        )


class CampaignCreate(LeadSelection):
    name: str = Field(min_length=1, max_length=200)
    sequence: str = Field(min_length=1, description="A name from GET /api/sequences")
    timezone: str | None = Field(default=None, description="Fallback when a lead has none")
    mailboxes: list[str] = Field(
        default_factory=list,
        max_length=100,
        description="Mailboxes (ids or names) it sends from; empty: every mailbox of the "
        "step's channel type in the default pool, else the channel's own sender",
    )
    mailbox_owner: bool = Field(
        default=False,
        description="Send each lead from its owner's mailboxes (among those) when it has any",
    )

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
    detail: str = ""


class EnrollmentReport(BaseModel):
    campaign_id: uuid.UUID
    enrolled: list[Enrolled]
    skipped: list[Skipped]


class CampaignResult(BaseModel):
    """What enrolling in the caller's own process reported (launch_campaign)."""

    id: uuid.UUID
    name: str
    sequence: str
    sequence_version: str
    enrolled: list[Enrolled]
    skipped: list[Skipped]


class CampaignProgress(BaseModel):
    """How far enrolling has got: the 202 body, and part of every campaign's summary."""

    id: uuid.UUID
    name: str
    sequence: str
    sequence_version: str
    status: str = Field(description="enrolling, then enrolled once every batch is done")
    selected: int = Field(description="Leads the selection named when the request came")
    enrolled: int
    skipped: int
    warnings: int = Field(description="Enrolled, but a template fell back to a default")


class CampaignSummary(CampaignProgress):
    state: str = Field(description="active, paused or stopped (the campaign's controls)")
    created_at: datetime
    enrolling_finished_at: datetime | None
    skipped_by_reason: dict[str, int]
    skipped_leads: list[Skipped] = Field(description="The first 100 skipped, with reasons")
    warning_leads: list[Skipped] = Field(description="The first 100 enrolled with a warning")
    selector: dict[str, Any] = Field(description="What the leads were selected by")
    enrollments: dict[str, int] = Field(description="Enrollments by state")
    sends_by_step: dict[int, int] = Field(description="Messages sent, by 1-based step")
    mailboxes: list[str] = Field(
        default_factory=list, description="The mailbox ids it sends from (empty: the default)"
    )
    mailbox_owner: bool = False
    replies: int


class CampaignControlResult(BaseModel):
    campaign_id: uuid.UUID
    action: str
    signalled: int
    not_running: list[uuid.UUID]
