"""What a campaign's summary and controls read."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import OPEN_ENROLLMENT_STATES, Direction
from models.tables import Campaign, CampaignSkip, Enrollment, Message
from services.campaigns.schemas import Skipped
from services.errors import InvalidInput


async def newest_campaign_ids(session: AsyncSession, limit: int = 100) -> list[uuid.UUID]:
    rows = await session.exec(
        select(Campaign.id).order_by(col(Campaign.created_at).desc()).limit(limit)
    )
    return list(rows.all())


async def campaigns_named(session: AsyncSession, name: str) -> list[Campaign]:
    """Campaigns called exactly `name` (names are not unique), newest first."""
    rows = await session.exec(
        select(Campaign).where(Campaign.name == name).order_by(col(Campaign.created_at).desc())
    )
    return list(rows.all())


def _invalid_campaign(message: str) -> InvalidInput:
    return InvalidInput(message, [{"field": "campaign", "message": message}])


async def resolve_campaign(session: AsyncSession, ref: str) -> Campaign:
    """The campaign `ref` names: its id, else its exact name (which must be unique); a 422
    naming `campaign` otherwise."""
    try:
        campaign_id = uuid.UUID(ref)
    except ValueError:
        campaign_id = None
    if campaign_id is not None:
        by_id = await session.get(Campaign, campaign_id)
        if by_id is not None:
            return by_id
    named = await campaigns_named(session, ref)
    if not named:
        raise _invalid_campaign(f"no campaign has the id or name {ref!r}")
    if len(named) > 1:
        raise _invalid_campaign(f"{len(named)} campaigns are named {ref!r}: use the campaign id")
    return named[0]


async def enrollments_by_state(session: AsyncSession, campaign_id: uuid.UUID) -> dict[str, int]:
    states = (
        await session.exec(
            select(Enrollment.state, func.count())
            .where(Enrollment.campaign_id == campaign_id)
            .group_by(Enrollment.state)
        )
    ).all()
    return {state: count for state, count in states}


async def sends_by_step(session: AsyncSession, campaign_id: uuid.UUID) -> dict[int, int]:
    enrollment_ids = select(Enrollment.id).where(Enrollment.campaign_id == campaign_id)
    sends = (
        await session.exec(
            select(Message.step, func.count())
            .where(
                col(Message.enrollment_id).in_(enrollment_ids),
                Message.direction == Direction.OUTBOUND,
                Message.delivery_status != "sending",
            )
            .group_by(col(Message.step))
        )
    ).all()
    return {step: count for step, count in sends if step is not None}


async def replies_since(session: AsyncSession, campaign_id: uuid.UUID, since: datetime) -> int:
    lead_ids = select(Enrollment.lead_id).where(Enrollment.campaign_id == campaign_id)
    return (
        await session.exec(
            select(func.count()).where(
                col(Message.lead_id).in_(lead_ids),
                Message.direction == Direction.INBOUND,
                col(Message.created_at) >= since,
            )
        )
    ).one()


async def running_lead_ids(session: AsyncSession, campaign_id: uuid.UUID) -> list[uuid.UUID]:
    rows = await session.exec(
        select(Enrollment.lead_id).where(
            Enrollment.campaign_id == campaign_id,
            col(Enrollment.state).in_(OPEN_ENROLLMENT_STATES),
        )
    )
    return list(rows.all())


async def skipped_leads(
    session: AsyncSession, campaign_id: uuid.UUID, kind: str, limit: int = 100
) -> list[Skipped]:
    """The first `limit` leads enrolling skipped (or warned about), oldest first."""
    rows = await session.exec(
        select(CampaignSkip)
        .where(CampaignSkip.campaign_id == campaign_id, CampaignSkip.kind == kind)
        .order_by(col(CampaignSkip.id))
        .limit(limit)
    )
    return [Skipped(lead_id=r.lead_id, reason=r.reason, detail=r.detail) for r in rows]
