"""What an event counts as in a funnel. The database's salespad_funnel_metrics (migration
0006) classifies each event the same way; tests/service/analytics checks they agree."""

from __future__ import annotations

# Intents of replies that are not a person answering: never counted as replied.
NOT_REPLIES = frozenset({"out_of_office", "auto_reply", "bounce"})
# Replies the owner wants: counted as positive (and the owner is told).
POSITIVE = frozenset({"interested", "question", "referral"})

# The funnel's stages in order; each counts leads (a lead opening twice counts once).
STAGES = (
    "enrolled",
    "sent",
    "delivered",
    "opened",
    "clicked",
    "replied",
    "positive",
    "bounced",
    "unsubscribed",
    "dead_lettered",
    "converted",
)
INTENT_PREFIX = "intent:"

# Scopes a campaign's figures are counted under (funnel_count.scope).
ALL, STEP, CHANNEL, ARM = "all", "step", "channel", "arm"


def expected_metrics(event_type: str, intent: str | None, new_status: str | None) -> list[str]:
    """The metrics one event adds to (the database function's contract, in Python)."""
    simple = {
        "ENROLLED": "enrolled",
        "EMAIL_SENT": "sent",
        "WHATSAPP_SENT": "sent",
        "SMS_SENT": "sent",
        "DELIVERED": "delivered",
        "OPENED": "opened",
        "CLICKED": "clicked",
        "BOUNCED": "bounced",
        "UNSUBSCRIBED": "unsubscribed",
        "DEAD_LETTERED": "dead_lettered",
    }
    if event_type in simple:
        return [simple[event_type]]
    if event_type == "STATUS_CHANGED":
        return ["converted"] if new_status == "CONVERTED" else []
    if event_type == "INTENT_CLASSIFIED":
        kind = intent or "other"
        out = [INTENT_PREFIX + kind]
        if kind not in NOT_REPLIES:
            out.append("replied")
        if intent in POSITIVE:
            out.append("positive")
        return out
    return []
