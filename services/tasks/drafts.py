"""Answering an approve_draft task: the row and its event first, then the waiting sequence.

The database is the record: the first answer wins there (under the task's row lock, against the
sequence's own approval timeout too), a repeat of the same answer is accepted and signalled
again, and a different one is refused. The signal only tells the sequence now; one that never
arrives is made up for when the approval times out and the sequence reads the row.
"""

from __future__ import annotations

import logging
import uuid

from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.service import RPCError

from models.enums import TaskStatus
from models.tables import Task, utcnow
from services.errors import Conflict, InvalidInput, NotFound, ServiceUnavailable
from services.gateway import LeadWorkflowGateway
from services.tasks.draft_records import APPROVE_DRAFT_TASK, record_decision, recorded_decision
from services.tasks.schemas import DraftAnswer
from workflows.draft_contracts import DraftDecision, DraftDecisionKind

log = logging.getLogger("salespad.tasks.drafts")


async def answer_draft(
    session: AsyncSession,
    workflows: LeadWorkflowGateway,
    task_id: uuid.UUID,
    decision: DraftDecisionKind,
    subject: str | None = None,
    body: str | None = None,
) -> DraftAnswer:
    if body is not None and not body.strip():
        raise InvalidInput(
            "the edited body is empty: reject the draft instead",
            [{"field": "body", "message": "must not be empty"}],
        )
    task = await session.get(Task, task_id, with_for_update=True)
    if task is None:
        raise NotFound(f"task {task_id} not found")
    if task.kind != APPROVE_DRAFT_TASK:
        raise Conflict(
            f"task {task_id} is a {task.kind} task, not a draft approval: "
            "answer it with /complete or /skip"
        )
    if task.status == TaskStatus.CANCELLED:
        raise Conflict(f"task {task_id} was cancelled: {task.note or 'its sequence ended'}")
    wanted = DraftDecision(task_id=str(task.id), decision=decision, subject=subject, body=body)
    if task.status == TaskStatus.OPEN:
        record_decision(session, task, wanted, utcnow())
        answer = wanted
    else:
        recorded = await recorded_decision(session, task)
        if recorded is None:  # closed without a decision (by an older version, or by hand)
            raise Conflict(f"task {task_id} is already {task.status} without a draft decision")
        if _key(recorded) != _key(wanted):
            raise Conflict(
                f"task {task_id} was already answered ({recorded.decision} by {recorded.by})",
                recorded.model_dump(mode="json"),
            )
        answer = recorded
    await session.commit()
    signalled = await _signal(workflows, task, answer)
    return DraftAnswer(
        task_id=task.id,
        lead_id=task.lead_id,
        status=task.status,
        decision=answer.decision,
        subject=answer.subject,
        body=answer.body,
        signalled=signalled,
    )


def _key(d: DraftDecision) -> tuple[str, str | None, str | None]:
    return d.decision, d.subject, d.body


async def _signal(workflows: LeadWorkflowGateway, task: Task, decision: DraftDecision) -> bool:
    """After the commit, the row is the answer: a sequence that the signal cannot reach now
    (Temporal unreachable) reads it when its approval falls due, so this is never an error."""
    if task.enrollment_id is None:
        return False
    try:
        return await workflows.draft_decision(task.lead_id, decision)
    except (RPCError, ServiceUnavailable) as exc:
        log.warning("draft %s answered; its sequence will read it when due (%s)", task.id, exc)
        return False
