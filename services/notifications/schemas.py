"""The owners' inbox: replies a person must see."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel


class InboxLead(BaseModel):
    id: uuid.UUID
    name: str
    email: str | None
    company: str | None
    status: str


class InboxItem(BaseModel):
    id: uuid.UUID
    owner: str | None
    intent: str
    summary: str
    lead: InboxLead
    message_id: uuid.UUID | None
    created_at: datetime
    read_at: datetime | None
    email_to: str | None
    email_status: str
    email_error: str | None


class InboxPage(BaseModel):
    items: list[InboxItem]
    unread: int
    next_cursor: str | None
