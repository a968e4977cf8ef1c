"""Engine efficiency from real histories: history events and billed Temporal Cloud actions per
step, for a `demo` lead and `cold-outbound` leads (one with a phone, which takes the WhatsApp
branch, one without), next to a bare workflow of the same shape written by hand (the same
activities and timers, a signal for the task) run in the same process on the same server.

Runs on the time-skipping test server (waits of days pass in moments) with the real worker,
activities and an embedded PostgreSQL. SalesPad's events are split into steps by the
CurrentStep search-attribute upserts (bench/_harness/history.py: the workflow task that
follows a step, and what it records, count to that step); "start" is everything before the
first step (lead loading), "finish" the enrollment bookkeeping and the completion. The bare
workflow's events are split at each activity scheduled / timer started.

Targets (issue 11): <= 8 events per send step, <= 6 per wait step, <= 2 actions per step
(start and end spread over the steps). Never asserts.
Usage: .venv/bin/python bench/efficiency.py [--events]   (--events: list each step's events)
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from _harness.bare import BareInput, BareShape, Op
from _harness.cli import bench_main
from _harness.history import Bucket, short, split, upserted
from _harness.leads import insert_leads
from _harness.stack import database, time_skipping
from _harness.stats import print_table, verdict
from _harness.workers import worker_for
from sqlmodel import col, select
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType, WorkflowExecutionStatus
from temporalio.api.history.v1 import HistoryEvent
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from models.db import Database
from models.enums import TaskStatus
from models.tables import Task
from services.campaigns.service import compile_sequence, launch_campaign
from services.gateway import LeadWorkflows
from services.tasks.service import answer_task
from workflows.spec import SequenceSpec

TARGETS = {"send": 8, "wait": 6}
ACTIONS_PER_STEP = 2
SKIP = timedelta(hours=1)


@dataclass
class Case:
    title: str
    sequence: str
    phone: bool


CASES = [
    Case("demo", "demo", phone=False),
    Case("cold-outbound, lead with a phone (WhatsApp branch)", "cold-outbound", phone=True),
    Case("cold-outbound, lead without a phone (LinkedIn task)", "cold-outbound", phone=False),
]


async def _running(client: Client, workflow_id: str) -> bool:
    # The raw describe: the SDK's describe() cannot decode the test server's datetime
    # search attributes.
    raw = await client.workflow_service.describe_workflow_execution(
        DescribeWorkflowExecutionRequest(
            namespace=client.namespace, execution=WorkflowExecution(workflow_id=workflow_id)
        )
    )
    status = raw.workflow_execution_info.status
    return bool(status == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING)


async def _answer_open_tasks(db: Database, gateway: LeadWorkflows, lead_id: uuid.UUID) -> None:
    """Ops tick the LinkedIn task as done, as they would in the inbox."""
    async with db.session() as session:
        tasks = (
            await session.exec(
                select(Task).where(Task.lead_id == lead_id, col(Task.status) == TaskStatus.OPEN)
            )
        ).all()
        ids = [t.id for t in tasks]
    for task_id in ids:
        async with db.session() as session:
            await answer_task(session, gateway, task_id, "done")


def _salespad_steps(spec: SequenceSpec) -> dict[str, str]:
    return {str(no): step.kind for no, step in enumerate(spec.steps, start=1)}


def _salespad_begins() -> Callable[[HistoryEvent], str | None]:
    """Steps begin at SalesPad's CurrentStep upserts; a CurrentStep the start already set
    (lean runs) begins at the first command after the start, the first step's activity."""
    at_start: list[str] = []
    begun = False

    def begins(event: HistoryEvent) -> str | None:
        nonlocal begun
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
            fields = event.workflow_execution_started_event_attributes.search_attributes
            if "CurrentStep" in fields.indexed_fields:
                at_start.append(fields.indexed_fields["CurrentStep"].data.decode())
            return None
        step = upserted(event, "CurrentStep")
        if step is not None and step != b"null":
            begun = True
            return step.decode()
        first_command = event.event_type in (
            EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
            EventType.EVENT_TYPE_TIMER_STARTED,
        )
        if at_start and not begun and first_command:
            begun = True
            return at_start[0]
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED and (
            event.activity_task_scheduled_event_attributes.activity_type.name == "finish_enrollment"
        ):
            return "finish"
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
            return "finish"
        return None

    return begins


def bare_shape(spec: SequenceSpec, phone: bool) -> tuple[list[tuple[Op, float]], list[str]]:
    """The same activities and timers as the lead walks them, by hand: the ops, and the step
    number (as SalesPad numbers it) each op belongs to."""
    ops: list[tuple[Op, float]] = []
    owner: list[str] = []
    skip_to: str | None = None
    for no, step in enumerate(spec.steps, start=1):
        step_id = getattr(step, "id", None)
        if skip_to is not None and step_id != skip_to:
            continue
        skip_to = None
        if step.kind == "send":
            ops.append(("activity", 0))
            owner.append(str(no))
        elif step.kind == "wait":
            ops.append(("timer", float(step.seconds)))
            owner.append(str(no))
        elif step.kind == "task":
            ops += [("activity", 0), ("task", float(step.due_seconds))]
            owner += [str(no), str(no)]
        elif step.kind == "branch":
            skip_to = step.then if phone else step.otherwise
    return ops, owner


def _bare_splitter(owner: list[str]) -> Callable[[HistoryEvent], str | None]:
    markers = {EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, EventType.EVENT_TYPE_TIMER_STARTED}
    seen = 0

    def begins(event: HistoryEvent) -> str | None:
        nonlocal seen
        if event.event_type in markers:
            seen += 1
            return owner[seen - 1]
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
            return "finish"
        return None

    return begins


async def run_salespad(
    env: WorkflowEnvironment, db: Database, queue: str, case: Case, spec: SequenceSpec
) -> dict[str, Bucket]:
    [lead_id] = await insert_leads(db, 1, f"eff-{uuid.uuid4().hex[:6]}", phone=case.phone)
    gateway = LeadWorkflows(env.client, queue)
    async with db.session() as session:
        result = await launch_campaign(session, gateway, case.title, spec, [lead_id])
    handle: WorkflowHandle[object, object] = env.client.get_workflow_handle(
        result.enrolled[0].workflow_id
    )
    while await _running(env.client, handle.id):
        await _answer_open_tasks(db, gateway, lead_id)
        await env.sleep(SKIP)
    history = await handle.fetch_history()
    return split(history.events, _salespad_begins())


async def run_bare(
    env: WorkflowEnvironment, queue: str, ops: list[tuple[Op, float]], owner: list[str]
) -> dict[str, Bucket]:
    wid = f"bare-eff-{uuid.uuid4().hex[:8]}"
    handle = await env.client.start_workflow(
        BareShape.run, BareInput(key=wid, steps=ops), id=wid, task_queue=queue
    )
    # Each op leaves one marker event (activity scheduled / timer started): the task wait's
    # timer says the workflow waits for its task, and the signal is sent then, as ops would.
    kinds = [op for op, _ in ops]
    task_marker = kinds.index("task") + 1 if "task" in kinds else None
    signalled = False
    while await _running(env.client, wid):
        if task_marker is not None and not signalled:
            events = (await handle.fetch_history()).events
            started = sum(
                e.event_type
                in (
                    EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
                    EventType.EVENT_TYPE_TIMER_STARTED,
                )
                for e in events
            )
            if started >= task_marker:
                await handle.signal(BareShape.done)
                signalled = True
        await env.sleep(SKIP)
    history = await handle.fetch_history()
    return split(history.events, _bare_splitter(owner))


def report(
    case: Case,
    kinds: dict[str, str],
    ours: dict[str, Bucket],
    bare: dict[str, Bucket],
    show_events: bool,
    per_kind: dict[str, list[tuple[int, int, int, int]]],
) -> None:
    print(f"\n== {case.title}")
    rows: list[list[object]] = []
    order = ["start", *[k for k in ours if k not in ("start", "finish")], "finish"]
    for label in order:
        b = ours.get(label, Bucket())
        base = bare.get(label, Bucket())
        kind = kinds.get(label, "bookkeeping")
        rows.append([label, kind, b.count, b.actions, base.count, base.actions])
        if kind in ("send", "wait", "task", "branch"):
            per_kind[kind].append((b.count, b.actions, base.count, base.actions))
    total = [sum(int(r[i]) for r in rows) for i in (2, 3, 4, 5)]  # type: ignore[call-overload]
    rows.append(["total", "", *total])
    print_table(["step", "kind", "events", "actions", "bare events", "bare actions"], rows)
    if show_events:
        for label in order:
            print(f"  {label}: " + ", ".join(short(e) for e in ours.get(label, Bucket()).events))
    steps = sum(1 for label in order if kinds.get(label) in ("send", "wait", "task", "branch"))
    print(
        f"actions per step, start and end spread over the {steps} steps: "
        f"{total[1] / steps:.2f} (bare {total[3] / steps:.2f}); "
        f"{verdict(total[1] / steps, ACTIONS_PER_STEP, at_most=True)}; "
        f"events {total[0]} vs bare {total[2]} ({total[0] / total[2]:.2f}x), "
        f"actions {total[1]} vs bare {total[3]} ({total[1] / total[3]:.2f}x)"
    )


async def measure(url: str, show_events: bool) -> None:
    print("time-skipping test server; one lead per case (three histories, a fixed size)")
    per_kind: dict[str, list[tuple[int, int, int, int]]] = defaultdict(list)
    async with time_skipping() as env, database(url) as db:
        queue, bare_queue = (
            f"bench-eff-{uuid.uuid4().hex[:6]}",
            f"bench-bare-{uuid.uuid4().hex[:6]}",
        )
        async with (
            await worker_for("salespad", env.client, db, queue),
            await worker_for("bare", env.client, db, bare_queue),
        ):
            for case in CASES:
                spec = compile_sequence(case.sequence)
                ours = await run_salespad(env, db, queue, case, spec)
                ops, owner = bare_shape(spec, case.phone)
                bare = await run_bare(env, bare_queue, ops, owner)
                report(case, _salespad_steps(spec), ours, bare, show_events, per_kind)
    print("\n== per step kind, over the three leads (mean)")
    rows: list[list[object]] = []
    for kind in ("send", "wait", "task", "branch"):
        got = per_kind.get(kind)
        if not got:
            continue
        mean = [sum(g[i] for g in got) / len(got) for i in range(4)]
        target = TARGETS.get(kind)
        mark = verdict(mean[0], target, at_most=True) if target else ""
        rows.append([kind, len(got), *mean, mark])
    print_table(
        ["kind", "steps", "events", "actions", "bare events", "bare actions", "events target"],
        rows,
    )


if __name__ == "__main__":
    bench_main(
        __doc__,
        lambda a, s: measure(s.database_url, a.events),
        leads=None,
        timeout=600,
        dev_server=False,
        options=lambda p: p.add_argument(
            "--events", action="store_true", help="list each step's events"
        ),
    )
