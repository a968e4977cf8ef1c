"""Long sequences continue as new with their state: no step repeated, none lost."""

from __future__ import annotations

from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.testing import WorkflowEnvironment

from models.db import Database
from models.enums import EnrollmentState
from models.tables import Campaign, Enrollment
from sequences import Email, Sequence, Wait
from tests.helpers import add_lead, enrollments, outbound, run_to_end
from tests.workers import router, running_worker
from workflows.contracts import (
    LEAD_SEQUENCE_WORKFLOW,
    LeadSequenceInput,
    LeadSequenceResult,
    workflow_id_for,
)

LONG = Sequence(
    "long",
    *[
        step
        for n in range(1, 7)
        for step in (
            Email(f"e{n}", subject="Hi" if n == 1 else None, body=f"email {n}", thread=n > 1),
            Wait(days=1),
        )
    ],
).compile()


async def test_state_survives_continue_as_new(
    ts_env: WorkflowEnvironment, clean_db: Database, task_queue: str
) -> None:
    lead = await add_lead(clean_db)
    async with clean_db.session() as session:
        campaign = Campaign(name="long", sequence_name=LONG.name, sequence_version=LONG.version)
        session.add(campaign)
        await session.flush()
        enrollment = Enrollment(
            campaign_id=campaign.id, lead_id=lead.id, workflow_id=workflow_id_for(str(lead.id))
        )
        session.add(enrollment)
        await session.commit()
    async with running_worker(ts_env.client, clean_db, task_queue, router()):
        handle = await ts_env.client.start_workflow(
            LEAD_SEQUENCE_WORKFLOW,
            LeadSequenceInput(
                lead_id=str(lead.id),
                enrollment_id=str(enrollment.id),
                campaign_id=str(campaign.id),
                spec=LONG,
                continue_as_new_after=25,  # a handful of steps per run
            ),
            id=enrollment.workflow_id,
            task_queue=task_queue,
            result_type=LeadSequenceResult,
        )
        first_run = handle.result_run_id
        result = await run_to_end(
            ts_env,
            ts_env.client.get_workflow_handle(
                enrollment.workflow_id, result_type=LeadSequenceResult
            ),
        )
        raw = await ts_env.client.workflow_service.describe_workflow_execution(
            DescribeWorkflowExecutionRequest(
                namespace=ts_env.client.namespace,
                execution=WorkflowExecution(workflow_id=enrollment.workflow_id),
            )
        )

    assert raw.workflow_execution_info.execution.run_id != first_run  # it continued as new
    assert result.outcome == "completed"
    assert result.sends == 6
    assert [m.step for m in await outbound(clean_db, lead.id)] == [1, 3, 5, 7, 9, 11]
    assert (await enrollments(clean_db, lead.id))[0].state == EnrollmentState.COMPLETED
