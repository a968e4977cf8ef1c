"""The dispatcher's HTTP clients: several small httpx clients rather than one big one.

httpcore's connection pool does work per request in proportion to its connections times its
queued requests, so one client with 32 connections spends more CPU managing its pool than
posting: on this project's 2-core bench machine, 32 concurrent posts through one client ran at
~340/s, through eight clients of four connections at ~900/s (bench/webhooks_out.py).
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import TracebackType

import httpx

PER_CLIENT = 4


class ClientPool:
    """`concurrency` connections in all; each post borrows the least busy client, so while no
    more than `concurrency` posts run at once, none waits for a connection."""

    def __init__(self, concurrency: int, timeout: float) -> None:
        n = math.ceil(concurrency / PER_CLIENT)
        per = math.ceil(concurrency / n)
        limits = httpx.Limits(max_connections=per, max_keepalive_connections=per)
        self._clients = [
            # A redirect is the receiver's misconfiguration: logged as a failed attempt.
            httpx.AsyncClient(timeout=timeout, limits=limits, follow_redirects=False)
            for _ in range(n)
        ]
        self._busy = [0] * n

    @asynccontextmanager
    async def client(self) -> AsyncIterator[httpx.AsyncClient]:
        i = min(range(len(self._busy)), key=self._busy.__getitem__)
        self._busy[i] += 1
        try:
            yield self._clients[i]
        finally:
            self._busy[i] -= 1

    async def __aenter__(self) -> ClientPool:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for client in self._clients:
            await client.aclose()
