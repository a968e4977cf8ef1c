"""What a classified reply does in the database, in the caller's transaction: the message is
marked handled, the lead's status moves, an unsubscribe or bounce is suppressed, the owner is
notified, and a reply nobody could classify becomes a task for a human."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import EventType, LeadStatus, TaskStatus
from models.tables import Lead, Message, Suppression, Task, utcnow
from services.channels.queries import suppression_for
from services.events import add_event
from services.notifications.service import notify_owner
from workflows.intents import rule_for

# Statuses a reply never overrides: the lead already left the funnel for good.
_STICKY = frozenset({LeadStatus.CONVERTED, LeadStatus.UNSUBSCRIBED, LeadStatus.BOUNCED})


def apply_classification(
    session: AsyncSession,
    lead: Lead,
    message: Message,
    classification: dict[str, Any],
) -> str:
    """Record the intent's effects (caller commits); returns the lead's status after."""
    intent = str(classification["intent"])
    rule = rule_for(intent)
    now = utcnow()
    message.intent = intent
    message.processed_at = now
    message.details = {**message.details, "classification": classification}
    add_event(
        session,
        lead.id,
        EventType.INTENT_CLASSIFIED,
        message_id=str(message.id),
        **classification,
    )
    if rule.lead_status and lead.status not in _STICKY and lead.status != rule.lead_status:
        add_event(session, lead.id, EventType.STATUS_CHANGED, old=lead.status, new=rule.lead_status)
        lead.status = rule.lead_status
        lead.updated_at = now
    if rule.notify_owner:
        notify_owner(session, lead, message, intent)
        add_event(
            session,
            lead.id,
            EventType.OWNER_NOTIFIED,
            owner=lead.owner,
            intent=intent,
            message_id=str(message.id),
        )
    if rule.ask_human:
        session.add(
            Task(
                lead_id=lead.id,
                kind="review_reply",
                action="review",
                instructions=f"Read this reply and decide what to do: "
                f"{classification.get('reason', '')}".strip(),
                owner=lead.owner,
                due_at=now + timedelta(days=1),
                status=TaskStatus.OPEN,
            )
        )
    return lead.status


async def suppress_for_intent(session: AsyncSession, lead: Lead, intent: str) -> None:
    """Unsubscribe and bounce replies suppress the lead's address (and number)."""
    if not rule_for(intent).suppress:
        return
    if await suppression_for(session, lead.email, lead.phone) is not None:
        return
    session.add(
        Suppression(
            email=lead.email.lower() if lead.email else None,
            phone=lead.phone,
            reason=f"reply: {intent}",
        )
    )
    add_event(
        session,
        lead.id,
        EventType.UNSUBSCRIBED if intent == "unsubscribe" else EventType.BOUNCED,
        source="reply",
    )
