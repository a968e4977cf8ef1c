"""Outgoing webhooks: 10,000 events delivered to a local receiver, next to plain httpx POSTs.

Starts its own embedded PostgreSQL (removed afterwards) and a receiver in a separate process (a
minimal asyncio HTTP/1.1 server that answers 200 and notes when each delivery id arrived), then
measures in the same run, with one subscription to every event:
  (b) burst: 10,000 events committed in one INSERT (as the importer writes), a dispatcher
      running with the default settings: delay from the commit to each arrival;
  (a) baselines: the same 10,000 bodies POSTed unsigned, as many at a time as the dispatcher
      (32), all ready at once, delay from the start to each arrival: (a1) through one plain
      httpx client, (a2) through the dispatcher's ClientPool (the HTTP layer without the
      database);
  (c) stream: --stream events (2,000) written through add_event, 10 per transaction, at
      --rate (200) per second, a steady load below capacity: delay from each event's
      timestamp to its arrival (the LISTEN/NOTIFY wake-up path).
Also the cost of the fan-out on the write path (the same INSERT with and without a
subscriber). Prints delivered/s, p50 and p99 delays and duplicates. Never asserts.
Run: .venv/bin/python bench/webhooks_out.py [--events 10000] [--stream 2000] [--rate 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import httpx
from sqlalchemy import text

from config.settings import WebhookSettings
from models.db import Database
from models.enums import EventType
from models.migrate import upgrade
from salespad.local import EmbeddedPostgres, free_port
from services.events import add_event
from services.webhooks_out.clients import ClientPool
from services.webhooks_out.dispatcher import WebhookDispatcher
from services.webhooks_out.schemas import SubscriptionCreate
from services.webhooks_out.service import create_subscription

SECRET_KEY = "bench-secret-key-0123456789abcdef0123456789"
Arrivals = list[tuple[str, float]]  # (delivery id, unix time it arrived)


# -- the receiver (its own process, so it does not share a core's GIL with the sender) --------


def _receive(port: int) -> None:
    arrivals: Arrivals = []

    class Receiver(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            assert isinstance(transport, asyncio.Transport)
            self.transport, self.buf = transport, b""

        def data_received(self, data: bytes) -> None:
            self.buf += data
            while (end := self.buf.find(b"\r\n\r\n")) >= 0:
                lines = self.buf[:end].decode("latin-1").split("\r\n")
                headers = {k.strip().lower(): v.strip() for k, _, v in
                           (line.partition(":") for line in lines[1:])}  # fmt: skip
                total = end + 4 + int(headers.get("content-length", "0"))
                if len(self.buf) < total:
                    return
                self.buf = self.buf[total:]
                if lines[0].startswith("GET /arrivals"):
                    body = json.dumps(arrivals).encode()
                    arrivals.clear()
                else:
                    arrivals.append((headers.get("x-salespad-delivery", ""), time.time()))
                    body = b""
                self.transport.write(
                    b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
                )

    async def serve() -> None:
        server = await asyncio.get_running_loop().create_server(Receiver, "127.0.0.1", port)
        async with server:
            await server.serve_forever()

    asyncio.run(serve())


async def _arrivals(url: str, n: int) -> Arrivals:
    """Collect arrivals from the receiver until n have come (or 10 minutes have passed)."""
    got: Arrivals = []
    deadline = time.monotonic() + 600
    async with httpx.AsyncClient() as http:
        while len(got) < n and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            got += [(d, t) for d, t in (await http.get(f"{url}/arrivals")).json()]
    return got


def _figures(label: str, arrivals: Arrivals, origin: dict[str, float] | float) -> float:
    """Print delivered/s and delay percentiles; return delivered/s."""
    times = sorted(t for _, t in arrivals)
    starts = [origin if isinstance(origin, float) else origin[d] for d, _ in arrivals]
    delays = sorted(t - s for (_, t), s in zip(arrivals, starts, strict=True))
    first = min(starts)
    rate = len(times) / (times[-1] - first)
    dupes = sum(c - 1 for c in Counter(d for d, _ in arrivals).values())
    p50, p99 = delays[len(delays) // 2], delays[min(len(delays) - 1, int(len(delays) * 0.99))]
    print(f"{label:<38} {rate:9.0f}/s  p50 {p50 * 1000:8.0f} ms  p99 {p99 * 1000:8.0f} ms"
          f"  ({len(arrivals)} arrived, {dupes} duplicates)")  # fmt: skip
    return rate


# -- the measurements -------------------------------------------------------------------------

BULK = text("""
INSERT INTO event_log (lead_id, event_type, details)
SELECT (SELECT id FROM lead ORDER BY id OFFSET (i % 100) LIMIT 1), 'EMAIL_SENT',
       jsonb_build_object('step', 1, 'channel', 'EMAIL', 'n', i)
  FROM generate_series(1, :n) AS i
""")


async def _bulk_insert(db: Database, n: int) -> tuple[float, float]:
    """(seconds the INSERT took, unix time its commit returned)."""
    began = time.perf_counter()
    async with db.engine.begin() as conn:
        await conn.execute(BULK, {"n": n})
    return time.perf_counter() - began, time.time()


async def burst(db: Database, dispatcher: WebhookDispatcher, url: str, n: int) -> Arrivals:
    async with dispatcher.running():
        took, committed = await _bulk_insert(db, n)
        print(f"    one INSERT of {n} events with a subscriber: {took * 1000:.0f} ms")
        arrivals = await _arrivals(url, n)
    _figures("(b) SalesPad, burst (one INSERT)", arrivals, committed)
    return arrivals


async def baseline(db: Database, hook: str, url: str, concurrency: int, pooled: bool) -> float:
    """The same bodies, `concurrency` at a time, unsigned: through one httpx client, or through
    the dispatcher's ClientPool (the HTTP layer alone, without the database)."""
    async with db.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT id, payload::text FROM webhook_delivery"))).all()
    bodies = [(str(r[0]), r[1].encode()) for r in rows]
    limit = asyncio.Semaphore(concurrency)
    one = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with (
        httpx.AsyncClient(limits=one, timeout=10) as single,
        ClientPool(concurrency, 10) as pool,
    ):

        async def post(delivery_id: str, body: bytes) -> None:
            headers = {"Content-Type": "application/json", "X-SalesPad-Delivery": delivery_id}
            async with limit:
                if pooled:
                    async with pool.client() as http:
                        await http.post(hook, content=body, headers=headers)
                else:
                    await single.post(hook, content=body, headers=headers)

        began = time.time()
        await asyncio.gather(*(post(d, b) for d, b in bodies))
    label = "(a2) httpx, the dispatcher's ClientPool" if pooled else "(a1) plain httpx, one client"
    return _figures(label, await _arrivals(url, len(bodies)), began)


async def stream(
    db: Database, dispatcher: WebhookDispatcher, url: str, n: int, rate: float
) -> Arrivals:
    per_tx = 10
    async with dispatcher.running():
        began = time.monotonic()
        for i in range(n // per_tx):
            async with db.session() as session:
                for _ in range(per_tx):
                    add_event(session, None, EventType.BOUNCED, source="bench")
                await session.commit()
            ahead = began + (i + 1) * per_tx / rate - time.monotonic()
            if ahead > 0:
                await asyncio.sleep(ahead)
        print(f"    stream written at {n / (time.monotonic() - began):.0f} events/s")
        arrivals = await _arrivals(url, n)
    async with db.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT id, payload->>'occurred_at' FROM webhook_delivery WHERE event = :e"),
            {"e": "lead.bounced"},
        )
        occurred = {str(r[0]): datetime.fromisoformat(r[1]).timestamp() for r in rows}
    _figures(f"(c) SalesPad, stream at {rate:,.0f}/s", arrivals, occurred)
    return arrivals


async def measure(url: str, n: int, streamed: int, rate: float) -> None:
    port = free_port()
    receiver = multiprocessing.get_context("spawn").Process(
        target=_receive, args=(port,), daemon=True
    )
    receiver.start()
    recv = f"http://127.0.0.1:{port}"
    db = Database(url)
    policy = WebhookSettings(_env_file=None)
    try:
        async with db.engine.begin() as conn:
            await conn.execute(text(
                "INSERT INTO lead (id, name, email, status, metadata, created_at, updated_at) "
                "SELECT gen_random_uuid(), 'Lead ' || i, 'bench-' || i || '@example.com', 'NEW', "
                "'{}'::jsonb, now(), now() FROM generate_series(1, 100) AS i"
            ))  # fmt: skip
        took, _ = await _bulk_insert(db, n)
        print(f"{n} events; receiver {recv} (own process); dispatcher concurrency "
              f"{policy.concurrency}, batch {policy.batch_size}")  # fmt: skip
        print(f"    one INSERT of {n} events, no subscriber:   {took * 1000:.0f} ms")
        async with db.session() as session:
            body = SubscriptionCreate(url=f"{recv}/hook", events=["*"])
            await create_subscription(session, body, SECRET_KEY)
        for _ in range(100):  # the receiver process is up
            try:
                async with httpx.AsyncClient() as http:
                    await http.get(f"{recv}/arrivals")
                break
            except httpx.HTTPError:
                await asyncio.sleep(0.1)

        await burst(db, WebhookDispatcher(db, SECRET_KEY, policy), recv, n)
        await baseline(db, f"{recv}/hook", recv, policy.concurrency, pooled=False)
        await baseline(db, f"{recv}/hook", recv, policy.concurrency, pooled=True)
        await stream(db, WebhookDispatcher(db, SECRET_KEY, policy), recv, streamed, rate)
    finally:
        receiver.terminate()
        await db.dispose()


def main(n: int, streamed: int, rate: float, timeout: float) -> None:
    with tempfile.TemporaryDirectory(prefix="salespad-bench-") as tmp:
        pg = EmbeddedPostgres(Path(tmp) / "pg", delete_on_stop=True).start()
        try:
            url = pg.url("bench")
            upgrade(url)
            asyncio.run(asyncio.wait_for(measure(url, n, streamed, rate), timeout=timeout))
        finally:
            pg.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--stream", type=int, default=2000, help="events in the stream run")
    parser.add_argument("--rate", type=float, default=200, help="events/s in the stream run")
    parser.add_argument("--timeout", type=float, default=900, help="give up after (seconds)")
    args = parser.parse_args()
    main(args.events, args.stream, args.rate, args.timeout)
