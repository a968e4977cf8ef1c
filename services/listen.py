"""LISTEN on a PostgreSQL channel from a connection of one's own, reconnecting for ever.

Shared by the webhook dispatcher (services/webhooks_out) and the live event stream's hub
(services/live): both wake on NOTIFY and must not miss what committed while the connection
was down, so `wake` is also called each time LISTEN is (re-)established.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import psycopg

log = logging.getLogger("salespad.listen")


async def listen_forever(
    url: str,
    channel: str,
    wake: Callable[[], None],
    *,
    retry_seconds: float,
    who: str,
    on_connect: Callable[[int], None] | None = None,
) -> None:
    """Call `wake()` on every NOTIFY on `channel` (and once per (re)connection) until
    cancelled. `url` is a libpq URL (models.db.libpq_url); `on_connect` gets the backend's
    pid each time the LISTEN connection is established."""
    while True:
        try:
            conn = await psycopg.AsyncConnection.connect(
                url, autocommit=True, application_name=f"salespad {who}"
            )
            async with conn:
                await conn.execute(f"LISTEN {channel}")
                if on_connect is not None:
                    on_connect(conn.info.backend_pid)
                wake()  # whatever committed while nobody listened
                async for _ in conn.notifies():
                    wake()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("%s: LISTEN %s lost (%s); reconnecting", who, channel, exc)
        # The connection ended (an error, or the server closed it): wake anyway, then retry.
        wake()
        await asyncio.sleep(retry_seconds)
