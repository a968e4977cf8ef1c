"""Owners are told: a reply worth a person's time becomes an inbox item (and an email to the
owner, sent by the mailer) in the transaction that classifies it."""

from __future__ import annotations

import uuid

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.tables import Lead, Message, OwnerNotification, utcnow
from services.errors import NotFound
from services.leads.listing import LeadCursor
from services.notifications.schemas import InboxItem, InboxLead, InboxPage

SUMMARY_CHARS = 280


def owner_address(owner: str | None) -> str | None:
    """The owner's email address when the owner is one (owners may also be plain names)."""
    if not owner or "@" not in owner:
        return None
    try:
        return validate_email(owner, check_deliverability=False).normalized
    except EmailNotValidError:
        return None


def notify_owner(session: AsyncSession, lead: Lead, message: Message, intent: str) -> None:
    """Add the inbox item (caller commits); its email is pending when the owner has an address."""
    address = owner_address(lead.owner)
    text = " ".join(message.content.split())
    session.add(
        OwnerNotification(
            lead_id=lead.id,
            message_id=message.id,
            owner=lead.owner,
            intent=intent,
            summary=text[:SUMMARY_CHARS] + ("…" if len(text) > SUMMARY_CHARS else ""),
            email_to=address,
            email_status="pending" if address else "none",
        )
    )


async def inbox(
    session: AsyncSession,
    *,
    owner: str | None,
    unread_only: bool,
    limit: int,
    cursor: str = "",
) -> InboxPage:
    """Newest first, `limit` at a time; `next_cursor` continues after the last item."""
    where = []
    if owner is not None:
        where.append(col(OwnerNotification.owner) == owner)
    if unread_only:
        where.append(col(OwnerNotification.read_at).is_(None))
    stmt = select(OwnerNotification, Lead).join(Lead).where(*where)
    if cursor:
        after = LeadCursor.decode(cursor)
        stmt = stmt.where(
            (col(OwnerNotification.created_at) < after.created_at)
            | (
                (col(OwnerNotification.created_at) == after.created_at)
                & (col(OwnerNotification.id) < after.id)
            )
        )
    rows = (
        await session.exec(
            stmt.order_by(
                col(OwnerNotification.created_at).desc(), col(OwnerNotification.id).desc()
            ).limit(limit + 1)
        )
    ).all()
    unread = (
        await session.exec(
            select(func.count())
            .select_from(OwnerNotification)
            .where(
                col(OwnerNotification.read_at).is_(None),
                *([col(OwnerNotification.owner) == owner] if owner is not None else []),
            )
        )
    ).one()
    page = rows[:limit]
    last = page[-1][0] if len(rows) > limit else None
    return InboxPage(
        items=[_item(n, lead) for n, lead in page],
        unread=unread,
        next_cursor=LeadCursor(last.created_at, last.id).encode() if last else None,
    )


async def mark_read(session: AsyncSession, notification_id: uuid.UUID) -> InboxItem:
    row = await session.get(OwnerNotification, notification_id)
    if row is None:
        raise NotFound(f"inbox item {notification_id} not found")
    if row.read_at is None:
        row.read_at = utcnow()
        await session.commit()
        await session.refresh(row)
    lead = await session.get(Lead, row.lead_id)
    assert lead is not None  # the foreign key cascades
    return _item(row, lead)


def _item(n: OwnerNotification, lead: Lead) -> InboxItem:
    return InboxItem(
        id=n.id,
        owner=n.owner,
        intent=n.intent,
        summary=n.summary,
        lead=InboxLead(
            id=lead.id, name=lead.name, email=lead.email, company=lead.company, status=lead.status
        ),
        message_id=n.message_id,
        created_at=n.created_at,
        read_at=n.read_at,
        email_to=n.email_to,
        email_status=n.email_status,
        email_error=n.email_error,
    )
