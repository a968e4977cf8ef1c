"""The one gateway to a lead's workflow: every start, signal and update goes through here.

One not-found policy: a workflow that has ended or never existed is reported as a value
(`False`, or a `StartResult` that says it was already running), never raised; any other error
(Temporal unreachable, a rejected request) is raised for the caller to decide. Services take a
`LeadWorkflowGateway`, so tests can hand them a fake.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from pydantic import BaseModel
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DeleteWorkflowExecutionRequest
from temporalio.client import (
    Client,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from services.errors import ServiceUnavailable
from workflows import search_attributes as sa
from workflows.campaign_contracts import (
    ENROLL_CAMPAIGN_WORKFLOW,
    EnrollCampaignInput,
    enroll_workflow_id,
)
from workflows.contracts import (
    CONTROL_SIGNAL,
    LEAD_SEQUENCE_WORKFLOW,
    OPS_SIGNAL,
    PROCESS_REPLY_WORKFLOW,
    REPLY_SIGNAL,
    REPLY_UPDATE,
    STOP_SIGNAL,
    TASK_SIGNAL,
    ControlRequest,
    LeadSequenceInput,
    OpsCommand,
    ProcessReplyInput,
    ProcessReplyResult,
    ReplyNotice,
    ReplyOutcome,
    StopRequest,
    TaskDone,
    reply_workflow_id,
    workflow_id_for,
)
from workflows.draft_contracts import DRAFT_DECISION_SIGNAL, DraftDecision

ClientSource = Client | Callable[[], Awaitable[Client]]
# Signals to many leads go out this many at a time: one request per client, bounded fan-out.
BATCH = 50


@dataclass(frozen=True)
class SequenceStart:
    """What starting one lead's sequence takes: its input, and the email shown in the Web UI."""

    input: LeadSequenceInput
    lead_email: str | None


@dataclass(frozen=True)
class StartResult:
    lead_id: str
    started: bool  # False: a sequence for this lead is already running
    run_id: str | None = None


@dataclass(frozen=True)
class ReplyDelivery:
    """How a reply reached the lead's workflow.

    update: the running sequence handled it (`outcome`); signal: queued durably for it;
    processed: no sequence was running, ProcessReply classified it (`processed`);
    queued: that classification is still running.
    """

    via: Literal["update", "signal", "processed", "queued"]
    outcome: ReplyOutcome | None = None
    processed: ProcessReplyResult | None = None


@dataclass(frozen=True)
class WorkflowErasure:
    """What an erasure did in Temporal: whether a running sequence was terminated, how many
    executions' deletion the server accepted (it deletes asynchronously), and why deletion was
    refused, if it was (e.g. not permitted on this namespace)."""

    terminated: bool
    deleted: int
    refused: str | None = None


# Carries no personal data: it stays in the history until the execution is deleted.
ERASE_REASON = "erased (GDPR Art. 17)"


class LeadWorkflowGateway(Protocol):
    """What services need from Temporal; `LeadWorkflows` is the real one."""

    async def ensure_connected(self) -> None:
        """Raise (ServiceUnavailable) before a caller changes anything, if Temporal is down."""

    async def start_sequences(self, starts: Sequence[SequenceStart]) -> list[StartResult]: ...

    async def start_enrollment(self, inp: EnrollCampaignInput) -> bool:
        """Start enrolling a campaign batch in the background; False if that batch's workflow
        was started before (it is never started twice)."""
        ...

    async def control(self, lead_id: uuid.UUID, request: ControlRequest) -> bool: ...

    async def control_many(
        self, lead_ids: Sequence[uuid.UUID], request: ControlRequest
    ) -> list[bool]: ...

    async def ops(self, lead_id: uuid.UUID, command: OpsCommand) -> bool: ...

    async def stop(self, lead_id: uuid.UUID, request: StopRequest) -> bool: ...

    async def task_done(self, lead_id: uuid.UUID, done: TaskDone) -> bool: ...

    async def draft_decision(self, lead_id: uuid.UUID, decision: DraftDecision) -> bool: ...

    async def deliver_reply(
        self,
        lead_id: uuid.UUID,
        notice: ReplyNotice,
        *,
        sequence_running: bool,
        update_timeout: float,
        signal_only: bool = False,
    ) -> ReplyDelivery: ...

    async def erase(self, lead_id: uuid.UUID, reply_message_ids: Sequence[str]) -> WorkflowErasure:
        """Terminate the lead's sequence and delete every execution that holds its data: each
        run of `lead-<id>` and the ProcessReply workflow of each of its replies."""
        ...


class LeadWorkflows:
    """A Temporal client (or a factory that connects on first use) and the task queue."""

    def __init__(self, client: ClientSource, task_queue: str) -> None:
        self._source = client
        self.task_queue = task_queue

    async def client(self) -> Client:
        if isinstance(self._source, Client):
            return self._source
        return await self._source()

    async def ensure_connected(self) -> None:
        await self.client()

    async def start_sequences(self, starts: Sequence[SequenceStart]) -> list[StartResult]:
        """Start one sequence per lead, `BATCH` at a time; a lead whose sequence is already
        running is reported as not started. Other errors are raised."""
        results: list[StartResult] = []
        for first in range(0, len(starts), BATCH):
            batch = starts[first : first + BATCH]
            results += await asyncio.gather(*(self._start(s) for s in batch))
        return results

    async def start_enrollment(self, inp: EnrollCampaignInput) -> bool:
        try:
            await (await self.client()).start_workflow(
                ENROLL_CAMPAIGN_WORKFLOW,
                inp,
                id=enroll_workflow_id(inp.campaign_id, inp.batch),
                task_queue=self.task_queue,
                # One run per batch, ever: a repeated request finds it instead.
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
                search_attributes=TypedSearchAttributes(
                    [SearchAttributePair(sa.CAMPAIGN_ID, inp.campaign_id)]
                ),
            )
        except WorkflowAlreadyStartedError:
            return False
        return True

    async def _start(self, start: SequenceStart) -> StartResult:
        inp = start.input
        try:
            handle = await (await self.client()).start_workflow(
                LEAD_SEQUENCE_WORKFLOW,
                inp,
                id=workflow_id_for(inp.lead_id),
                task_queue=self.task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
                id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
                search_attributes=TypedSearchAttributes(
                    [
                        SearchAttributePair(sa.CAMPAIGN_ID, inp.campaign_id),
                        SearchAttributePair(sa.SEQUENCE_NAME, inp.spec.name),
                        SearchAttributePair(sa.LEAD_ID, inp.lead_id),
                        SearchAttributePair(sa.LEAD_EMAIL, start.lead_email or ""),
                        SearchAttributePair(sa.LEAD_STATUS, inp.lead_status),
                        SearchAttributePair(sa.NEEDS_ATTENTION, False),
                        # Set here, the first step needs no upsert of its own.
                        *(
                            [SearchAttributePair(sa.CURRENT_STEP, 1)]
                            if inp.spec.steps and inp.state is None
                            else []
                        ),
                    ]
                ),
            )
        except WorkflowAlreadyStartedError:
            return StartResult(lead_id=inp.lead_id, started=False)
        return StartResult(
            lead_id=inp.lead_id,
            started=True,
            run_id=handle.first_execution_run_id or handle.result_run_id,
        )

    async def _signal(self, lead_id: uuid.UUID, name: str, arg: BaseModel) -> bool:
        """The one not-found policy: False when the lead's workflow has ended or never ran."""
        handle = (await self.client()).get_workflow_handle(workflow_id_for(str(lead_id)))
        try:
            await handle.signal(name, arg)
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                return False
            raise
        return True

    async def control(self, lead_id: uuid.UUID, request: ControlRequest) -> bool:
        return await self._signal(lead_id, CONTROL_SIGNAL, request)

    async def control_many(
        self, lead_ids: Sequence[uuid.UUID], request: ControlRequest
    ) -> list[bool]:
        """Signal each lead, `BATCH` at a time; one bool per lead, in order."""
        results: list[bool] = []
        for first in range(0, len(lead_ids), BATCH):
            batch = lead_ids[first : first + BATCH]
            results += await asyncio.gather(*(self.control(lead_id, request) for lead_id in batch))
        return results

    async def ops(self, lead_id: uuid.UUID, command: OpsCommand) -> bool:
        return await self._signal(lead_id, OPS_SIGNAL, command)

    async def stop(self, lead_id: uuid.UUID, request: StopRequest) -> bool:
        return await self._signal(lead_id, STOP_SIGNAL, request)

    async def task_done(self, lead_id: uuid.UUID, done: TaskDone) -> bool:
        return await self._signal(lead_id, TASK_SIGNAL, done)

    async def draft_decision(self, lead_id: uuid.UUID, decision: DraftDecision) -> bool:
        return await self._signal(lead_id, DRAFT_DECISION_SIGNAL, decision)

    async def deliver_reply(
        self,
        lead_id: uuid.UUID,
        notice: ReplyNotice,
        *,
        sequence_running: bool,
        update_timeout: float,
        signal_only: bool = False,
    ) -> ReplyDelivery:
        """To a running sequence: an Update, which falls back to a durable signal when no
        worker answers within `update_timeout` (`signal_only`: the signal without an Update).
        With no sequence running (or one that ended meanwhile): a ProcessReply workflow
        classifies the reply on its own, awaited for up to `update_timeout`."""
        client = await self.client()
        if sequence_running:
            handle = client.get_workflow_handle(workflow_id_for(str(lead_id)))
            if signal_only:
                if await self._signal(lead_id, REPLY_SIGNAL, notice):
                    return ReplyDelivery(via="signal")
                sequence_running = False
        if sequence_running:
            try:
                outcome = await asyncio.wait_for(
                    handle.execute_update(
                        REPLY_UPDATE,
                        notice,
                        id=f"reply-{notice.db_message_id}",
                        result_type=ReplyOutcome,
                    ),
                    timeout=update_timeout,
                )
                return ReplyDelivery(via="update", outcome=outcome)
            except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
                # Not accepted in time (our timeout, or the server's RPC deadline first): the
                # durable signal carries it; the same reply id makes it count once.
                await handle.signal(REPLY_SIGNAL, notice)
                return ReplyDelivery(via="signal")
            except WorkflowUpdateFailedError:
                pass  # it finished meanwhile: classify on its own below
            except RPCError as exc:
                if exc.status not in (RPCStatusCode.NOT_FOUND, RPCStatusCode.FAILED_PRECONDITION):
                    raise
        process = await client.start_workflow(
            PROCESS_REPLY_WORKFLOW,
            ProcessReplyInput(
                lead_id=str(lead_id), enrollment_id=None, db_message_id=notice.db_message_id
            ),
            id=reply_workflow_id(notice.db_message_id),
            task_queue=self.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            result_type=ProcessReplyResult,
        )
        try:
            result = await asyncio.wait_for(process.result(), timeout=update_timeout)
        except TimeoutError:
            return ReplyDelivery(via="queued")
        return ReplyDelivery(via="processed", processed=result)

    async def erase(self, lead_id: uuid.UUID, reply_message_ids: Sequence[str]) -> WorkflowErasure:
        client = await self.client()
        workflow_id = workflow_id_for(str(lead_id))
        try:
            terminated = await self._terminate(client, workflow_id)
            runs = await self._runs(client, workflow_id)
            deleted, refused = 0, None
            for wf_id, run_id in [*runs, *((reply_workflow_id(m), "") for m in reply_message_ids)]:
                request = DeleteWorkflowExecutionRequest(
                    namespace=client.namespace,
                    workflow_execution=WorkflowExecution(workflow_id=wf_id, run_id=run_id),
                )
                try:
                    await client.workflow_service.delete_workflow_execution(request)
                    deleted += 1
                except RPCError as exc:
                    if exc.status == RPCStatusCode.NOT_FOUND:
                        continue
                    if exc.status in (RPCStatusCode.PERMISSION_DENIED, RPCStatusCode.UNIMPLEMENTED):
                        refused = f"{exc.status.name}: {exc.message}"
                        break
                    raise
        except RPCError as exc:
            if exc.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED):
                raise ServiceUnavailable("Temporal is not reachable", exc.message) from exc
            raise
        return WorkflowErasure(terminated=terminated, deleted=deleted, refused=refused)

    @staticmethod
    async def _terminate(client: Client, workflow_id: str) -> bool:
        try:
            await client.get_workflow_handle(workflow_id).terminate(reason=ERASE_REASON)
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:  # ended, or never started
                return False
            raise
        return True

    @staticmethod
    async def _runs(client: Client, workflow_id: str) -> list[tuple[str, str]]:
        """Every run of the workflow id (continued-as-new, re-enrolled), from visibility; a
        server without it (the time-skipping test server) gets the latest run only ("")."""
        runs: list[tuple[str, str]] = []
        try:
            async for execution in client.list_workflows(f"WorkflowId = '{workflow_id}'"):
                runs.append((execution.id, execution.run_id))
        except RPCError as exc:
            if exc.status != RPCStatusCode.UNIMPLEMENTED:
                raise
        return runs or [(workflow_id, "")]
