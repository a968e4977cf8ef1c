"""Enumerations shared by the tables, the API and the workflows (plain str values on the wire)."""

from __future__ import annotations

from enum import StrEnum


class LeadStatus(StrEnum):
    NEW = "NEW"
    OUTREACHED = "OUTREACHED"
    REPLIED = "REPLIED"
    CONVERTED = "CONVERTED"
    UNSUBSCRIBED = "UNSUBSCRIBED"
    BOUNCED = "BOUNCED"


# A lead in one of these states is never contacted again by a sequence.
FINAL_LEAD_STATUSES = frozenset(
    {LeadStatus.REPLIED, LeadStatus.CONVERTED, LeadStatus.UNSUBSCRIBED, LeadStatus.BOUNCED}
)


class ChannelType(StrEnum):
    EMAIL = "EMAIL"
    WHATSAPP = "WHATSAPP"
    SMS = "SMS"
    LINKEDIN = "LINKEDIN"


class ChannelProvider(StrEnum):
    SENDGRID = "sendgrid"
    SMTP = "smtp"
    TWILIO = "twilio"
    TASK = "task"
    OUTBOX = "outbox"


# What a lead's preferred_channel may be: the channels a sequence sends on by itself.
PREFERABLE_CHANNELS = frozenset({ChannelType.EMAIL, ChannelType.WHATSAPP, ChannelType.SMS})


class Direction(StrEnum):
    INBOUND = "INBOUND"
    OUTBOUND = "OUTBOUND"


class DeliveryStatus(StrEnum):
    SENDING = "sending"  # claimed; the provider call may or may not have happened
    SENT = "sent"
    DELIVERED = "delivered"
    BOUNCED = "bounced"
    FAILED = "failed"
    RECEIVED = "received"  # inbound
    DISCARDED = "discarded"  # inbound from nobody we know, set aside by ops


class EventType(StrEnum):
    LEAD_CREATED = "LEAD_CREATED"
    LEAD_UPDATED = "LEAD_UPDATED"
    ENROLLED = "ENROLLED"
    EMAIL_SENT = "EMAIL_SENT"
    WHATSAPP_SENT = "WHATSAPP_SENT"
    SMS_SENT = "SMS_SENT"
    SEND_SKIPPED = "SEND_SKIPPED"
    REPLY_RECEIVED = "REPLY_RECEIVED"
    UNMATCHED_REPLY = "UNMATCHED_REPLY"
    UNMATCHED_DISCARDED = "UNMATCHED_DISCARDED"
    INTENT_CLASSIFIED = "INTENT_CLASSIFIED"
    STATUS_CHANGED = "STATUS_CHANGED"
    SEQUENCE_COMPLETED = "SEQUENCE_COMPLETED"
    SEQUENCE_STOPPED = "SEQUENCE_STOPPED"
    SEQUENCE_PAUSED = "SEQUENCE_PAUSED"
    SEQUENCE_RESUMED = "SEQUENCE_RESUMED"
    OWNER_NOTIFIED = "OWNER_NOTIFIED"
    TASK_CREATED = "TASK_CREATED"
    TASK_DONE = "TASK_DONE"
    TASK_SKIPPED = "TASK_SKIPPED"
    TASK_OVERDUE = "TASK_OVERDUE"
    TASK_CANCELLED = "TASK_CANCELLED"
    SEND_DEFERRED = "SEND_DEFERRED"
    OPS_RETRY = "OPS_RETRY"
    OPS_SKIP = "OPS_SKIP"
    OPS_STOP = "OPS_STOP"
    CLAIM_RELEASED = "CLAIM_RELEASED"
    DELIVERED = "DELIVERED"
    BOUNCED = "BOUNCED"
    UNSUBSCRIBED = "UNSUBSCRIBED"
    # Provider delivery and engagement reports (SendGrid Event Webhook, Twilio status).
    DELIVERY_DEFERRED = "DELIVERY_DEFERRED"
    DELIVERY_FAILED = "DELIVERY_FAILED"
    OPENED = "OPENED"
    CLICKED = "CLICKED"
    DEAD_LETTERED = "DEAD_LETTERED"
    # AI-drafted steps: what was drafted and why (prompts, outputs, problems), and what a
    # human decided about it.
    DRAFT_CREATED = "DRAFT_CREATED"
    DRAFT_APPROVED = "DRAFT_APPROVED"
    DRAFT_REJECTED = "DRAFT_REJECTED"
    # The lead replied on another channel than its preferred one: that one is preferred now.
    PREFERRED_CHANNEL_LEARNED = "PREFERRED_CHANNEL_LEARNED"
    # The lead's personal data was erased (GDPR Art. 17): counts only, no personal data.
    ERASED = "ERASED"
    # A mailbox (sender identity) was paused, by its deliverability guard or by ops, or
    # resumed; `lead_id` is NULL, details name the mailbox and the figures.
    MAILBOX_PAUSED = "MAILBOX_PAUSED"
    MAILBOX_RESUMED = "MAILBOX_RESUMED"


SENT_EVENT_BY_CHANNEL = {
    ChannelType.EMAIL: EventType.EMAIL_SENT,
    ChannelType.WHATSAPP: EventType.WHATSAPP_SENT,
    ChannelType.SMS: EventType.SMS_SENT,
}


class EnrollmentState(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    ATTENTION = "attention"  # dead-lettered or an overdue task: ops must act
    COMPLETED = "completed"
    STOPPED = "stopped"
    REPLIED = "replied"
    FAILED = "failed"


OPEN_ENROLLMENT_STATES = frozenset(
    {EnrollmentState.ACTIVE, EnrollmentState.PAUSED, EnrollmentState.ATTENTION}
)


class CampaignStatus(StrEnum):
    """How far enrolling a campaign's leads has got (its controls are `Campaign.state`)."""

    ENROLLING = "enrolling"
    ENROLLED = "enrolled"


class TaskStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    SKIPPED = "skipped"
    # Its sequence ended (stopped, replied, completed) before anyone answered it.
    CANCELLED = "cancelled"
