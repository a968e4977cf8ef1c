"""What ops see: leads waiting for a human, and replies nobody could be found for."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel


class AttentionItem(BaseModel):
    lead_id: uuid.UUID
    lead_name: str
    lead_email: str | None
    campaign_id: uuid.UUID
    current_step: int | None
    reason: str
    error_type: str | None
    since: datetime
    workflow_id: str
    temporal_url: str
    actions: list[str]


class UnmatchedReply(BaseModel):
    id: uuid.UUID
    channel: str | None
    sender: str | None
    subject: str | None
    content: str
    provider_message_id: str | None
    received_at: datetime | None
    details: dict[str, Any]


class UnmatchedReplyList(BaseModel):
    items: list[UnmatchedReply]
    total: int
    limit: int
    offset: int
