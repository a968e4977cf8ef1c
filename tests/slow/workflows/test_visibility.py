"""Search attributes on the dev server, where visibility queries work (eventually: poll)."""

from __future__ import annotations

from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from adapters.channels.base import PermanentChannelError
from models.db import Database
from sequences import Email, Sequence, Wait
from services.campaigns.service import compile_sequence, launch_campaign
from services.gateway import LeadWorkflows
from services.replies.schemas import ReplyCreate
from services.replies.service import handle_reply
from tests.helpers import add_lead, enrollments, eventually, outbound, start_spec
from tests.workers import ScriptedChannel, router, running_worker
from workflows import search_attributes as sa
from workflows.contracts import LeadSequenceResult


async def test_leads_are_found_by_status_campaign_and_step(
    dev_env: WorkflowEnvironment, dev_worker: Worker, clean_db: Database, task_queue: str
) -> None:
    client = dev_env.client
    lead = await add_lead(clean_db, email="visible@example.com")
    async with clean_db.session() as session:
        campaign = await launch_campaign(
            session,
            LeadWorkflows(client, task_queue),
            "vis",
            compile_sequence("demo"),
            [lead.id],
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
            LeadWorkflows(client_factory, task_queue),
            lead.id,
            ReplyCreate(content="Yes, sounds good, let's talk."),
            update_timeout=10,
        )
    result = await client.get_workflow_handle(workflow_id, result_type=LeadSequenceResult).result()
    assert result.outcome == "replied"

    async def replied() -> list[str]:
        return await found(f'LeadStatus = "REPLIED" AND LeadId = "{lead.id}"')

    assert await eventually(replied, within=30, every=0.3) == [workflow_id]


async def test_readme_web_ui_queries_find_stuck_ooo_and_step_three_leads(
    dev_env: WorkflowEnvironment, dev_worker: Worker, clean_db: Database, task_queue: str
) -> None:
    """The queries the README gives ops, run against the dev server's visibility store."""
    client = dev_env.client
    at_step_three = Sequence(
        "step-three",
        Email("a", subject="Hi", body="one"),
        Email("b", body="two", thread=True),
        Wait(days=1),
        Email("c", body="three", thread=True),
    ).compile()
    waiting = Sequence(
        "waiting",
        Email("a", subject="Hi", body="one"),
        Wait(days=3),
        Email("b", body="two", thread=True),
    ).compile()
    stepper, ooo, stuck = [await add_lead(clean_db) for _ in range(3)]
    [step_handle] = await start_spec(client, clean_db, task_queue, at_step_three, [stepper.id])
    [ooo_handle] = await start_spec(client, clean_db, task_queue, waiting, [ooo.id])
    campaign_id = (await enrollments(clean_db, stepper.id))[0].campaign_id

    failing = ScriptedChannel()
    failing.failures = [PermanentChannelError("rejected", error_type="SendGridBadRequest")]
    stuck_queue = f"{task_queue}-stuck"
    async with running_worker(client, clean_db, stuck_queue, router(email=failing)):
        [stuck_handle] = await start_spec(client, clean_db, stuck_queue, waiting, [stuck.id])

        async def ooo_sent() -> bool:
            return bool(await outbound(clean_db, ooo.id))

        await eventually(ooo_sent)
        async with clean_db.session() as session:
            await handle_reply(
                session,
                LeadWorkflows(_factory(client), task_queue),
                ooo.id,
                ReplyCreate(content="Out of office until next Monday, back on Tuesday."),
                update_timeout=10,
            )

        async def found(query: str) -> list[str]:
            return [wf.id async for wf in client.list_workflows(query)]

        queries = {
            'NeedsAttention = true AND ExecutionStatus = "Running"': stuck_handle.id,
            'PauseReason = "out of office"': ooo_handle.id,
            f'CampaignId = "{campaign_id}" AND CurrentStep = 3': step_handle.id,
        }
        for query, expected in queries.items():

            async def match(q: str = query) -> list[str]:
                return await found(q)

            assert expected in await eventually(match, within=30, every=0.3), query
        for handle in (step_handle, ooo_handle, stuck_handle):
            await handle.terminate("test over")


def _factory(client):  # type: ignore[no-untyped-def]
    async def get():  # type: ignore[no-untyped-def]
        return client

    return get
