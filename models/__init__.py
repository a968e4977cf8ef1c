"""SQLModel tables, engine/session helpers and the Alembic migrations beside them."""

from models.db import Database, normalize_url
from models.enums import (
    ChannelProvider,
    ChannelType,
    DeliveryStatus,
    Direction,
    EnrollmentState,
    EventType,
    LeadStatus,
    TaskStatus,
)
from models.mailboxes import Mailbox, MailboxImapState, MailboxSlot
from models.tables import (
    Campaign,
    Channel,
    Enrollment,
    EventLog,
    Lead,
    Message,
    Suppression,
    Task,
)

__all__ = [
    "Campaign",
    "Channel",
    "ChannelProvider",
    "ChannelType",
    "Database",
    "DeliveryStatus",
    "Direction",
    "Enrollment",
    "EnrollmentState",
    "EventLog",
    "EventType",
    "Lead",
    "LeadStatus",
    "Mailbox",
    "MailboxImapState",
    "MailboxSlot",
    "Message",
    "Suppression",
    "Task",
    "TaskStatus",
    "normalize_url",
]
