"""Every retry policy and timeout in one place, so retry behaviour is reviewed in one file."""

from __future__ import annotations

from datetime import timedelta

from temporalio.common import RetryPolicy

from workflows import errors

# Re-exported: the workflows and activities name these error types through this module.
SEND_OUTCOME_UNKNOWN = errors.SEND_OUTCOME_UNKNOWN
TEMPLATE_ERROR = errors.TEMPLATE_ERROR
PERMANENT_CHANNEL_ERROR = errors.PERMANENT_CHANNEL_ERROR

# The activities raise these as non-retryable ApplicationErrors already; the policies list them
# as well (from the one catalogue) so a mistake in an activity cannot turn a permanent failure
# into a retry storm.
SEND_TIMEOUT = timedelta(seconds=60)
SEND_POLICY = RetryPolicy(
    initial_interval=timedelta(seconds=5),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=10),
    maximum_attempts=8,
    non_retryable_error_types=[*errors.SEND_STEP_ERRORS, *errors.PERMANENT_CHANNEL_ERRORS],
)

# Bookkeeping in our own database: retry until it works; a DB outage must not lose state.
DB_TIMEOUT = timedelta(seconds=30)
DB_POLICY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=1),
)
# A lead's bookkeeping (lean runs): at most about seven minutes of retries, then the lead is
# flagged for ops (NeedsAttention, the reason in its status) and the call is tried again every
# BOOKKEEPING_RETRY_EVERY until it works: never an endless silent retry, never a lost lead.
BOOKKEEPING_POLICY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=1),
    maximum_attempts=12,
)
BOOKKEEPING_RETRY_EVERY = timedelta(minutes=10)
# The reply sweep: a few quick tries; the schedule runs it again next minute anyway.
SWEEP_TIMEOUT = timedelta(minutes=2)
SWEEP_POLICY = RetryPolicy(maximum_attempts=3)
# One enrollment batch: a set-based check and insert, then up to ENROLL_BATCH_SIZE workflow
# starts (50 at a time). A retried batch finds its own rows and starts nobody twice.
ENROLL_BATCH_TIMEOUT = timedelta(minutes=5)

# Reply classification and drafts: LLM rate limits are common; a provider's Retry-After
# becomes next_retry_delay. After these attempts the interpreter falls back to offline rules.
LLM_TIMEOUT = timedelta(seconds=60)
# A draft may take two completions (the guardrails' one retry) plus two database writes.
DRAFT_TIMEOUT = timedelta(seconds=150)
LLM_POLICY = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=2),
    maximum_attempts=6,
    non_retryable_error_types=[*errors.LLM_STEP_ERRORS, *errors.PERMANENT_LLM_ERRORS],
)

# The IMAP reply poller (workflows/mailbox_poll.py). One round: connect, read up to a batch,
# record each message. An unreachable server or a refused login is not an activity failure: the
# round records it (mailbox_imap_state.last_error, a log line) and the workflow backs off,
# doubling the poll interval per failed round up to MAILBOX_POLL_MAX_BACKOFF, forever: a
# mailbox whose password is fixed later is read again without anyone restarting anything.
# What does fail the activity (our database) is retried a few times here first.
# (1 s, 2 s, 4 s: Temporal's default backoff.)
MAILBOX_POLL_TIMEOUT = timedelta(minutes=5)
MAILBOX_POLL_POLICY = RetryPolicy(maximum_attempts=4)
MAILBOX_POLL_MAX_BACKOFF = timedelta(minutes=30)
# Rounds per run before continue-as-new: about ten history events a round.
MAILBOX_POLL_ROUNDS = 200
