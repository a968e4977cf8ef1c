"""Which internal events a subscriber can follow, and their public names: the one place this
mapping is written in Python.

Migration 0007 writes the same mapping in SQL (`salespad_webhook_event_name`), which the event
log's fan-out trigger calls; tests/service/webhooks_out/test_fan_out.py checks that the two
agree for every EventType. Changing the mapping therefore takes a migration that replaces that
function, and the test says so.
"""

from __future__ import annotations

from models.enums import EventType

ALL_EVENTS = "*"
# The fan-out trigger NOTIFYs this channel when an event with deliveries commits.
NOTIFY_CHANNEL = "salespad_webhooks"

PUBLIC_EVENTS: dict[EventType, str] = {
    EventType.INTENT_CLASSIFIED: "reply.received",  # a reply, with the intent it was read as
    EventType.STATUS_CHANGED: "lead.status_changed",
    EventType.EMAIL_SENT: "message.sent",
    EventType.WHATSAPP_SENT: "message.sent",
    EventType.SMS_SENT: "message.sent",
    EventType.BOUNCED: "lead.bounced",
    EventType.UNSUBSCRIBED: "lead.unsubscribed",
    EventType.DEAD_LETTERED: "lead.dead_lettered",
    EventType.OWNER_NOTIFIED: "owner.notified",
}

# The names a subscription may list, in a stable order for error messages and docs.
EVENT_NAMES: tuple[str, ...] = tuple(sorted(set(PUBLIC_EVENTS.values())))


def public_name(event_type: str) -> str | None:
    """The public name of an internal event type, or None when subscribers never see it."""
    try:
        return PUBLIC_EVENTS.get(EventType(event_type))
    except ValueError:
        return None
