"""One channel row per type and provider, however many first sends race for it: a daily cap
counted on the row cannot be split between copies."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from models.db import Database
from models.tables import Channel
from services.channels.queries import channel_row_for

pytestmark = pytest.mark.service


async def test_concurrent_first_uses_share_one_row(clean_db: Database) -> None:
    async with clean_db.session() as session:
        session.add(Channel(type="EMAIL", provider="smtp", name="smtp email", daily_cap=40))
        await session.commit()

    async def first_use() -> str:
        async with clean_db.session() as session:
            row = await channel_row_for(session, "EMAIL", "outbox")
            await asyncio.sleep(0.05)  # hold the transaction open while the others arrive
            await session.commit()
            return str(row.id)

    ids = await asyncio.gather(*(first_use() for _ in range(8)))
    assert len(set(ids)) == 1
    async with clean_db.session() as session:
        rows = (await session.exec(select(Channel).where(Channel.provider == "outbox"))).all()
    assert [(r.type, r.daily_cap) for r in rows] == [("EMAIL", 40)]  # the sibling's cap


async def test_the_database_refuses_a_second_row(clean_db: Database) -> None:
    async with clean_db.session() as session:
        session.add(Channel(type="SMS", provider="twilio", name="a"))
        await session.commit()
        session.add(Channel(type="SMS", provider="twilio", name="b"))
        with pytest.raises(IntegrityError):
            await session.commit()
