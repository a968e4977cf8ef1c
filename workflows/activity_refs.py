"""Every activity the workflows call, declared once with its types, timeout and retry policy.

Workflows may not import activities/ (side effects), so each activity is called by its
registered name; a typed reference lets mypy check the argument and the result of every call,
and tests can still swap an activity for an `@activity.defn(name=...)` fake.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Generic, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from workflows.campaign_contracts import (
        ENROLL_BATCH_ACTIVITY,
        FINISH_CAMPAIGN_BATCH_ACTIVITY,
        NEXT_ENROLLMENT_BATCH_ACTIVITY,
        EnrollBatchInput,
        EnrollBatchResult,
        FinishBatchInput,
        LeadPage,
        NextBatchInput,
    )
    from workflows.contracts import (
        CREATE_TASK_ACTIVITY,
        FINISH_ENROLLMENT_ACTIVITY,
        LOAD_LEAD_FACTS_ACTIVITY,
        PROCESS_REPLY_ACTIVITY,
        RECORD_STATE_ACTIVITY,
        RELEASE_CLAIM_ACTIVITY,
        SEND_STEP_ACTIVITY,
        SWEEP_REPLIES_ACTIVITY,
        CreateTaskInput,
        CreateTaskResult,
        EnrollmentStateInput,
        FinishEnrollmentInput,
        LeadFacts,
        LoadFactsInput,
        ProcessReplyInput,
        ProcessReplyResult,
        ReleaseClaimInput,
        ReplySweepInput,
        ReplySweepResult,
        SendStepInput,
        SendStepResult,
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
    from workflows.mailbox_contracts import (
        POLL_MAILBOX_ACTIVITY,
        PollMailboxInput,
        PollMailboxResult,
    )
    from workflows.policies import (
        DB_POLICY,
        DB_TIMEOUT,
        DRAFT_TIMEOUT,
        ENROLL_BATCH_TIMEOUT,
        LLM_POLICY,
        LLM_TIMEOUT,
        MAILBOX_POLL_POLICY,
        MAILBOX_POLL_TIMEOUT,
        SEND_POLICY,
        SEND_TIMEOUT,
        SWEEP_POLICY,
        SWEEP_TIMEOUT,
    )
    from workflows.queues import Concern, queue_name

InT = TypeVar("InT")
OutT = TypeVar("OutT")


@dataclass(frozen=True)
class ActivityRef(Generic[InT, OutT]):
    """An activity by name, with the types mypy checks and the policy it always runs under."""

    name: str
    # None for activities that return nothing: their result is not decoded.
    result_type: type[OutT] | None
    timeout: timedelta
    retry_policy: RetryPolicy
    # The task queue it runs on (workflows/queues.py), derived from the workflow's own.
    concern: Concern = "main"

    async def run(
        self,
        inp: InT,
        *,
        retry_policy: RetryPolicy | None = None,
        concern: Concern | None = None,
    ) -> OutT:
        on = concern or self.concern
        result: OutT = await workflow.execute_activity(
            self.name,
            inp,
            result_type=self.result_type,
            start_to_close_timeout=self.timeout,
            retry_policy=retry_policy or self.retry_policy,
            # None: the workflow's own queue, as every activity ran before queues per concern.
            task_queue=None if on == "main" else queue_name(workflow.info().task_queue, on),
        )
        return result


# A send's queue depends on its channel: SendRunner passes `concern=send_concern(...)`.
send_step = ActivityRef[SendStepInput, SendStepResult](
    SEND_STEP_ACTIVITY, SendStepResult, SEND_TIMEOUT, SEND_POLICY, "email"
)
process_reply = ActivityRef[ProcessReplyInput, ProcessReplyResult](
    PROCESS_REPLY_ACTIVITY, ProcessReplyResult, LLM_TIMEOUT, LLM_POLICY, "ai"
)
load_lead_facts = ActivityRef[LoadFactsInput, LeadFacts](
    LOAD_LEAD_FACTS_ACTIVITY, LeadFacts, DB_TIMEOUT, DB_POLICY
)
record_enrollment_state = ActivityRef[EnrollmentStateInput, None](
    RECORD_STATE_ACTIVITY, None, DB_TIMEOUT, DB_POLICY
)
create_task = ActivityRef[CreateTaskInput, CreateTaskResult](
    CREATE_TASK_ACTIVITY, CreateTaskResult, DB_TIMEOUT, DB_POLICY
)
release_send_claim = ActivityRef[ReleaseClaimInput, None](
    RELEASE_CLAIM_ACTIVITY, None, DB_TIMEOUT, DB_POLICY
)
finish_enrollment = ActivityRef[FinishEnrollmentInput, None](
    FINISH_ENROLLMENT_ACTIVITY, None, DB_TIMEOUT, DB_POLICY
)
draft_step = ActivityRef[DraftStepInput, DraftStepResult](
    DRAFT_STEP_ACTIVITY, DraftStepResult, DRAFT_TIMEOUT, LLM_POLICY, "ai"
)
open_draft_task = ActivityRef[OpenDraftTaskInput, DraftTaskResult](
    OPEN_DRAFT_TASK_ACTIVITY, DraftTaskResult, DB_TIMEOUT, DB_POLICY
)
settle_draft_task = ActivityRef[SettleDraftTaskInput, DraftTaskResult](
    SETTLE_DRAFT_TASK_ACTIVITY, DraftTaskResult, DB_TIMEOUT, DB_POLICY
)
next_enrollment_batch = ActivityRef[NextBatchInput, LeadPage](
    NEXT_ENROLLMENT_BATCH_ACTIVITY, LeadPage, DB_TIMEOUT, DB_POLICY
)
enroll_batch = ActivityRef[EnrollBatchInput, EnrollBatchResult](
    ENROLL_BATCH_ACTIVITY, EnrollBatchResult, ENROLL_BATCH_TIMEOUT, DB_POLICY
)
finish_campaign_batch = ActivityRef[FinishBatchInput, None](
    FINISH_CAMPAIGN_BATCH_ACTIVITY, None, DB_TIMEOUT, DB_POLICY
)
sweep_replies = ActivityRef[ReplySweepInput, ReplySweepResult](
    SWEEP_REPLIES_ACTIVITY, ReplySweepResult, SWEEP_TIMEOUT, SWEEP_POLICY
)
poll_mailbox = ActivityRef[PollMailboxInput, PollMailboxResult](
    POLL_MAILBOX_ACTIVITY, PollMailboxResult, MAILBOX_POLL_TIMEOUT, MAILBOX_POLL_POLICY
)
