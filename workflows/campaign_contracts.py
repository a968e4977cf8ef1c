"""Inputs and outputs of the campaign enrollment workflow and its activities."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

ENROLL_CAMPAIGN_WORKFLOW = "EnrollCampaign"
NEXT_ENROLLMENT_BATCH_ACTIVITY = "next_enrollment_batch"
ENROLL_BATCH_ACTIVITY = "enroll_batch"
FINISH_CAMPAIGN_BATCH_ACTIVITY = "finish_campaign_batch"

# Leads per enroll_batch activity: one set-based check and insert, then their starts.
ENROLL_BATCH_SIZE = 500


def enroll_workflow_id(campaign_id: str, batch: int = 0) -> str:
    """`enroll-{campaign}` for the campaign's own selection, `enroll-{campaign}-{n}` for the
    n-th "add leads" request."""
    return f"enroll-{campaign_id}" if batch == 0 else f"enroll-{campaign_id}-{batch}"


class LeadFilter(BaseModel):
    """Leads whose fields equal these values (all given ones must match)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    status: str | None = None
    owner: str | None = None
    company: str | None = None
    metadata: dict[str, str | int | float | bool] = Field(
        default_factory=dict, description="Equality on lead.metadata keys"
    )

    @model_validator(mode="after")
    def _not_empty(self) -> LeadFilter:
        if not (self.status or self.owner or self.company or self.metadata):
            raise ValueError("name at least one of status, owner, company, metadata")
        return self


class LeadSelector(BaseModel):
    """Exactly one of: explicit lead ids, the leads of an import, or a filter."""

    lead_ids: list[str] | None = None
    import_id: str | None = None
    filter: LeadFilter | None = None


class EnrollCampaignInput(BaseModel):
    campaign_id: str
    batch: int = 0
    selector: LeadSelector
    # The last lead id handled (ids are enrolled in ascending order): where a new run resumes.
    cursor: str | None = None
    batch_size: int = ENROLL_BATCH_SIZE
    # Continue as new after this many batches in one run (or when the server suggests it).
    batches_per_run: int = 40
    # Carried across continue-as-new.
    enrolled: int = 0
    skipped: int = 0


class EnrollCampaignResult(BaseModel):
    enrolled: int
    skipped: int


class NextBatchInput(BaseModel):
    selector: LeadSelector
    cursor: str | None
    limit: int


class LeadPage(BaseModel):
    lead_ids: list[str]


class EnrollBatchInput(BaseModel):
    campaign_id: str
    batch: int
    lead_ids: list[str]


class EnrollBatchResult(BaseModel):
    enrolled: int
    skipped: int
    warnings: int = 0


class FinishBatchInput(BaseModel):
    campaign_id: str
    batch: int
