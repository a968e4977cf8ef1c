"""Erasure on the dev server: the lead's running sequence is terminated and every execution
holding its email (search attribute LeadEmail, the input's facts) is deleted."""

from __future__ import annotations

from temporalio.api.namespace.v1 import NamespaceConfig
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.client import WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from models.db import Database
from services.campaigns.service import compile_sequence, launch_campaign
from services.erasure.service import erase_lead
from services.gateway import LeadWorkflows
from tests.helpers import add_lead, eventually


async def test_erasure_terminates_and_deletes_every_run(
    dev_env: WorkflowEnvironment, dev_worker: Worker, clean_db: Database, task_queue: str
) -> None:
    client = dev_env.client
    gateway = LeadWorkflows(client, task_queue)
    lead = await add_lead(clean_db, email="erase.me@example.com", name="Erin Erasable")
    async with clean_db.session() as session:
        await launch_campaign(session, gateway, "erase", compile_sequence("demo"), [lead.id])
    workflow_id = f"lead-{lead.id}"
    by_email = 'LeadEmail = "erase.me@example.com"'

    async def listed(query: str) -> list[str]:
        return [wf.id async for wf in client.list_workflows(query)]

    async def visible() -> list[str]:
        return await listed(by_email)

    assert await eventually(visible, within=30, every=0.3) == [workflow_id]
    desc = await client.get_workflow_handle(workflow_id).describe()
    assert desc.status == WorkflowExecutionStatus.RUNNING

    async with clean_db.session() as session:
        result = await erase_lead(session, gateway, lead.id)
    assert result.workflow_terminated is True
    assert result.temporal_executions_deleted >= 1 and result.temporal_refused is None

    async def gone() -> bool:
        try:
            await client.get_workflow_handle(workflow_id).describe()
        except RPCError as exc:
            return exc.status == RPCStatusCode.NOT_FOUND
        return False

    # The server deletes a just-terminated execution in the background: about 34 s on the dev
    # server here (it is TERMINATED until then).
    assert await eventually(gone, within=120, every=1)

    async def nothing_listed() -> bool:
        return await listed(by_email) == [] and await listed(f'WorkflowId = "{workflow_id}"') == []

    assert await eventually(nothing_listed, within=60, every=0.5)
    # Again: nothing left to terminate or delete, and no error.
    async with clean_db.session() as session:
        again = await erase_lead(session, gateway, lead.id)
    assert again.already_erased and not again.workflow_terminated


async def test_the_dev_servers_retention_is_what_the_readme_says(
    dev_env: WorkflowEnvironment,
) -> None:
    described = await dev_env.client.workflow_service.describe_namespace(
        DescribeNamespaceRequest(namespace=dev_env.client.namespace)
    )
    config: NamespaceConfig = described.config
    assert config.workflow_execution_retention_ttl.ToSeconds() == 24 * 3600
