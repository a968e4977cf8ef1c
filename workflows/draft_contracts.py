"""Contracts of AI-drafted steps: the draft activity, the approval task and the human's answer.

Apart from contracts.py only to keep each module readable in one sitting; the same rule holds:
one pydantic model in and one out for every activity and signal.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from workflows.spec import SendStep, Variant

DRAFT_STEP_ACTIVITY = "draft_step"
OPEN_DRAFT_TASK_ACTIVITY = "open_draft_task"
SETTLE_DRAFT_TASK_ACTIVITY = "settle_draft_task"
DRAFT_DECISION_SIGNAL = "draft_decision"


class DraftContent(BaseModel):
    """Text the send step sends as it is (no rendering): an approved or edited AI draft."""

    subject: str | None = None
    body: str
    # Where the text came from (llm, llm_retry, edited, ...): kept on the Message for audit.
    source: str = ""


DraftPath = Literal["llm", "llm_retry", "template"]
DraftDecisionKind = Literal["approve", "edit", "reject"]


class DraftStepResult(BaseModel):
    draft: DraftContent
    path: DraftPath
    fallback_reason: str | None = None
    # The lead must not be contacted (final status, suppressed): nothing was drafted.
    skipped: bool = False


class DraftDecision(BaseModel):
    """A human's answer to an approve_draft task: signal payload and database record alike."""

    task_id: str
    decision: DraftDecisionKind
    # edit: what replaces the draft's subject and body (None keeps the draft's).
    subject: str | None = None
    body: str | None = None
    # Who or what decided: "user", or "timeout" when nobody answered in time.
    by: str = "user"


class AIDraftState(BaseModel):
    """An AI step's progress, carried in SequenceState so nothing is drafted or asked twice."""

    step_no: int
    drafted: DraftStepResult | None = None
    task_id: str | None = None
    decision: DraftDecision | None = None


class DraftStepInput(BaseModel):
    lead_id: str
    enrollment_id: str
    campaign_id: str
    step_no: int
    step: SendStep
    variant: Variant | None = None


class OpenDraftTaskInput(BaseModel):
    lead_id: str
    enrollment_id: str
    step_no: int
    step: SendStep
    drafted: DraftStepResult
    due_at: datetime


class DraftTaskResult(BaseModel):
    task_id: str
    status: Literal["open", "done", "skipped"]
    # Set once the task is answered (by a human, or closed by the approval timeout).
    decision: DraftDecision | None = None


class SettleDraftTaskInput(BaseModel):
    task_id: str
