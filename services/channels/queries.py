"""Channel rows and suppressions: looked up by API services and activities alike."""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, func, or_
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.tables import Channel, Suppression
from services.erasure.hashing import pii_hash


async def suppression_for(
    session: AsyncSession, email: str | None, phone: str | None
) -> Suppression | None:
    """The suppression of this address or number: kept as it is, or hashed by an erasure."""
    conditions: list[ColumnElement[bool]] = []
    if email:
        conditions.append(func.lower(Suppression.email) == email.lower())
        conditions.append(col(Suppression.email_sha256) == pii_hash(email))
    if phone:
        conditions.append(col(Suppression.phone) == phone)
        conditions.append(col(Suppression.phone_sha256) == pii_hash(phone))
    if not conditions:
        return None
    result = await session.exec(select(Suppression).where(or_(*conditions)).limit(1))
    return result.first()


async def channel_row_for(session: AsyncSession, channel_type: str, provider: str) -> Channel:
    """The Channel row messages of this type and provider go through (created on first use;
    concurrent first uses all get the one row the unique key lets in)."""
    found = await _channel_row(session, channel_type, provider)
    if found is not None:
        return found
    # Pacing belongs to the channel type: a new provider row inherits its sibling's cap/window.
    sibling = (
        await session.exec(select(Channel).where(Channel.type == channel_type).limit(1))
    ).first()
    await session.exec(
        insert(Channel)
        .values(
            id=uuid.uuid4(),
            type=channel_type,
            provider=provider,
            name=f"{provider} {channel_type.lower()}",
            config={},
            daily_cap=sibling.daily_cap if sibling else None,
            send_window=dict(sibling.send_window) if sibling else {},
            enabled=True,
        )
        .on_conflict_do_nothing(index_elements=["type", "provider"])
    )
    row = await _channel_row(session, channel_type, provider)
    assert row is not None  # inserted above, or by whoever won the race
    return row


async def _channel_row(session: AsyncSession, channel_type: str, provider: str) -> Channel | None:
    return (
        await session.exec(
            select(Channel).where(Channel.type == channel_type, Channel.provider == provider)
        )
    ).first()
