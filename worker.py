"""Builds the Temporal worker: the workflow plus activities wired to adapters from settings."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from types import TracebackType
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.campaigns import CampaignActivities
from activities.drafting import DraftActivities
from activities.enrollment import EnrollmentActivities
from activities.mailboxes import MailboxPollActivities
from activities.replies import ReplyActivities, ReplySweepActivities
from activities.sending import SendActivities
from activities.telemetry import RetryMetrics
from adapters.channels.registry import ChannelRouter
from adapters.llm.base import OfflineReplyClassifier, ReplyClassifier
from adapters.llm.drafts import Drafter, TemplateDrafter
from adapters.llm.factory import build_classifier, build_drafter
from config.checks import Check, exit_on_config_error, needs_database, start_settings
from config.logs import configure_logging
from config.settings import MailboxHealthSettings, Settings
from config.temporal import (
    connect,
    ensure_search_attributes,
    metrics_runtime,
)
from models.db import Database
from models.secrets import SecretError
from services import loops
from services.analytics.compactor import run_compactor
from services.campaigns.recovery import restart_stranded
from services.channels.live import LiveChannels
from services.channels.tokens import make_unsubscribe_token
from services.channels.wiring import ChannelConfigError
from services.gateway import LeadWorkflows
from services.imports.service import fail_abandoned
from services.mailboxes.polling import ensure_mailbox_pollers
from services.mailboxes.reading import ReadPolicy
from services.mailboxes.sending import MailboxSenders
from services.notifications.mailer import run_mailer
from services.replies.sweep import ensure_sweep_schedule
from services.webhooks_out.dispatcher import WebhookDispatcher
from workflows.enroll_campaign import EnrollCampaignWorkflow
from workflows.lead_sequence import LeadSequenceWorkflow
from workflows.mailbox_poll import MailboxPollWorkflow
from workflows.process_reply import ProcessReplyWorkflow
from workflows.queues import CONCERNS, Concern, queue_name
from workflows.reply_sweep import ReplySweepWorkflow

log = logging.getLogger("salespad.worker")

WORKFLOWS = [
    LeadSequenceWorkflow,
    ProcessReplyWorkflow,
    EnrollCampaignWorkflow,
    ReplySweepWorkflow,
    MailboxPollWorkflow,
]


def workflow_runner(*, strict: bool = False) -> SandboxedWorkflowRunner:
    """The sandbox every workflow runs in.

    By default our `workflows` package is passed through: imported once per process instead of
    once per workflow run. The package holds only deterministic code and no module state that
    a run changes (tests/unit/test_layers.py checks both), and re-importing it cost about 8 ms
    of CPU for every run and every replay of an evicted one (bench/sandbox.py). `strict`
    re-imports it per run, so the sandbox also catches a nondeterministic call made inside it
    at run time (SALESPAD_WORKER_STRICT_SANDBOX); the tests replay every history both ways.
    """
    restrictions = SandboxRestrictions.default
    if not strict:
        restrictions = restrictions.with_passthrough_modules("workflows")
    return SandboxedWorkflowRunner(restrictions=restrictions)


@dataclass(frozen=True)
class QueueLimits:
    """One concern's queue: `rate` is max_task_queue_activities_per_second (the server holds
    every worker of the queue to it), `concurrency` max_concurrent_activities per worker."""

    rate: float | None = None
    concurrency: int | None = None


def queue_limits(settings: Settings) -> dict[Concern, QueueLimits]:
    return {
        "email": QueueLimits(settings.queue_email_rate, settings.queue_email_concurrency),
        "messaging": QueueLimits(
            settings.queue_messaging_rate, settings.queue_messaging_concurrency
        ),
        "ai": QueueLimits(settings.queue_ai_rate, settings.queue_ai_concurrency),
    }


# Options that only mean something to the worker that runs the workflows (the main queue).
_WORKFLOW_OPTIONS = frozenset(
    {
        "workflow_runner",
        "max_cached_workflows",
        "max_concurrent_workflow_tasks",
        "max_concurrent_workflow_task_polls",
        "sticky_queue_schedule_to_start_timeout",
        "workflow_failure_exception_types",
        "debug_mode",
    }
)


class QueueWorkers:
    """One Temporal Worker per selected concern, on one client in one process; `async with`
    runs them all and, on exit, shuts them all down (each finishing its in-flight activities)."""

    def __init__(self, workers: Mapping[Concern, Worker]) -> None:
        self.workers = dict(workers)
        self._stack: contextlib.AsyncExitStack | None = None

    def __getitem__(self, concern: Concern) -> Worker:
        return self.workers[concern]

    @property
    def task_queues(self) -> list[str]:
        return [w.task_queue for w in self.workers.values()]

    async def __aenter__(self) -> QueueWorkers:
        async with contextlib.AsyncExitStack() as stack:
            for worker in self.workers.values():
                await stack.enter_async_context(worker)
            self._stack = stack.pop_all()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        stack, self._stack = self._stack, None
        if stack is not None:
            await stack.__aexit__(exc_type, exc, tb)


def build_worker(
    client: Client,
    db: Database,
    task_queue: str,
    channels: ChannelRouter,
    *,
    classifier: ReplyClassifier | None = None,
    drafter: Drafter | None = None,
    ops_webhook_url: str | None = None,
    unsubscribe_secret: str | None = None,
    mailboxes: MailboxSenders | None = None,
    mailbox_health: MailboxHealthSettings | None = None,
    secret_key: str = "",
    imap_poll_seconds: float = 60.0,
    concerns: Sequence[Concern] = CONCERNS,
    limits: Mapping[Concern, QueueLimits] | None = None,
    **worker_options: Any,
) -> QueueWorkers:
    """The workers of `concerns` (default: all): `task_queue` runs the workflows and the
    bookkeeping activities, `<task_queue>-email|-messaging|-ai` the sends and the LLM calls.
    `secret_key` unseals mailboxes' IMAP passwords (SALESPAD_SECRET_KEY)."""
    tokens = (
        functools.partial(make_unsubscribe_token, unsubscribe_secret)
        if unsubscribe_secret
        else None
    )
    sending = SendActivities(db, channels, tokens, mailboxes, mailbox_health)
    enrollment = EnrollmentActivities(db, ops_webhook_url)
    offline = OfflineReplyClassifier()
    replies = ReplyActivities(db, classifier or offline, offline)
    drafts = DraftActivities(db, drafter or TemplateDrafter())
    # Enrolling starts lead workflows through the same gateway the API uses.
    gateway = LeadWorkflows(client, task_queue)
    campaigns = CampaignActivities(db, gateway)
    sweep = ReplySweepActivities(db, gateway)
    imap = ReadPolicy(secret_key=secret_key, interval_seconds=imap_poll_seconds)
    polling = MailboxPollActivities(db, gateway, imap)
    # On shutdown, let in-flight activities finish instead of cancelling them mid-send: a send
    # cancelled between the provider call and the commit would become an unknown outcome.
    worker_options.setdefault("graceful_shutdown_timeout", timedelta(seconds=30))
    worker_options.setdefault("workflow_runner", workflow_runner())
    worker_options.setdefault("interceptors", [RetryMetrics()])
    activities: dict[Concern, list[Callable[..., Any]]] = {
        "main": [
            enrollment.load_lead_facts,
            enrollment.record_enrollment_state,
            enrollment.create_task,
            enrollment.release_send_claim,
            enrollment.finish_enrollment,
            drafts.open_draft_task,
            drafts.settle_draft_task,
            campaigns.next_enrollment_batch,
            campaigns.enroll_batch,
            campaigns.finish_campaign_batch,
            sweep.sweep_replies,
            polling.poll_mailbox,
        ],
        # The send activity serves every channel; the workflow picks the queue by channel.
        "email": [sending.send_step],
        "messaging": [sending.send_step],
        "ai": [replies.process_reply, drafts.draft_step],
    }
    shared = {k: v for k, v in worker_options.items() if k not in _WORKFLOW_OPTIONS}
    workers: dict[Concern, Worker] = {}
    for concern in concerns:
        if concern == "main":
            workers[concern] = Worker(
                client,
                task_queue=task_queue,
                workflows=WORKFLOWS,
                activities=activities["main"],
                **worker_options,
            )
            continue
        limit = (limits or {}).get(concern, QueueLimits())
        options = dict(shared)
        if limit.rate is not None:
            options["max_task_queue_activities_per_second"] = limit.rate
        if limit.concurrency is not None:
            options["max_concurrent_activities"] = limit.concurrency
        workers[concern] = Worker(
            client,
            task_queue=queue_name(task_queue, concern),
            activities=activities[concern],
            **options,
        )
    return QueueWorkers(workers)


async def run_worker(settings: Settings, concerns: Sequence[Concern] = CONCERNS) -> None:
    runtime = None
    json_logs = settings.log_format == "json"
    if settings.worker_metrics_address or json_logs:
        # The SDK's own metrics, served by its core on this address (README "Observability"),
        # and with JSON logs the core's log lines through Python's logging.
        runtime = metrics_runtime(settings.worker_metrics_address, forward_logs=json_logs)
    if settings.worker_metrics_address:
        log.info("Temporal SDK metrics on http://%s/metrics", settings.worker_metrics_address)
    client = await connect(settings, runtime=runtime)
    try:
        await ensure_search_attributes(client, settings.temporal_namespace)
    except Exception as exc:  # e.g. Temporal Cloud, where the CLI/UI registers them
        log.warning("could not register search attributes (%s); register them yourself", exc)
    db = Database(settings.require_database_url())
    # Channels configured over the API reach this worker within SALESPAD_CONFIG_REFRESH_SECONDS.
    channels = await LiveChannels.load(settings, db)
    worker = build_worker(
        client,
        db,
        settings.task_queue,
        channels,
        classifier=build_classifier(settings),
        drafter=build_drafter(settings),
        ops_webhook_url=settings.ops_webhook_url,
        unsubscribe_secret=settings.secret_key.get_secret_value(),
        mailboxes=MailboxSenders(settings),
        mailbox_health=settings.mailbox_health,
        secret_key=settings.secret_key.get_secret_value(),
        imap_poll_seconds=settings.imap_poll_seconds,
        max_cached_workflows=settings.worker_max_cached_workflows,
        workflow_runner=workflow_runner(strict=settings.worker_strict_sandbox),
        concerns=concerns,
        limits=queue_limits(settings),
    )
    # Outgoing webhooks are sent from here too, beside the Temporal worker: one process to run,
    # and every worker adds a dispatcher (they share the work through the database).
    dispatcher = WebhookDispatcher(db, settings.secret_key.get_secret_value(), settings.webhooks)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log.info(
        "worker polling task queues %s on %s",
        ", ".join(repr(q) for q in worker.task_queues),
        settings.temporal_target,
    )
    main_queue = "main" in concerns
    background = await _start_background(settings, client, db, channels, stop) if main_queue else []
    try:
        async with worker, _webhooks(dispatcher, settings.webhooks.dispatch and main_queue):
            await stop.wait()
        await asyncio.gather(*background)
    finally:
        await db.dispose()


async def _start_background(
    settings: Settings,
    client: Client,
    db: Database,
    channels: ChannelRouter,
    stop: asyncio.Event,
) -> list[asyncio.Task[None]]:
    """The jobs beside the main queue's worker (a worker of only email, messaging or ai
    queues runs none of them: every main worker runs them, sharing through the database)."""
    # Replies recorded while Temporal was down, told to their sequences once it is back.
    try:
        await ensure_sweep_schedule(client, settings.task_queue)
    except Exception as exc:  # no schedule support: replies still reach sequences at a send
        log.error("could not create the reply sweep schedule: %s", exc)
    # Replies and bounces of the mailboxes read over IMAP: one poller workflow each.
    try:
        await ensure_mailbox_pollers(client, settings, db)
    except Exception as exc:  # the pollers already running go on; the next start tries again
        log.error("could not start the IMAP reply pollers: %s", exc)
    # Funnel counters are folded in the background, so a read stays small however long nobody
    # looked (services/analytics/compactor.py).
    # Owners' emails for their inbox items (services/notifications/mailer.py).
    gateway = LeadWorkflows(client, settings.task_queue)
    return [
        asyncio.create_task(run_compactor(db, stop)),
        asyncio.create_task(run_mailer(db, channels, stop)),
        # Campaign enrollments whose start was lost, started.
        asyncio.create_task(
            loops.every(60.0, stop, lambda: restart_stranded(db, gateway), log, "enrollment sweep")
        ),
        # Imports whose API process died mid-file, marked failed with how to finish them.
        asyncio.create_task(
            loops.every(60.0, stop, lambda: fail_abandoned(db), log, "abandoned-import check")
        ),
    ]


@contextlib.asynccontextmanager
async def _webhooks(dispatcher: WebhookDispatcher, enabled: bool) -> AsyncIterator[None]:
    """Run the webhook dispatcher for the block; on exit it finishes and records its posts."""
    if not enabled:
        log.info("webhook dispatcher off (SALESPAD_WEBHOOK_DISPATCH=false)")
        yield
        return
    log.info("webhook dispatcher running")
    async with dispatcher.running():
        yield


def main(concerns: Sequence[Concern] = CONCERNS) -> None:
    """`concerns`: the task queues this process polls (`salespad worker --queues`)."""
    # A configuration error is one line and exit code 2 (`salespad dev` then stops), never a
    # traceback: the same checks as `salespad doctor`, then the channels stored in the database.
    settings = start_settings("worker", requires=needs_database)
    configure_logging(settings)
    try:
        asyncio.run(run_worker(settings, concerns))
    except (ChannelConfigError, SecretError) as exc:
        exit_on_config_error("worker", [Check("FAIL", "channels", str(exc))])
    # Stopped cleanly: the Temporal workers are shut down and the database disposed. The SDK's
    # native threads (its log forwarding among them) can abort the interpreter's finalization
    # ("PyGILState_Release ... finalizing", exit -6), so flush and leave without it.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
