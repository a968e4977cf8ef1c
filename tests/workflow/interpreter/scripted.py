"""Scripted fakes for every activity the interpreter calls, registered under the real names
(workflows/activity_refs.py), so a test drives LeadSequenceWorkflow with no database.

A `Scripted` records every call (its input, and `calls`: the activity names in call order)
and answers from a script: `sends` is consumed one entry per send_step call (then "sent"),
`replies` maps a db_message_id to the answers of its process_reply calls (the last one
repeats; a function of the workflow time answers relative to it), `facts` one entry
per load_lead_facts call (the last one repeats).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from temporalio import activity
from temporalio.client import Client, WorkflowHandle
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from tests.conftest import WORKER_SHUTDOWN
from tests.helpers import eventually
from worker import QueueWorkers
from workflows.contracts import (
    CREATE_TASK_ACTIVITY,
    FINISH_ENROLLMENT_ACTIVITY,
    LOAD_LEAD_FACTS_ACTIVITY,
    PROCESS_REPLY_ACTIVITY,
    RECORD_STATE_ACTIVITY,
    RELEASE_CLAIM_ACTIVITY,
    SEND_STEP_ACTIVITY,
    STATUS_QUERY,
    CreateTaskInput,
    CreateTaskResult,
    EnrollmentStateInput,
    FinishEnrollmentInput,
    LeadFacts,
    LeadSequenceInput,
    LeadSequenceResult,
    LoadFactsInput,
    ProcessReplyInput,
    ProcessReplyResult,
    ReleaseClaimInput,
    ReplyNotice,
    SendStepInput,
    SendStepResult,
    SequenceStatus,
    workflow_id_for,
)
from workflows.draft_contracts import (
    DRAFT_STEP_ACTIVITY,
    OPEN_DRAFT_TASK_ACTIVITY,
    SETTLE_DRAFT_TASK_ACTIVITY,
    DraftStepInput,
    DraftStepResult,
    DraftTaskResult,
    OpenDraftTaskInput,
    SettleDraftTaskInput,
)
from workflows.lead_sequence import LeadSequenceWorkflow
from workflows.queues import CONCERNS, queue_name
from workflows.spec import SequenceSpec

# One send_step answer: a result, an error to raise, or a function of the request and the
# moment the activity was scheduled (workflow time) giving either.
SendAnswer = SendStepResult | BaseException | Callable[[SendStepInput, datetime], Any]
ReplyAnswer = ProcessReplyResult | BaseException | Callable[[datetime], ProcessReplyResult]


def sent(lead_status: str = "OUTREACHED") -> SendStepResult:
    return SendStepResult.model_validate({"status": "sent", "lead_status": lead_status})


def skipped(reason: str) -> SendStepResult:
    return SendStepResult(status="skipped", lead_status="REPLIED", reason=reason)


def deferred(by: timedelta) -> Callable[[SendStepInput, datetime], SendStepResult]:
    """Deferred until `by` after the send was scheduled."""
    return lambda _inp, now: SendStepResult(
        status="deferred", lead_status="OUTREACHED", retry_at=now + by
    )


def notice(db_message_id: str) -> ReplyNotice:
    return ReplyNotice(
        message_id=f"provider-{db_message_id}",
        db_message_id=db_message_id,
        channel="EMAIL",
        received_at=datetime(2030, 1, 1),
    )


def reply_pending(*db_message_ids: str) -> SendStepResult:
    return SendStepResult(
        status="reply_pending",
        lead_status="OUTREACHED",
        pending_replies=[notice(i) for i in db_message_ids],
    )


def fails(error_type: str, message: str = "scripted failure") -> ApplicationError:
    return ApplicationError(message, type=error_type, non_retryable=True)


def classified(
    intent: str, lead_status: str = "REPLIED", return_date: date | None = None
) -> ProcessReplyResult:
    return ProcessReplyResult.model_validate(
        {
            "intent": intent,
            "confidence": 0.9,
            "reason": "scripted",
            "source": "test",
            "return_date": return_date,
            "lead_status": lead_status,
        }
    )


def facts(has_phone: bool = False) -> LeadFacts:
    return LeadFacts(status="NEW", has_email=True, has_phone=has_phone, timezone=None)


class Scripted:
    def __init__(
        self,
        sends: Sequence[SendAnswer] = (),
        replies: dict[str, Sequence[ReplyAnswer]] | None = None,
        lead_facts: Sequence[LeadFacts] = (),
    ) -> None:
        self.send_script: list[SendAnswer] = list(sends)
        self.reply_script = {k: list(v) for k, v in (replies or {}).items()}
        self.facts_script = list(lead_facts) or [facts()]
        self.calls: list[str] = []
        self.sends: list[SendStepInput] = []
        self.send_times: list[datetime] = []
        self.replies: list[ProcessReplyInput] = []
        self.states: list[EnrollmentStateInput] = []
        self.tasks: list[CreateTaskInput] = []
        self.releases: list[ReleaseClaimInput] = []
        self.finished: list[FinishEnrollmentInput] = []
        # Runs inside record_enrollment_state, before it returns (the state is committed).
        self.on_state: Callable[[EnrollmentStateInput], Awaitable[None]] | None = None

    # -- views the tests assert on ----------------------------------------------------------

    @property
    def sent_steps(self) -> list[int]:
        return [s.step_no for s in self.sends]

    @property
    def events(self) -> list[str | None]:
        return [s.event for s in self.states]

    # -- the fakes ---------------------------------------------------------------------------

    @activity.defn(name=SEND_STEP_ACTIVITY)
    async def send_step(self, inp: SendStepInput) -> SendStepResult:
        now = activity.info().current_attempt_scheduled_time
        self.calls.append(SEND_STEP_ACTIVITY)
        self.sends.append(inp)
        self.send_times.append(now)
        answer: Any = self.send_script.pop(0) if self.send_script else sent()
        if callable(answer) and not isinstance(answer, BaseException):
            answer = answer(inp, now)
        if isinstance(answer, BaseException):
            raise answer
        return answer  # type: ignore[no-any-return]

    @activity.defn(name=PROCESS_REPLY_ACTIVITY)
    async def process_reply(self, inp: ProcessReplyInput) -> ProcessReplyResult:
        self.calls.append(PROCESS_REPLY_ACTIVITY)
        self.replies.append(inp)
        script = self.reply_script.get(inp.db_message_id) or [
            classified("auto_reply", "OUTREACHED")
        ]
        answer = script.pop(0) if len(script) > 1 else script[0]
        if callable(answer) and not isinstance(answer, BaseException):
            answer = answer(activity.info().current_attempt_scheduled_time)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    @activity.defn(name=LOAD_LEAD_FACTS_ACTIVITY)
    async def load_lead_facts(self, inp: LoadFactsInput) -> LeadFacts:
        self.calls.append(LOAD_LEAD_FACTS_ACTIVITY)
        if len(self.facts_script) > 1:
            return self.facts_script.pop(0)
        return self.facts_script[0]

    @activity.defn(name=RECORD_STATE_ACTIVITY)
    async def record_enrollment_state(self, inp: EnrollmentStateInput) -> None:
        self.calls.append(RECORD_STATE_ACTIVITY)
        self.states.append(inp)
        if self.on_state is not None:
            await self.on_state(inp)

    @activity.defn(name=CREATE_TASK_ACTIVITY)
    async def create_task(self, inp: CreateTaskInput) -> CreateTaskResult:
        self.calls.append(CREATE_TASK_ACTIVITY)
        self.tasks.append(inp)
        # Already done: the interpreter moves on without waiting for a task_done signal.
        return CreateTaskResult(task_id=f"task-{inp.step_no}", status="done")

    @activity.defn(name=RELEASE_CLAIM_ACTIVITY)
    async def release_send_claim(self, inp: ReleaseClaimInput) -> None:
        self.calls.append(RELEASE_CLAIM_ACTIVITY)
        self.releases.append(inp)

    @activity.defn(name=FINISH_ENROLLMENT_ACTIVITY)
    async def finish_enrollment(self, inp: FinishEnrollmentInput) -> None:
        self.calls.append(FINISH_ENROLLMENT_ACTIVITY)
        self.finished.append(inp)

    # No spec in these tests has an AI step: a call to these is a bug, and fails loudly.
    @activity.defn(name=DRAFT_STEP_ACTIVITY)
    async def draft_step(self, inp: DraftStepInput) -> DraftStepResult:
        raise AssertionError("draft_step called without an AI step")

    @activity.defn(name=OPEN_DRAFT_TASK_ACTIVITY)
    async def open_draft_task(self, inp: OpenDraftTaskInput) -> DraftTaskResult:
        raise AssertionError("open_draft_task called without an AI step")

    @activity.defn(name=SETTLE_DRAFT_TASK_ACTIVITY)
    async def settle_draft_task(self, inp: SettleDraftTaskInput) -> DraftTaskResult:
        raise AssertionError("settle_draft_task called without an AI step")

    def activities(self) -> list[Callable[..., Any]]:
        return [
            self.send_step,
            self.process_reply,
            self.load_lead_facts,
            self.record_enrollment_state,
            self.create_task,
            self.release_send_claim,
            self.finish_enrollment,
            self.draft_step,
            self.open_draft_task,
            self.settle_draft_task,
        ]

    def worker(self, client: Client, task_queue: str) -> QueueWorkers:
        """The workflow on `task_queue`; every fake on it and on each concern's queue
        (workflows/queues.py): the interpreter picks the queue, the fakes answer by name."""
        workers = {
            concern: Worker(
                client,
                task_queue=queue_name(task_queue, concern),
                workflows=[LeadSequenceWorkflow] if concern == "main" else [],
                activities=self.activities(),
                graceful_shutdown_timeout=WORKER_SHUTDOWN,
            )
            for concern in CONCERNS
        }
        return QueueWorkers(workers)


async def start(
    client: Client, task_queue: str, spec: SequenceSpec, **fields: Any
) -> WorkflowHandle[LeadSequenceWorkflow, LeadSequenceResult]:
    """Start the interpreter for a fresh lead id (workflow id `lead-{id}`), as the gateway does."""
    lead_id = str(uuid.uuid4())
    inp = LeadSequenceInput(
        lead_id=lead_id, enrollment_id="enr-1", campaign_id="camp-1", spec=spec, **fields
    )
    return await client.start_workflow(
        LeadSequenceWorkflow.run, inp, id=workflow_id_for(lead_id), task_queue=task_queue
    )


async def status(handle: WorkflowHandle[Any, Any]) -> SequenceStatus:
    now: SequenceStatus = await handle.query(STATUS_QUERY, result_type=SequenceStatus)
    return now


async def status_when(
    handle: WorkflowHandle[Any, Any], test: Callable[[SequenceStatus], bool]
) -> SequenceStatus:
    """Poll the status query until `test` holds (the clock only skips while awaiting result)."""

    async def probe() -> SequenceStatus | None:
        now = await status(handle)
        return now if test(now) else None

    found: SequenceStatus | None = await eventually(probe)
    assert found is not None
    return found
