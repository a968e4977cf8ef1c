"""Search attributes on the dev server, where visibility queries work (eventually: poll)."""

from __future__ import annotations

from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from api.schemas import CampaignCreate, ReplyCreate
from api.services.campaigns import create_campaign
from api.services.replies import handle_reply
from models.db import Database
from tests.helpers import add_lead, eventually
from workflows import search_attributes as sa
from workflows.contracts import LeadSequenceResult


async def test_leads_are_found_by_status_campaign_and_step(
    dev_env: WorkflowEnvironment, dev_worker: Worker, clean_db: Database, task_queue: str
) -> None:
    client = dev_env.client
    lead = await add_lead(clean_db, email="visible@example.com")
    async with clean_db.session() as session:
        campaign = await create_campaign(
            session,
            client,
            task_queue,
            CampaignCreate(name="vis", sequence="demo", lead_ids=[lead.id]),
        )
    workflow_id = f"lead-{lead.id}"

    async def found(query: str) -> list[str]:
        return [wf.id async for wf in client.list_workflows(query)]

    waiting = (
        f'LeadStatus = "OUTREACHED" AND CampaignId = "{campaign.id}" '
        "AND CurrentStep = 2 AND NextActionAt IS NOT NULL"
    )

    async def outreached_and_waiting() -> list[str]:
        return await found(waiting)

    assert await eventually(outreached_and_waiting, within=30, every=0.3) == [workflow_id]
    desc = await client.get_workflow_handle(workflow_id).describe()
    attrs = desc.typed_search_attributes
    assert attrs.get(sa.LEAD_EMAIL) == "visible@example.com"
    assert attrs.get(sa.SEQUENCE_NAME) == "demo"
    assert attrs.get(sa.NEEDS_ATTENTION) is False
    assert attrs.get(sa.NEXT_ACTION_AT) is not None

    async def client_factory():  # type: ignore[no-untyped-def]
        return client

    async with clean_db.session() as session:
        await handle_reply(
            session,
            client_factory,
            lead.id,
            ReplyCreate(content="Yes, sounds good, let's talk."),
            update_timeout=10,
            task_queue=task_queue,
        )
    result = await client.get_workflow_handle(workflow_id, result_type=LeadSequenceResult).result()
    assert result.outcome == "replied"

    async def replied() -> list[str]:
        return await found(f'LeadStatus = "REPLIED" AND LeadId = "{lead.id}"')

    assert await eventually(replied, within=30, every=0.3) == [workflow_id]
