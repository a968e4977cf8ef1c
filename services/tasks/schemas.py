"""Task bodies: LinkedIn and manual steps, and the answer to an AI draft."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel

from workflows.draft_contracts import DraftDecisionKind


class TaskPublic(BaseModel):
    id: uuid.UUID
    lead_id: uuid.UUID
    lead_name: str | None = None
    kind: str
    action: str | None
    instructions: str
    owner: str | None
    due_at: datetime | None
    overdue: bool
    status: str
    note: str | None
    created_at: datetime
    completed_at: datetime | None


class DraftAnswer(BaseModel):
    task_id: uuid.UUID
    lead_id: uuid.UUID
    status: str
    decision: DraftDecisionKind
    subject: str | None
    body: str | None
    # False: the sequence has ended, so nothing will be sent.
    signalled: bool
