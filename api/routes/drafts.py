"""AI drafts waiting for a human: approve (as drafted, or with your edit) or reject.

The draft is in the task's instructions (`GET /api/tasks`). Approve sends it exactly as drafted;
approve with a `subject` and/or `body` sends your text exactly; reject, or no answer before the
task is due, sends the step's template instead.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.deps import SessionDep, StateDep
from api.openapi import errors
from services.tasks.drafts import answer_draft
from services.tasks.schemas import DraftAnswer

router = APIRouter(prefix="/tasks", tags=["drafts"])


class DraftEdit(BaseModel):
    subject: str | None = Field(None, description="Replaces the draft's subject (email only).")
    body: str | None = Field(None, description="Replaces the draft's text; given means edited.")


@router.post(
    "/{task_id}/approve",
    response_model=DraftAnswer,
    summary="Approve an AI draft, or send your edit of it",
    responses=errors(
        404,
        e409="Not a draft approval, cancelled, or already answered otherwise",
        e422="The edited body is empty",
    ),
)
async def approve_draft(
    task_id: uuid.UUID, session: SessionDep, state: StateDep, body: DraftEdit | None = None
) -> DraftAnswer:
    edit = body or DraftEdit()
    edited = edit.subject is not None or edit.body is not None
    return await answer_draft(
        session,
        state.workflows,
        task_id,
        "edit" if edited else "approve",
        subject=edit.subject,
        body=edit.body,
    )


@router.post(
    "/{task_id}/reject",
    response_model=DraftAnswer,
    summary="Reject an AI draft: the step's template goes out",
    responses=errors(404, e409="Not a draft approval, cancelled, or already answered otherwise"),
)
async def reject_draft(task_id: uuid.UUID, session: SessionDep, state: StateDep) -> DraftAnswer:
    return await answer_draft(session, state.workflows, task_id, "reject")
