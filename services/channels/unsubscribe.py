"""The List-Unsubscribe link's one click: the lead the token names is suppressed by address."""

from __future__ import annotations

import uuid

from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import LeadStatus
from models.tables import Lead
from services.channels.queries import suppression_for
from services.channels.suppression import suppress
from services.gateway import LeadWorkflowGateway


async def unsubscribe_lead(
    session: AsyncSession, workflows: LeadWorkflowGateway, lead_id: uuid.UUID
) -> None:
    lead = await session.get(Lead, lead_id)
    # A deleted lead or a second click: change nothing.
    if lead is None or not (lead.email or lead.phone):
        return
    # The link came in an email, so the address is what is suppressed.
    email, phone = (lead.email, None) if lead.email else (None, lead.phone)
    already = await suppression_for(session, email, phone)
    if already is None or lead.status not in (LeadStatus.UNSUBSCRIBED, LeadStatus.CONVERTED):
        await suppress(
            session,
            workflows,
            email=email,
            phone=phone,
            reason="unsubscribe link",
            status="UNSUBSCRIBED",
            source="list-unsubscribe",
        )
