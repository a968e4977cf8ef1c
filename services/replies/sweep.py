"""Replies recorded but never handled (Temporal was down when they came in, or the signal was
lost): found by a sweep, every minute on a Temporal schedule, and told to the lead's sequence
again, or classified on their own when no sequence runs. A sequence with no send step left
would otherwise never see them. Telling twice is harmless: the sequence and ProcessReply dedupe
by the message id."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import col, select
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
)

from models.db import Database
from models.enums import Direction
from models.tables import Channel, Message, utcnow
from services.gateway import LeadWorkflowGateway
from services.leads.queries import open_enrollment
from workflows.contracts import (
    REPLY_SWEEP_SCHEDULE,
    REPLY_SWEEP_WORKFLOW,
    ReplyNotice,
    ReplySweepInput,
)

log = logging.getLogger("salespad.replies")


@dataclass(frozen=True)
class SweepPolicy:
    older_than: timedelta = timedelta(minutes=2)  # younger ones are still on their way
    max_redeliveries: int = 10  # then it is left for a person (logged; in the lead's timeline)
    batch: int = 100
    update_timeout: float = 2.0


async def sweep_once(db: Database, workflows: LeadWorkflowGateway, policy: SweepPolicy) -> int:
    """Tell every due unhandled reply to its sequence; returns how many were told."""
    cutoff = utcnow() - policy.older_than
    async with db.session() as session:
        rows = (
            await session.exec(
                select(Message, Channel.type)
                .join(Channel, col(Channel.id) == col(Message.channel_id), isouter=True)
                .where(
                    Message.direction == Direction.INBOUND,
                    col(Message.processed_at).is_(None),
                    col(Message.lead_id).is_not(None),
                    col(Message.created_at) < cutoff,
                    col(Message.details)["redeliveries"].as_integer().is_(None)
                    | (col(Message.details)["redeliveries"].as_integer() < policy.max_redeliveries),
                )
                .order_by(col(Message.created_at))
                .limit(policy.batch)
                .with_for_update(of=Message, skip_locked=True)
            )
        ).all()
        due = []
        for message, channel_type in rows:
            assert message.lead_id is not None
            count = int(message.details.get("redeliveries", 0)) + 1
            message.details = {**message.details, "redeliveries": count}
            if count == policy.max_redeliveries:
                log.error("reply %s of lead %s: told %d times, never handled; leaving it",
                          message.id, message.lead_id, count)  # fmt: skip
            running = await open_enrollment(session, message.lead_id) is not None
            due.append((message.lead_id, _notice(message, channel_type), running))
        await session.commit()
    told = 0
    for lead_id, notice, running in due:
        try:
            await workflows.deliver_reply(
                lead_id,
                notice,
                sequence_running=running,
                update_timeout=policy.update_timeout,
                signal_only=True,  # nobody waits for the answer
            )
            told += 1
        except Exception as exc:  # Temporal still down: the next round tries again
            log.warning("reply %s not delivered yet: %s", notice.db_message_id, exc)
    return told


def _notice(message: Message, channel_type: str | None) -> ReplyNotice:
    return ReplyNotice(
        message_id=message.provider_message_id or str(message.id),
        db_message_id=str(message.id),
        channel=channel_type or "EMAIL",
        received_at=message.sent_at or message.created_at,
    )


async def ensure_sweep_schedule(
    client: Client, task_queue: str, every: timedelta = timedelta(minutes=1)
) -> None:
    """The schedule that runs the sweep (workflows/reply_sweep.py): created by the first worker
    to start, kept by the others; a run still going when the next is due is skipped."""
    schedule = Schedule(
        action=ScheduleActionStartWorkflow(
            REPLY_SWEEP_WORKFLOW,
            ReplySweepInput(),
            id=f"{REPLY_SWEEP_SCHEDULE}-run",
            task_queue=task_queue,
        ),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=every)]),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )
    try:
        await client.create_schedule(REPLY_SWEEP_SCHEDULE, schedule)
    except ScheduleAlreadyRunningError:
        log.debug("reply sweep schedule already there")
