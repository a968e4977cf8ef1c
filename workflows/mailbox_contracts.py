"""Inputs and outputs of the mailbox reply poller (one workflow per mailbox with IMAP)."""

from __future__ import annotations

from pydantic import BaseModel, Field

MAILBOX_POLL_WORKFLOW = "MailboxPoll"
POLL_MAILBOX_ACTIVITY = "poll_mailbox"
# Wakes a poller at once: the mailbox's IMAP settings changed, or it was disabled.
POLL_NOW_SIGNAL = "poll_now"


def mailbox_poll_workflow_id(mailbox_id: str) -> str:
    return f"mailbox-poll-{mailbox_id}"


class MailboxPollInput(BaseModel):
    mailbox_id: str
    # Until the first round answers with the worker's SALESPAD_IMAP_POLL_SECONDS.
    interval_seconds: float = Field(default=60.0, gt=0)
    # Failed rounds in a row, carried across continue-as-new (the backoff goes on growing).
    failures: int = 0
    # Rounds before continue-as-new; None: workflows/policies.py's MAILBOX_POLL_ROUNDS.
    rounds_per_run: int | None = Field(default=None, ge=1)


class MailboxPollResult(BaseModel):
    """Why the poller ended: the mailbox was disabled, lost its IMAP settings, or is gone."""

    reason: str


class PollNow(BaseModel):
    pass


class PollMailboxInput(BaseModel):
    mailbox_id: str
    failures: int = 0  # the rounds before this one that failed, in a row


class PollMailboxResult(BaseModel):
    # False: nothing to poll any more (disabled, no IMAP, deleted); the poller ends.
    active: bool
    reason: str = ""
    read: int = 0
    # A full batch was read and more is waiting: poll again without sleeping.
    more: bool = False
    # The server could not be read (unreachable, login refused, ...): back off.
    error: str | None = None
    interval_seconds: float = Field(default=60.0, gt=0)
