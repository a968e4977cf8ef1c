"""One pydantic model in and one out for every workflow, activity, signal and update."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from workflows.draft_contracts import AIDraftState, DraftContent
from workflows.spec import SendChannel, SendStep, SequenceSpec, TaskStep, Variant

# Names shared by the workflow, the worker and the API (string names keep workflows free of
# activity imports).
LEAD_SEQUENCE_WORKFLOW = "LeadSequence"
PROCESS_REPLY_WORKFLOW = "ProcessReply"
REPLY_SWEEP_WORKFLOW = "ReplySweep"
REPLY_SWEEP_SCHEDULE = "salespad-reply-sweep"
SWEEP_REPLIES_ACTIVITY = "sweep_replies"
SEND_STEP_ACTIVITY = "send_step"
FINISH_ENROLLMENT_ACTIVITY = "finish_enrollment"
PROCESS_REPLY_ACTIVITY = "process_reply"
LOAD_LEAD_FACTS_ACTIVITY = "load_lead_facts"
CREATE_TASK_ACTIVITY = "create_task"
RECORD_STATE_ACTIVITY = "record_enrollment_state"
RELEASE_CLAIM_ACTIVITY = "release_send_claim"

REPLY_UPDATE = "reply"
REPLY_SIGNAL = "reply_signal"
STOP_SIGNAL = "stop"
CONTROL_SIGNAL = "control"
TASK_SIGNAL = "task_done"
OPS_SIGNAL = "ops"
STATUS_QUERY = "status"

LeadStatusValue = Literal["NEW", "OUTREACHED", "REPLIED", "CONVERTED", "UNSUBSCRIBED", "BOUNCED"]
FINAL_STATUSES: frozenset[str] = frozenset({"REPLIED", "CONVERTED", "UNSUBSCRIBED", "BOUNCED"})


def workflow_id_for(lead_id: str) -> str:
    return f"lead-{lead_id}"


def reply_workflow_id(db_message_id: str) -> str:
    return f"reply-{db_message_id}"


class SequenceState(BaseModel):
    """What the interpreter carries across continue-as-new."""

    index: int = 0
    sends: int = 0
    replies_seen: list[str] = Field(default_factory=list)
    arm: str | None = None
    last_intent: str | None = None
    thread_key: str | None = None
    paused: bool = False
    paused_until: datetime | None = None
    pause_reason: str | None = None
    ai_draft: AIDraftState | None = None


class LeadSequenceInput(BaseModel):
    lead_id: str
    enrollment_id: str
    campaign_id: str
    lead_status: LeadStatusValue = "NEW"
    spec: SequenceSpec
    campaign_timezone: str | None = None
    state: SequenceState | None = None
    # The lead as enrollment saw it (its timezone for send windows): the sequence starts
    # without a lookup. None (inputs from before the field): the first step loads them.
    facts: LeadFacts | None = None
    # Continue as new past this many history events (or when the server suggests it).
    continue_as_new_after: int = 10_000


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
    variant: Variant | None = None
    # The idempotency key of the email this one replies to (threading).
    thread_key: str | None = None
    campaign_timezone: str | None = None
    # Sent verbatim instead of rendering the step's template (an approved AI draft).
    content_override: DraftContent | None = None
    # The sequence ends after this step: when it goes out, record the enrollment's end in the
    # same transaction (one activity less per lead).
    finish: FinishEnrollmentInput | None = None

    @property
    def idempotency_key(self) -> str:
        # Stable ids only: never a date or an attempt number. The enrollment is part of the
        # key so a lead enrolled again later gets its own sends.
        return f"lead-{self.lead_id}:enrollment-{self.enrollment_id}:step-{self.step_no}"


class SendStepResult(BaseModel):
    status: Literal["sent", "already_sent", "skipped", "deferred", "reply_pending"]
    lead_status: LeadStatusValue
    message_id: str | None = None
    provider_message_id: str | None = None
    reason: str = ""
    # deferred: the next moment the channel's cap or send window allows a send.
    retry_at: datetime | None = None
    # reply_pending: replies recorded in the database that the sequence has not handled yet.
    pending_replies: list[ReplyNotice] = Field(default_factory=list)
    # sent / already_sent: the channel it went out on (a Message step picks it per lead).
    # None in results recorded before the field existed: the step's own channel.
    channel: SendChannel | None = None
    # sent: the enrollment's end (SendStepInput.finish) was recorded with the message.
    finished: bool = False


class FinishEnrollmentInput(BaseModel):
    lead_id: str
    enrollment_id: str
    outcome: Outcome
    last_step: int | None
    sends: int
    reason: str = ""


class EnrollmentStateInput(BaseModel):
    lead_id: str
    enrollment_id: str
    state: Literal["active", "paused", "attention"]
    current_step: int | None = None
    event: str | None = None
    details: dict[str, str | int | None] = Field(default_factory=dict)


class ReplyNotice(BaseModel):
    """A reply already recorded in PostgreSQL, told to the lead's workflow."""

    message_id: str = Field(description="Provider message id: the dedupe key for redeliveries")
    db_message_id: str = Field(description="Our Message row")
    channel: str
    received_at: datetime
    # "received": the Update answers as soon as the sequence holds the reply (no step runs
    # before it is handled); "handled": once it was classified and acted on.
    answer: Literal["received", "handled"] = "handled"


class ReplyOutcome(BaseModel):
    action: Literal["received", "stopped", "paused", "continued", "already_stopped", "duplicate"]
    intent: str | None = None
    lead_status: LeadStatusValue
    sends: int
    current_step: int | None
    resume_at: datetime | None = None


class ReplySweepInput(BaseModel):
    pass


class ReplySweepResult(BaseModel):
    told: int


class ProcessReplyInput(BaseModel):
    lead_id: str
    enrollment_id: str | None
    db_message_id: str
    # Second attempt after the LLM path failed for good: the offline rules never fail.
    offline_only: bool = False


class ProcessReplyResult(BaseModel):
    intent: str
    confidence: float
    reason: str
    source: str
    return_date: date | None = None
    lead_status: LeadStatusValue
    lead_timezone: str | None = None


class LoadFactsInput(BaseModel):
    lead_id: str


class LeadFacts(BaseModel):
    status: LeadStatusValue
    has_email: bool
    has_phone: bool
    timezone: str | None
    fields: dict[str, str] = Field(default_factory=dict)


class CreateTaskInput(BaseModel):
    lead_id: str
    enrollment_id: str
    step_no: int
    step: TaskStep
    due_at: datetime


class CreateTaskResult(BaseModel):
    task_id: str
    status: Literal["open", "done", "skipped"]


class TaskDone(BaseModel):
    task_id: str
    outcome: Literal["done", "skipped"]


class ControlRequest(BaseModel):
    action: Literal["pause", "resume", "stop"]
    reason: str = ""


class StopRequest(BaseModel):
    reason: str = "stopped by user"


class OpsCommand(BaseModel):
    action: Literal["retry", "skip", "stop"]
    note: str = ""


class ReleaseClaimInput(BaseModel):
    lead_id: str
    idempotency_key: str
    note: str = ""


class SequenceStatus(BaseModel):
    current_step: int | None
    sends: int
    stop_reason: str | None
    lead_status: LeadStatusValue
    send_in_flight: bool
    paused: bool
    paused_until: datetime | None
    needs_attention: bool
    next_action_at: datetime | None
    # The approve_draft task the sequence is waiting on, if any.
    awaiting_approval: str | None = None
    # Set while a bookkeeping call keeps failing (the database is unreachable, ...).
    attention_reason: str | None = None


SendStepResult.model_rebuild()
