"""What the imports API returns."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

REJECTIONS_SHOWN = 1000


class ImportPublic(BaseModel):
    id: uuid.UUID
    filename: str
    status: str = Field(description="processing | done | failed")
    rows: int = Field(description="data rows read so far (blank lines not counted)")
    created: int
    updated: int = Field(description="existing leads whose values actually changed")
    skipped: int = Field(
        description="rows matching a lead they would not change (or on_duplicate=skip), and "
        "rows repeating an email (else phone) already seen earlier in the file"
    )
    rejected: int
    suppressed: int = Field(description="accepted rows whose email or phone is suppressed")
    options: dict[str, Any]
    campaign_id: str | None = Field(
        description="the campaign the done import's leads were added to (form field "
        "`campaign`); they are enrolled in the background: GET /api/campaigns/{id}"
    )
    error: str | None = Field(
        description="why the import failed; on a done import, why enrolling into the "
        "campaign could not start (the imported leads are kept)"
    )
    created_at: datetime
    finished_at: datetime | None


class RejectionPublic(BaseModel):
    line: int = Field(description="the line the row starts on (header = 1)")
    column: str | None
    reason: str


class ImportDetail(ImportPublic):
    rejections: list[RejectionPublic] = Field(
        description=f"the first {REJECTIONS_SHOWN}, in file order; `rejected` is the total"
    )
    rejected_csv: str = Field(description="where to download every rejected row")


class ImportList(BaseModel):
    items: list[ImportPublic]
