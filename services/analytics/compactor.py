"""Keeps funnel reads fast however long nobody looks: every few seconds, each campaign with
new events has its deltas folded into its counters (a read folds what is left itself)."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import text

from models.db import Database
from services import loops
from services.analytics import queries

log = logging.getLogger("salespad.analytics")

_PENDING = text("SELECT DISTINCT campaign_id FROM funnel_delta")


async def compact_all(db: Database) -> int:
    """Fold every campaign's pending deltas; returns how many campaigns had some."""
    async with db.session() as session:
        campaigns = list((await session.exec(_PENDING)).scalars())  # type: ignore[call-overload]
        for campaign_id in campaigns:
            await queries.compact(session, campaign_id)
    return len(campaigns)


async def run_compactor(db: Database, stop: asyncio.Event, every: float = 5.0) -> None:
    """Until `stop` is set."""
    await loops.every(every, stop, lambda: compact_all(db), log, "funnel compaction")
