"""`salespad simulate`: run a sequence on Temporal's time-skipping server and print what is sent
when, in the lead's timezone. A three-week sequence takes about 3 seconds of skipped time;
starting the throwaway PostgreSQL and test server is most of the command's run time.

Everything real runs: the interpreter, the activities, PostgreSQL (a throwaway embedded one),
the offline reply classifier. Only the channels are the outbox and the clock skips ahead.
"""

from __future__ import annotations

import asyncio
import functools
import io
import tempfile
import uuid
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import WorkflowExecutionStatus
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter
from temporalio.testing import WorkflowEnvironment

from adapters.channels.outbox import OutboxChannel
from adapters.channels.registry import CHANNEL_TYPES, ChannelRouter
from config.temporal import ensure_search_attributes
from models.db import Database
from models.enums import Direction, TaskStatus
from models.migrate import upgrade
from models.tables import EventLog, Message, Task
from salespad.local import EmbeddedPostgres, find_binary
from services.campaigns.service import launch_campaign
from services.gateway import LeadWorkflows
from services.leads.service import upsert_lead
from services.replies.schemas import ReplyCreate
from services.replies.service import handle_reply
from services.simulation.schemas import Simulation, SimulationRun, TimelineRow, simulated_lead
from services.simulation.service import local_display, outcome_of
from services.tasks.service import answer_task
from worker import build_worker
from workflows.contracts import STATUS_QUERY, LeadSequenceResult, SequenceStatus

RUNNING = WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING
SHOWN_EVENTS = {
    "SEND_DEFERRED": "deferred (cap or send window)",
    "SEQUENCE_PAUSED": "paused",
    "SEQUENCE_RESUMED": "resumed",
    "TASK_CREATED": "task created",
    "TASK_DONE": "task done",
    "TASK_SKIPPED": "task skipped",
    "TASK_OVERDUE": "task overdue: needs attention",
    "INTENT_CLASSIFIED": "reply classified",
    "DEAD_LETTERED": "dead letter: needs attention",
    "DRAFT_CREATED": "AI draft created",
    "DRAFT_APPROVED": "AI draft approved",
    "DRAFT_REJECTED": "AI draft rejected: the template goes out",
    "PREFERRED_CHANNEL_LEARNED": "preferred channel learned",
}


async def workflow_running(client: Client, workflow_id: str) -> bool:
    """Raw describe: the SDK's describe() cannot decode the test server's Datetime attributes."""
    raw = await client.workflow_service.describe_workflow_execution(
        DescribeWorkflowExecutionRequest(
            namespace=client.namespace, execution=WorkflowExecution(workflow_id=workflow_id)
        )
    )
    return raw.workflow_execution_info.status == RUNNING


async def simulate(sim: Simulation) -> SimulationRun:
    """Run `sim` on its own PostgreSQL and time-skipping server. The blocking server starts and
    stops run in threads, so an API process keeps serving meanwhile; PostgreSQL is stopped on
    every way out, cancellation included."""
    with tempfile.TemporaryDirectory(prefix="salespad-sim-") as tmp:
        pg = EmbeddedPostgres(Path(tmp) / "pg", delete_on_stop=True)
        starting = asyncio.ensure_future(asyncio.to_thread(pg.start))
        try:
            await asyncio.shield(starting)
            url = pg.url("simulation")
            await asyncio.to_thread(upgrade, url)
            db = Database(url)
            try:
                return await _run(sim, db)
            finally:
                await db.dispose()
        finally:
            await asyncio.shield(_stop(starting, pg))


async def _stop(starting: asyncio.Future[EmbeddedPostgres], pg: EmbeddedPostgres) -> None:
    await asyncio.wait([starting])  # a start still under way finishes before the stop
    await asyncio.to_thread(pg.stop)


@functools.cache
def _runtime() -> Runtime:
    """The SDK core for simulations, logging errors only: the time-skipping server lacks
    capabilities of a real server (activity heartbeat details on failure) and the core warns
    about that on every run, which means nothing for a simulation. Errors still show."""
    quiet = TelemetryFilter(core_level="ERROR", other_level="ERROR")
    return Runtime(telemetry=TelemetryConfig(logging=LoggingConfig(filter=quiet)))


async def _run(sim: Simulation, db: Database) -> SimulationRun:
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=find_binary("temporal-test-server"),
        data_converter=pydantic_data_converter,
        runtime=_runtime(),
    )
    async with env:
        await ensure_search_attributes(env.client)
        if sim.start is not None:
            ahead = sim.start - await env.get_current_time()
            if ahead > timedelta(0):
                await env.sleep(ahead)
        queue = f"simulate-{uuid.uuid4().hex[:8]}"
        quiet = ChannelRouter({t: OutboxChannel(t, io.StringIO()) for t in CHANNEL_TYPES})
        workflows = LeadWorkflows(env.client, queue)
        async with build_worker(env.client, db, queue, quiet):
            async with db.session() as session:
                lead, _ = await upsert_lead(session, sim.lead)
                campaign = await launch_campaign(
                    session, workflows, "simulation", sim.spec, [lead.id]
                )
            workflow_id = campaign.enrolled[0].workflow_id
            await _drive(sim, env, db, workflows, lead.id, workflow_id)
            result = await env.client.get_workflow_handle(
                workflow_id, result_type=LeadSequenceResult
            ).result()
        return SimulationRun(await _timeline(db, lead.id), result)


async def _drive(
    sim: Simulation,
    env: WorkflowEnvironment,
    db: Database,
    workflows: LeadWorkflows,
    lead_id: uuid.UUID,
    workflow_id: str,
) -> None:
    pending = dict(sim.replies)
    start = await env.get_current_time()
    handle = env.client.get_workflow_handle(workflow_id)
    while await workflow_running(env.client, workflow_id):
        now = await env.get_current_time()
        if now - start > timedelta(days=sim.max_days):
            raise RuntimeError(f"still running after {sim.max_days} simulated days")
        async with db.session() as session:
            sent = {
                m.step: m.sent_at
                for m in (
                    await session.exec(
                        select(Message).where(
                            Message.lead_id == lead_id,
                            Message.direction == Direction.OUTBOUND,
                        )
                    )
                ).all()
            }
            for step, text in list(pending.items()):
                at = sent.get(step)
                if at is not None:
                    del pending[step]
                    await handle_reply(
                        session,
                        workflows,
                        lead_id,
                        ReplyCreate(content=text, received_at=now),
                        update_timeout=30,
                    )
            if sim.tasks != "ignore":
                for task in (
                    await session.exec(
                        select(Task).where(Task.lead_id == lead_id, Task.status == TaskStatus.OPEN)
                    )
                ).all():
                    await answer_task(
                        session,
                        workflows,
                        task.id,
                        "done" if sim.tasks == "done" else "skipped",
                        "simulated",
                        at=now,
                    )
        status = await handle.query(STATUS_QUERY, result_type=SequenceStatus)
        # Never skip past the next scheduled action, so a reply lands right after its step.
        if status.next_action_at is not None:
            skip = max(status.next_action_at - now, timedelta(seconds=1))
        else:
            skip = timedelta(seconds=1) if pending else timedelta(hours=1)
        await env.sleep(min(skip, timedelta(days=1)))


async def _timeline(db: Database, lead_id: uuid.UUID) -> list[TimelineRow]:
    rows: list[TimelineRow] = []
    async with db.session() as session:
        for m in (await session.exec(select(Message).where(Message.lead_id == lead_id))).all():
            at = m.sent_at or m.created_at
            if m.direction == Direction.INBOUND:
                rows.append(TimelineRow(at, "reply", preview=_preview(m.content)))
            elif m.delivery_status != "failed":
                rows.append(
                    TimelineRow(
                        at,
                        "send",
                        step=m.step,
                        channel=(m.details.get("channel") or "").upper() or None,
                        subject=m.subject or None,
                        preview=_preview(m.content),
                    )
                )
        for e in (
            await session.exec(
                select(EventLog).where(
                    EventLog.lead_id == lead_id, col(EventLog.event_type).in_(SHOWN_EVENTS)
                )
            )
        ).all():
            label = SHOWN_EVENTS[e.event_type]
            extra = (
                e.details.get("intent")
                or e.details.get("until")
                or e.details.get("action")
                or (
                    e.details.get("channel")
                    if e.event_type == "PREFERRED_CHANNEL_LEARNED"
                    else None
                )
            )
            rows.append(
                TimelineRow(
                    e.timestamp,
                    "event",
                    event=e.event_type,
                    label=label,
                    detail=str(extra) if extra else None,
                )
            )
    rows.sort(key=lambda r: r.at)
    return rows


def _preview(text: str, width: int = 60) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"


def render_timeline(rows: list[TimelineRow], tz_name: str, result: LeadSequenceResult) -> str:
    tz = ZoneInfo(tz_name)
    lines = [f"{local_display(r.at, tz)}  {r.text}" for r in rows]
    if rows:
        ended = outcome_of(rows, result)
        lines.append("")
        lines.append(
            f"outcome: {ended.outcome}, {ended.sends} sends over {ended.days:.1f} days"
            + (f" ({ended.reason})" if ended.reason else "")
        )
    return "\n".join(lines)


__all__ = ["Simulation", "SimulationRun", "render_timeline", "simulate", "simulated_lead"]
