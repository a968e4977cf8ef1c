"""The reply poller of one mailbox read over IMAP (`mailbox-poll-{mailbox_id}`): a round (the
`poll_mailbox` activity reads what arrived since the last UID and records it), then a sleep of
the poll interval, for as long as the mailbox has IMAP and is not disabled.

A workflow rather than a loop in each worker: exactly one poller per mailbox however many
workers run, its rounds and errors visible in the Web UI, and it survives worker restarts.
Polling rather than IMAP IDLE: a round is a short activity (no connection held open across a
worker's life), and a reply waits at most one interval. `poll_now` wakes it early (the
mailbox's settings changed). Failed rounds back off (workflows/policies.py); every
MAILBOX_POLL_ROUNDS rounds it continues as new, so its history stays short.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from workflows import activity_refs as act
    from workflows.mailbox_contracts import (
        MAILBOX_POLL_WORKFLOW,
        POLL_NOW_SIGNAL,
        MailboxPollInput,
        MailboxPollResult,
        PollMailboxInput,
        PollNow,
    )
    from workflows.policies import MAILBOX_POLL_MAX_BACKOFF, MAILBOX_POLL_ROUNDS


def backoff(interval_seconds: float, failures: int) -> timedelta:
    """The sleep after `failures` failed rounds in a row: the interval, doubled per failure."""
    if failures <= 0:
        return timedelta(seconds=interval_seconds)
    delay = interval_seconds * 2 ** min(failures, 20)
    return min(
        timedelta(seconds=delay), max(MAILBOX_POLL_MAX_BACKOFF, timedelta(seconds=interval_seconds))
    )


@workflow.defn(name=MAILBOX_POLL_WORKFLOW)
class MailboxPollWorkflow:
    def __init__(self) -> None:
        self._wake = False

    @workflow.signal(name=POLL_NOW_SIGNAL)
    def poll_now(self, _: PollNow) -> None:
        self._wake = True

    @workflow.run
    async def run(self, inp: MailboxPollInput) -> MailboxPollResult:
        interval, failures = inp.interval_seconds, inp.failures
        for _ in range(inp.rounds_per_run or MAILBOX_POLL_ROUNDS):
            self._wake = False
            try:
                result = await act.poll_mailbox.run(
                    PollMailboxInput(mailbox_id=inp.mailbox_id, failures=failures)
                )
            except ActivityError:  # our side failed (the database): back off as for the server
                failures += 1
            else:
                if not result.active:
                    await workflow.wait_condition(workflow.all_handlers_finished)
                    return MailboxPollResult(reason=result.reason)
                interval = result.interval_seconds
                failures = failures + 1 if result.error else 0
                if result.more and not result.error:
                    continue
            await self._sleep(backoff(interval, failures))
        await workflow.wait_condition(workflow.all_handlers_finished)
        workflow.continue_as_new(
            inp.model_copy(update={"interval_seconds": interval, "failures": failures})
        )

    async def _sleep(self, delay: timedelta) -> None:
        with contextlib.suppress(TimeoutError):  # the interval is over: the next round
            await workflow.wait_condition(lambda: self._wake, timeout=delay)
