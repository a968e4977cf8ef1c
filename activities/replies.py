"""Handling a recorded reply: classify it (LLM or offline rules), then apply its effects in one
transaction. Idempotent: a reply already handled returns what was decided then."""

from __future__ import annotations

import uuid
from datetime import date

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio import activity
from temporalio.exceptions import ApplicationError

from adapters.llm.base import PermanentLLMError, ReplyClassifier, TransientLLMError
from adapters.llm.text import day_first_for_phone
from adapters.llm.types import ReplyClassification, ReplyInput
from models.db import Database
from models.enums import Direction
from models.tables import Lead, Message
from services.gateway import LeadWorkflowGateway
from services.leads.queries import lock_lead
from services.replies.effects import apply_classification, suppress_for_intent
from services.replies.sweep import SweepPolicy, sweep_once
from workflows.contracts import (
    PROCESS_REPLY_ACTIVITY,
    SWEEP_REPLIES_ACTIVITY,
    ProcessReplyInput,
    ProcessReplyResult,
    ReplySweepInput,
    ReplySweepResult,
)
from workflows.errors import REPLY_NOT_FOUND


class ReplyActivities:
    def __init__(self, db: Database, classifier: ReplyClassifier, offline: ReplyClassifier):
        self._db = db
        self._classifier = classifier
        self._offline = offline

    @activity.defn(name=PROCESS_REPLY_ACTIVITY)
    async def process_reply(self, inp: ProcessReplyInput) -> ProcessReplyResult:
        message_id = uuid.UUID(inp.db_message_id)
        async with self._db.session() as session:
            message = await session.get(Message, message_id)
            lead = await session.get(Lead, uuid.UUID(inp.lead_id))
            if message is None or lead is None:
                raise ApplicationError(
                    f"reply {inp.db_message_id} or lead {inp.lead_id} not found",
                    type=REPLY_NOT_FOUND,
                    non_retryable=True,
                )
            if message.lead_id != lead.id or message.direction != Direction.INBOUND:
                # Never classify (and act on) one lead's reply, or our own email, for another.
                raise ApplicationError(
                    f"message {inp.db_message_id} is not a reply from lead {inp.lead_id}",
                    type=REPLY_NOT_FOUND,
                    non_retryable=True,
                )
            if message.processed_at is not None:
                return _result(message.details.get("classification", {}), lead)
            reply = ReplyInput(
                text=message.content,
                subject=message.subject,
                headers=dict(message.details.get("headers", {})),
                sent_at=message.sent_at,
                timezone=lead.timezone,
                day_first=day_first_for_phone(lead.phone),
                last_outbound=await _last_outbound(session, lead.id),
            )
        classification = await self._classify(reply, offline_only=inp.offline_only)
        data = classification.model_dump(mode="json")
        async with self._db.session() as session:
            locked = await lock_lead(session, uuid.UUID(inp.lead_id))
            message = await session.get(Message, message_id, with_for_update=True)
            assert locked is not None and message is not None
            if message.processed_at is not None:  # a concurrent attempt got there first
                return _result(message.details.get("classification", {}), locked)
            apply_classification(session, locked, message, data)
            await suppress_for_intent(session, locked, classification.intent.value)
            await session.commit()
            return _result(data, locked)

    async def _classify(self, reply: ReplyInput, *, offline_only: bool) -> ReplyClassification:
        classifier = self._offline if offline_only else self._classifier
        try:
            return await classifier.classify(reply)
        except TransientLLMError as exc:
            raise ApplicationError(
                str(exc), type=exc.error_type, next_retry_delay=exc.retry_after
            ) from exc
        except PermanentLLMError as exc:
            raise ApplicationError(str(exc), type=exc.error_type, non_retryable=True) from exc


async def _last_outbound(session: AsyncSession, lead_id: uuid.UUID) -> str | None:
    row = (
        await session.exec(
            select(Message.content)
            .where(Message.lead_id == lead_id, Message.direction == Direction.OUTBOUND)
            .order_by(col(Message.created_at).desc())
            .limit(1)
        )
    ).first()
    return row


def _result(data: dict[str, object], lead: Lead) -> ProcessReplyResult:
    raw_date = data.get("return_date")
    return ProcessReplyResult(
        intent=str(data.get("intent", "other")),
        confidence=float(str(data.get("confidence", 0.0))),
        reason=str(data.get("reason", "")),
        source=str(data.get("source", "")),
        return_date=date.fromisoformat(raw_date) if isinstance(raw_date, str) else None,
        lead_status=lead.status,
        lead_timezone=lead.timezone,
    )


class ReplySweepActivities:
    """The reply sweep's one activity (workflows/reply_sweep.py runs it every minute)."""

    def __init__(
        self, db: Database, workflows: LeadWorkflowGateway, policy: SweepPolicy | None = None
    ) -> None:
        self._db = db
        self._workflows = workflows
        self._policy = policy or SweepPolicy()

    @activity.defn(name=SWEEP_REPLIES_ACTIVITY)
    async def sweep_replies(self, inp: ReplySweepInput) -> ReplySweepResult:
        return ReplySweepResult(told=await sweep_once(self._db, self._workflows, self._policy))
