"""The durable sender of outgoing webhooks, run inside each worker process beside the Temporal
worker (worker.py). PostgreSQL holds all of its state, so it can stop at any moment and any
number of them can run at once.

Loop: claim due deliveries in one statement (FOR UPDATE SKIP LOCKED, leased), POST each one
signed with bounded concurrency, and record the outcomes in batches: a 2xx is delivered,
anything else is retried with backoff until the retry window ends, then failed. It wakes on
NOTIFY salespad_webhooks (sent by the fan-out trigger when an event commits) and polls as a
fallback. Delivery is at least once, under a stable delivery id: a worker that dies mid-POST
leaves the row to be claimed again when its lease ends.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import httpx

from config.settings import WebhookSettings
from models.db import Database, libpq_url
from models.secrets import SecretError, unseal_value
from services import signing
from services.listen import listen_forever
from services.webhooks_out.backoff import next_attempt_at
from services.webhooks_out.clients import ClientPool
from services.webhooks_out.events import NOTIFY_CHANNEL
from services.webhooks_out.queries import Claimed, Outcome, claim_due, record_outcomes

log = logging.getLogger("salespad.webhooks_out")

USER_AGENT = "SalesPad-Webhooks/1"
_ERROR_SNIPPET = 300  # bytes of a non-2xx body kept in the log
_DRAIN_LIMIT = 64 * 1024  # read small bodies whole so the connection can be reused
_RECORD_BATCH = 500


def _utcnow() -> datetime:
    return datetime.now(UTC)


class WebhookDispatcher:
    """`clock` and `rng` are injectable so tests can walk a 24-hour retry schedule without
    waiting."""

    def __init__(
        self,
        db: Database,
        secret_key: str,
        policy: WebhookSettings,
        *,
        clock: Callable[[], datetime] = _utcnow,
        rng: random.Random | None = None,
    ) -> None:
        self._db = db
        self._secret_key = secret_key
        self.policy = policy
        self._clock = clock
        self._rng = rng or random.Random()
        self._secrets: dict[str, str] = {}
        self._stop = asyncio.Event()
        self._wake = asyncio.Event()
        self._outcomes: asyncio.Queue[Outcome] = asyncio.Queue()

    # -- running ----------------------------------------------------------------------------

    @asynccontextmanager
    async def running(self) -> AsyncIterator[asyncio.Task[None]]:
        """Run in the background for the block's duration; on exit stop cleanly."""
        self._stop.clear()
        task = asyncio.create_task(self.run(), name="webhook-dispatcher")
        try:
            yield task
        finally:
            self.stop()
            await task

    def stop(self) -> None:
        """Claim nothing more; run() returns once in-flight posts are sent and recorded."""
        self._stop.set()
        self._wake.set()

    async def run(self) -> None:
        """Deliver until stop(); never raises for a receiver's or the database's trouble."""
        concurrency = self.policy.concurrency
        # Claim in chunks, not one row per freed slot, while a backlog drains.
        refill = max(1, concurrency // 4)
        inflight: set[asyncio.Task[None]] = set()

        def finished(task: asyncio.Task[None]) -> None:
            inflight.discard(task)
            if not task.cancelled() and task.exception() is not None:
                # A bug, not a receiver's trouble: the row is posted again when its lease ends.
                log.error("webhook delivery crashed", exc_info=task.exception())
            if concurrency - len(inflight) == refill:
                self._wake.set()

        listener = asyncio.create_task(self._listen(), name="webhook-listen")
        recorder = asyncio.create_task(self._record_forever(), name="webhook-record")
        try:
            async with self._clients() as clients:
                polled = True
                while not self._stop.is_set():
                    self._wake.clear()
                    room = concurrency - len(inflight)
                    wanted = min(room, self.policy.batch_size)
                    # Each poll claims whatever room there is, so posts hanging on a slow
                    # receiver hold back the others only until then.
                    go = room >= refill or not inflight or (polled and room > 0)
                    claimed = await self._claim(wanted) if go else []
                    for row in claimed:
                        task = asyncio.create_task(self._send_and_queue(clients, row))
                        inflight.add(task)
                        task.add_done_callback(finished)
                    if claimed and len(claimed) == wanted:
                        continue  # more may be due
                    try:
                        await asyncio.wait_for(self._wake.wait(), self.policy.poll_seconds)
                        polled = False
                    except TimeoutError:
                        polled = True
                # Stopping: what was posted gets recorded, so a restart sends it no second time.
                await asyncio.gather(*inflight, return_exceptions=True)
                await self._outcomes.join()
        finally:
            for task in (listener, recorder):
                task.cancel()
            await asyncio.gather(listener, recorder, return_exceptions=True)

    async def run_once(self) -> int:
        """Claim one batch, post it and record it; the number claimed (tests, tools)."""
        claimed = await self._claim(self.policy.batch_size)
        if claimed:
            async with self._clients() as clients:
                outcomes = await asyncio.gather(*(self._send(clients, row) for row in claimed))
            await self._record(list(outcomes))
        return len(claimed)

    # -- the three steps --------------------------------------------------------------------

    async def _claim(self, n: int) -> list[Claimed]:
        lease = timedelta(seconds=self.policy.lease_seconds)
        try:
            async with self._db.engine.begin() as conn:
                return await claim_due(conn, self._clock(), lease, n)
        except Exception as exc:  # the database is away: try again at the next poll
            log.warning("webhook dispatcher cannot claim deliveries: %s", exc)
            return []

    async def _send(self, clients: ClientPool, row: Claimed) -> Outcome:
        at = self._clock()
        started = time.perf_counter()
        code: int | None = None
        error: str | None = None
        try:
            secret = self._unseal(row.sealed_secret)
            headers = {
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
                "X-SalesPad-Event": row.event,
                "X-SalesPad-Delivery": str(row.id),
                signing.HEADER: signing.signature_header(secret, row.body, now=at.timestamp()),
            }
            # httpx's timeout bounds each read; this bounds the whole POST, so a receiver that
            # trickles its answer cannot outlast the lease.
            async with (
                asyncio.timeout(self.policy.timeout_seconds),
                clients.client() as http,
                http.stream("POST", row.url, content=row.body, headers=headers) as resp,
            ):
                code = resp.status_code
                snippet = await _drain(resp)
            if not 200 <= code < 300:
                text = snippet.decode("utf-8", "replace").strip()
                error = f"HTTP {code}" + (f": {text}" if text else "")
        except SecretError as exc:
            error = str(exc)
        except (httpx.TimeoutException, TimeoutError):
            code = None
            error = f"timed out after {self.policy.timeout_seconds:g} s"
        except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
            error = f"{type(exc).__name__}: {exc}".rstrip(": ")
        duration_ms = round((time.perf_counter() - started) * 1000)
        delivered = error is None
        retry_at = (
            None
            if delivered
            else next_attempt_at(self.policy, row.attempts, row.first_attempt_at, at, self._rng)
        )
        return Outcome(
            id=row.id,
            lease_until=row.lease_until,
            at=at,
            status_code=code,
            error=error[:1000] if error else None,
            duration_ms=duration_ms,
            delivered=delivered,
            retry_at=retry_at,
        )

    async def _record(self, outcomes: list[Outcome]) -> None:
        try:
            async with self._db.engine.begin() as conn:
                await record_outcomes(conn, outcomes)
            return
        except Exception as exc:
            if len(outcomes) == 1:
                # Unrecorded, the row is claimed and posted again when its lease ends: at
                # least once, under the same delivery id.
                log.warning("webhook dispatcher could not record an outcome: %s", exc)
                return
        # One bad row (its subscription deleted meanwhile) must not send the others twice.
        for outcome in outcomes:
            await self._record([outcome])

    # -- plumbing ---------------------------------------------------------------------------

    async def _send_and_queue(self, clients: ClientPool, row: Claimed) -> None:
        self._outcomes.put_nowait(await self._send(clients, row))

    async def _record_forever(self) -> None:
        """Record outcomes as they come, in batches: one statement for all that are waiting."""
        while True:
            batch = [await self._outcomes.get()]
            while len(batch) < _RECORD_BATCH and not self._outcomes.empty():
                batch.append(self._outcomes.get_nowait())
            try:
                await self._record(batch)
            finally:
                for _ in batch:
                    self._outcomes.task_done()

    async def _listen(self) -> None:
        """Set the wake flag on every NOTIFY; reconnect when the connection drops."""
        await listen_forever(
            libpq_url(self._db.url),
            NOTIFY_CHANNEL,
            self._wake.set,
            retry_seconds=max(5 * self.policy.poll_seconds, 1.0),
            who="webhook dispatcher",
        )

    def _clients(self) -> ClientPool:
        return ClientPool(self.policy.concurrency, self.policy.timeout_seconds)

    def _unseal(self, sealed: str) -> str:
        plain = self._secrets.get(sealed)
        if plain is None:
            plain = self._secrets[sealed] = unseal_value(
                sealed, self._secret_key, name="the webhook subscription's secret"
            )
        return plain


async def _drain(resp: httpx.Response) -> bytes:
    """The start of the body (for the log); the rest is read up to a limit so the kept-alive
    connection can serve the next post, and dropped."""
    kept = b""
    read = 0
    async for chunk in resp.aiter_raw():
        if len(kept) < _ERROR_SNIPPET:
            kept += chunk[: _ERROR_SNIPPET - len(kept)]
        read += len(chunk)
        if read > _DRAIN_LIMIT:
            break
    return kept
