"""A workflow gateway that records what services asked of Temporal, for the service tier.

It keeps the real gateway's not-found policy: a lead has a "running" sequence from the moment
it is started here until `finish` is called; signals to any other lead answer False.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

import psycopg
from pydantic import BaseModel
from temporalio.testing import ActivityEnvironment

from activities.campaigns import CampaignActivities
from models.db import Database
from services.gateway import ReplyDelivery, SequenceStart, StartResult, WorkflowErasure
from workflows.campaign_contracts import (
    EnrollBatchInput,
    EnrollCampaignInput,
    FinishBatchInput,
    NextBatchInput,
    enroll_workflow_id,
)
from workflows.contracts import ControlRequest, OpsCommand, ReplyNotice, StopRequest, TaskDone
from workflows.draft_contracts import DraftDecision

IDLE_IN_TRANSACTION = """
    SELECT query FROM pg_stat_activity
    WHERE datname = current_database() AND pid <> pg_backend_pid()
      AND state IN ('idle in transaction', 'idle in transaction (aborted)')
"""


@dataclass
class RecordingGateway:
    # With a libpq URL, every call that would reach Temporal first looks for a session of this
    # database left in an open transaction (DESIGN: no transaction or row lock is held across a
    # call to the engine) and notes it, with that session's last statement, in open_transactions.
    guard_url: str | None = None
    open_transactions: list[str] = field(default_factory=list)
    running: set[str] = field(default_factory=set)
    started: list[SequenceStart] = field(default_factory=list)
    # (lead id, what was sent) in call order: the signal name's model says which signal.
    signals: list[tuple[str, BaseModel]] = field(default_factory=list)
    replies: list[tuple[str, ReplyNotice, bool]] = field(default_factory=list)
    # Campaign enrollments started in the background (no Temporal here: nothing runs them).
    enrollments: list[EnrollCampaignInput] = field(default_factory=list)
    enrolled_by_test: int = 0  # how many of those enroll_pending has run
    # (lead id, its replies' message ids) per erasure, in call order.
    erased: list[tuple[str, list[str]]] = field(default_factory=list)

    def _engine_call(self, call: str) -> None:
        if self.guard_url is None:
            return
        with psycopg.connect(self.guard_url, autocommit=True) as conn:
            rows = conn.execute(IDLE_IN_TRANSACTION).fetchall()
        found = [f"{call} while a transaction was open after: {query}" for (query,) in rows]
        self.open_transactions += found

    def finish(self, lead_id: uuid.UUID | str) -> None:
        self.running.discard(str(lead_id))

    async def ensure_connected(self) -> None:
        return None

    async def start_sequences(self, starts: Sequence[SequenceStart]) -> list[StartResult]:
        self._engine_call("start_sequences")
        results = []
        for start in starts:
            lead_id = start.input.lead_id
            fresh = lead_id not in self.running
            if fresh:
                self.running.add(lead_id)
                self.started.append(start)
            results.append(StartResult(lead_id=lead_id, started=fresh, run_id=None))
        return results

    async def start_enrollment(self, inp: EnrollCampaignInput) -> bool:
        self._engine_call("start_enrollment")
        workflow_id = enroll_workflow_id(inp.campaign_id, inp.batch)
        if any(enroll_workflow_id(e.campaign_id, e.batch) == workflow_id for e in self.enrollments):
            return False
        self.enrollments.append(inp)
        return True

    async def enroll_pending(self, db: Database) -> None:
        """Do what the EnrollCampaign workflows started here would: run their activities, a
        page at a time, against the database and this gateway."""
        pending, self.enrolled_by_test = (
            self.enrollments[self.enrolled_by_test :],
            len(self.enrollments),
        )
        acts, env = CampaignActivities(db, self), ActivityEnvironment()
        for inp in pending:
            cursor = None
            while True:
                page = await env.run(
                    acts.next_enrollment_batch,
                    NextBatchInput(selector=inp.selector, cursor=cursor, limit=inp.batch_size),
                )
                if not page.lead_ids:
                    break
                batch = EnrollBatchInput(
                    campaign_id=inp.campaign_id, batch=inp.batch, lead_ids=page.lead_ids
                )
                await env.run(acts.enroll_batch, batch)
                cursor = page.lead_ids[-1]
            finish = FinishBatchInput(campaign_id=inp.campaign_id, batch=inp.batch)
            await env.run(acts.finish_campaign_batch, finish)

    def _signal(self, lead_id: uuid.UUID, arg: BaseModel) -> bool:
        self._engine_call(f"signal {type(arg).__name__}")
        self.signals.append((str(lead_id), arg))
        return str(lead_id) in self.running

    async def control(self, lead_id: uuid.UUID, request: ControlRequest) -> bool:
        return self._signal(lead_id, request)

    async def control_many(
        self, lead_ids: Sequence[uuid.UUID], request: ControlRequest
    ) -> list[bool]:
        return [self._signal(lead_id, request) for lead_id in lead_ids]

    async def ops(self, lead_id: uuid.UUID, command: OpsCommand) -> bool:
        return self._signal(lead_id, command)

    async def stop(self, lead_id: uuid.UUID, request: StopRequest) -> bool:
        return self._signal(lead_id, request)

    async def task_done(self, lead_id: uuid.UUID, done: TaskDone) -> bool:
        return self._signal(lead_id, done)

    async def draft_decision(self, lead_id: uuid.UUID, decision: DraftDecision) -> bool:
        return self._signal(lead_id, decision)

    async def deliver_reply(
        self,
        lead_id: uuid.UUID,
        notice: ReplyNotice,
        *,
        sequence_running: bool,
        update_timeout: float,
        signal_only: bool = False,
    ) -> ReplyDelivery:
        self._engine_call("deliver_reply")
        self.replies.append((str(lead_id), notice, sequence_running))
        # As the real gateway does when no worker answers in time: queued durably.
        return ReplyDelivery(via="signal" if sequence_running else "queued")

    async def erase(self, lead_id: uuid.UUID, reply_message_ids: Sequence[str]) -> WorkflowErasure:
        self._engine_call("erase")
        running = str(lead_id) in self.running
        self.running.discard(str(lead_id))
        self.erased.append((str(lead_id), list(reply_message_ids)))
        runs = sum(1 for s in self.started if s.input.lead_id == str(lead_id))
        return WorkflowErasure(terminated=running, deleted=runs + len(reply_message_ids))
