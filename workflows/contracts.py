"""One pydantic model in and one out for every workflow, activity, signal and update."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from workflows.spec import SendStep, SequenceSpec

# Names shared by the workflow, the worker and the API (string names keep workflows free of
# activity imports).
LEAD_SEQUENCE_WORKFLOW = "LeadSequence"
SEND_STEP_ACTIVITY = "send_step"
FINISH_ENROLLMENT_ACTIVITY = "finish_enrollment"
REPLY_UPDATE = "reply"
REPLY_SIGNAL = "reply_signal"
STOP_SIGNAL = "stop"
STATUS_QUERY = "status"

LeadStatusValue = Literal["NEW", "OUTREACHED", "REPLIED", "CONVERTED", "UNSUBSCRIBED", "BOUNCED"]
FINAL_STATUSES: frozenset[str] = frozenset({"REPLIED", "CONVERTED", "UNSUBSCRIBED", "BOUNCED"})


def workflow_id_for(lead_id: str) -> str:
    return f"lead-{lead_id}"


class LeadSequenceInput(BaseModel):
    lead_id: str
    enrollment_id: str
    campaign_id: str
    lead_status: LeadStatusValue = "NEW"
    spec: SequenceSpec


Outcome = Literal["completed", "replied", "stopped", "skipped"]


class LeadSequenceResult(BaseModel):
    outcome: Outcome
    sends: int
    last_step: int | None = None
    reason: str = ""


class SendStepInput(BaseModel):
    lead_id: str
    enrollment_id: str
    campaign_id: str
    step_no: int = Field(ge=1, description="1-based position of the step in the sequence")
    step: SendStep

    @property
    def idempotency_key(self) -> str:
        # Stable ids only: never a date or an attempt number. The enrollment is part of the
        # key so a lead enrolled again later gets its own sends.
        return f"lead-{self.lead_id}:enrollment-{self.enrollment_id}:step-{self.step_no}"


class SendStepResult(BaseModel):
    status: Literal["sent", "already_sent", "skipped"]
    lead_status: LeadStatusValue
    message_id: str | None = None
    provider_message_id: str | None = None
    reason: str = ""


class FinishEnrollmentInput(BaseModel):
    lead_id: str
    enrollment_id: str
    outcome: Outcome
    last_step: int | None
    sends: int
    reason: str = ""


class ReplyNotice(BaseModel):
    """A reply already recorded in PostgreSQL, told to the lead's workflow."""

    message_id: str = Field(description="Provider message id: the dedupe key for redeliveries")
    channel: str
    received_at: datetime


class ReplyOutcome(BaseModel):
    action: Literal["stopped", "already_stopped", "duplicate"]
    lead_status: LeadStatusValue
    sends: int
    current_step: int | None


class StopRequest(BaseModel):
    reason: str = "stopped by user"


class SequenceStatus(BaseModel):
    current_step: int | None
    sends: int
    stop_reason: str | None
    lead_status: LeadStatusValue
    send_in_flight: bool
    next_action_at: datetime | None
