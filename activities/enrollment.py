"""Bookkeeping for an enrollment's life: its end state and the event that says why."""

from __future__ import annotations

import uuid

from temporalio import activity

from models.db import Database
from models.enums import EnrollmentState, EventType
from models.queries import add_event
from models.tables import Enrollment, utcnow
from workflows.contracts import FINISH_ENROLLMENT_ACTIVITY, FinishEnrollmentInput

_STATE_BY_OUTCOME = {
    "completed": EnrollmentState.COMPLETED,
    "replied": EnrollmentState.REPLIED,
    "stopped": EnrollmentState.STOPPED,
    "skipped": EnrollmentState.STOPPED,
}


class EnrollmentActivities:
    def __init__(self, db: Database) -> None:
        self._db = db

    @activity.defn(name=FINISH_ENROLLMENT_ACTIVITY)
    async def finish_enrollment(self, inp: FinishEnrollmentInput) -> None:
        async with self._db.session() as session:
            enrollment = await session.get(Enrollment, uuid.UUID(inp.enrollment_id))
            if enrollment is None or enrollment.ended_at is not None:
                return  # already recorded by an earlier attempt
            now = utcnow()
            enrollment.state = _STATE_BY_OUTCOME[inp.outcome]
            enrollment.ended_at = now
            enrollment.updated_at = now
            if inp.last_step is not None:
                enrollment.current_step = inp.last_step
            event = (
                EventType.SEQUENCE_COMPLETED
                if inp.outcome == "completed"
                else EventType.SEQUENCE_STOPPED
            )
            add_event(
                session,
                uuid.UUID(inp.lead_id),
                event,
                enrollment_id=inp.enrollment_id,
                campaign_id=str(enrollment.campaign_id),
                outcome=inp.outcome,
                sends=inp.sends,
                last_step=inp.last_step,
                reason=inp.reason,
            )
            await session.commit()
