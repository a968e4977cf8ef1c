"""An ops command that reaches the workflow before the dead letter's recording completes.

The API accepts an ops command as soon as the database says the lead is in `attention`; that
state is written by the record_enrollment_state activity. Here a real worker's ops answer in
that very activity, before it reports back: the command must still count (it used to be
dropped, leaving the lead stuck; fixed in workflows/steps/dead_letter.py for lean runs).
"""

from __future__ import annotations

from typing import Any

from temporalio import activity
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)

from adapters.channels.base import PermanentChannelError
from models.db import Database
from models.enums import EnrollmentState
from sequences import Email, Sequence
from services.gateway import LeadWorkflows
from services.ops.service import ops_command
from tests.helpers import add_lead, enrollments, eventually, start_spec
from tests.workers import ScriptedChannel, router, running_worker
from workflows.contracts import RECORD_STATE_ACTIVITY

ONE_EMAIL = Sequence("one-email", Email("a", subject="Hi", body="one")).compile()


class OpsAnswersAtOnce(Interceptor):
    """Ops act the moment the database says `attention`: before the activity that wrote it
    has even reported back to the workflow."""

    def __init__(self, db: Database, workflows: LeadWorkflows) -> None:
        self.db, self.workflows = db, workflows
        self.signalled: list[bool] = []

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _Inbound(next, self)


class _Inbound(ActivityInboundInterceptor):
    def __init__(self, next: ActivityInboundInterceptor, outer: OpsAnswersAtOnce) -> None:
        super().__init__(next)
        self.outer = outer

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        result = await super().execute_activity(input)
        arg = input.args[0] if input.args else None
        if (
            activity.info().activity_type == RECORD_STATE_ACTIVITY
            and getattr(arg, "state", None) == EnrollmentState.ATTENTION
        ):
            async with self.outer.db.session() as session:
                sent = await ops_command(
                    session, self.outer.workflows, arg.lead_id, "skip", "checked at once"
                )
                self.outer.signalled.append(sent.signalled)
        return result


async def test_an_ops_command_sent_as_soon_as_the_lead_is_flagged_is_not_lost(
    ts_env: WorkflowEnvironment, clean_db: Database, task_queue: str
) -> None:
    email = ScriptedChannel()
    email.failures = [PermanentChannelError("mailbox rejected", error_type="SendGridBadRequest")]
    ops = OpsAnswersAtOnce(clean_db, LeadWorkflows(ts_env.client, task_queue))
    async with running_worker(
        ts_env.client, clean_db, task_queue, router(email=email), interceptors=[ops]
    ):
        lead = await add_lead(clean_db)
        await start_spec(ts_env.client, clean_db, task_queue, ONE_EMAIL, [lead.id])

        async def answered() -> list[bool]:
            return ops.signalled

        # The API took the command and signalled the workflow ...
        assert await eventually(answered) == [True]

        # ... which must act on it: the one email skipped, the sequence ends.
        async def flagged_then_answered() -> bool:
            rows = await enrollments(clean_db, lead.id)
            return bool(rows) and rows[0].state == EnrollmentState.COMPLETED

        await eventually(flagged_then_answered, within=15)
