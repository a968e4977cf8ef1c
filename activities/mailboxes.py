"""The mailbox reply poller's one activity: a round of reading a mailbox over IMAP
(services/mailboxes/reading.py); workflows/mailbox_poll.py runs it every interval."""

from __future__ import annotations

import uuid

from temporalio import activity

from models.db import Database
from services.gateway import LeadWorkflowGateway
from services.mailboxes.reading import ReadPolicy, poll_round
from workflows.mailbox_contracts import POLL_MAILBOX_ACTIVITY, PollMailboxInput, PollMailboxResult


class MailboxPollActivities:
    def __init__(self, db: Database, workflows: LeadWorkflowGateway, policy: ReadPolicy) -> None:
        self._db, self._workflows, self._policy = db, workflows, policy

    @activity.defn(name=POLL_MAILBOX_ACTIVITY)
    async def poll_mailbox(self, inp: PollMailboxInput) -> PollMailboxResult:
        mailbox_id = uuid.UUID(inp.mailbox_id)
        got = await poll_round(
            self._db, self._workflows, mailbox_id, self._policy, failures=inp.failures
        )
        return PollMailboxResult(
            active=got.active, reason=got.reason, read=sum(got.taken.values()), more=got.more,
            error=got.error, interval_seconds=self._policy.interval_seconds,
        )  # fmt: skip
