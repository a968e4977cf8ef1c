"""The reply sweep runs on a Temporal schedule: a reply recorded while Temporal was down, with
no send step left to find it, is handled when the schedule's run comes."""

from __future__ import annotations

import contextlib
from datetime import timedelta

from sqlalchemy import update
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from models.db import Database
from models.enums import LeadStatus
from models.tables import Lead, Message, utcnow
from services.replies.schemas import ReplyCreate
from services.replies.service import record_reply
from services.replies.sweep import ensure_sweep_schedule
from tests.helpers import add_lead, eventually
from workflows.contracts import REPLY_SWEEP_SCHEDULE


async def test_the_schedule_sweeps_a_stranded_reply_to_its_lead(
    dev_env: WorkflowEnvironment, dev_worker: Worker, clean_db: Database, task_queue: str
) -> None:
    lead = await add_lead(clean_db)
    async with clean_db.session() as session:
        message, _ = await record_reply(
            session, lead.id, ReplyCreate(content="Interested, let's talk next week")
        )
        # Recorded ten minutes ago, never told to anyone (Temporal was down).
        await session.exec(
            update(Message)  # type: ignore[call-overload]
            .where(Message.id == message.id)
            .values(created_at=utcnow() - timedelta(minutes=10))
        )
        await session.commit()

    # The dev server is shared by the test process: a real `salespad worker` another test ran
    # against it left the schedule behind, pointed at that worker's queue (the first worker's
    # schedule is kept by design). Start from none.
    with contextlib.suppress(RPCError):
        await dev_env.client.get_schedule_handle(REPLY_SWEEP_SCHEDULE).delete()
    await ensure_sweep_schedule(dev_env.client, task_queue)
    await ensure_sweep_schedule(dev_env.client, task_queue)  # a second worker starting: no error
    schedule = dev_env.client.get_schedule_handle(REPLY_SWEEP_SCHEDULE)
    try:
        await schedule.trigger()  # the minute need not be waited for

        async def handled() -> bool:
            async with clean_db.session() as session:
                row = await session.get(Message, message.id, populate_existing=True)
                return row is not None and row.processed_at is not None

        await eventually(handled, within=30)
        async with clean_db.session() as session:
            row = await session.get(Lead, lead.id)
            assert row is not None and row.status == LeadStatus.REPLIED
        described = await schedule.describe()
        assert described.info.num_actions >= 1
    finally:
        await schedule.delete()
