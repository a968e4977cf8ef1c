"""The interpreter's flags for the current run: rebuilt on every (continued) run, never carried.

What must survive continue-as-new lives in SequenceState, and the lead's status in the
workflow input; everything here is either derived again or only means something mid-run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.contracts import FinishEnrollmentInput, LeadFacts, LeadStatusValue, Outcome


@dataclass
class Runtime:
    # Carried across continue-as-new in LeadSequenceInput.lead_status, not in SequenceState.
    lead_status: LeadStatusValue
    step_no: int | None = None
    stop_reason: str | None = None
    outcome: Outcome | None = None
    send_in_flight: bool = False
    needs_attention: bool = False
    next_action_at: datetime | None = None
    # Ops commands only mean something while a dead letter waits for them.
    awaiting_ops: bool = False
    # The approve_draft task the sequence waits on, if any (the status query shows it).
    awaiting_approval: str | None = None
    # The pause was recorded (event, enrollment state): its end must be recorded too.
    recorded_pause: bool = False
    facts: LeadFacts | None = None
    # Why the lead is flagged while its bookkeeping keeps failing (shown in its status).
    attention_reason: str | None = None
    # The enrollment's end as the last send recorded it: finishing the same way needs no
    # activity of its own.
    finish_recorded: FinishEnrollmentInput | None = None
    # Search-attribute values last written, by key name: only changes are upserted.
    sa_written: dict[str, Any] = field(default_factory=dict)
