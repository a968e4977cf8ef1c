"""What ops see: leads and mailboxes waiting for a human, and replies nobody could be found
for."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, model_validator


class AttentionItem(BaseModel):
    """A lead waiting for a human (kind "lead": a dead letter or an overdue task), or a mailbox
    its deliverability guard or ops paused (kind "mailbox": its leads' sends are held until it
    is resumed). The lead fields are null only on mailbox items, the mailbox fields only on
    lead items."""

    kind: Literal["lead", "mailbox"] = "lead"
    lead_id: uuid.UUID | None
    lead_name: str | None
    lead_email: str | None
    campaign_id: uuid.UUID | None
    current_step: int | None
    reason: str
    error_type: str | None
    since: datetime
    workflow_id: str | None
    temporal_url: str | None
    # Lead: retry / skip / stop, or "complete or skip the task"; mailbox: resume
    # (POST /api/mailboxes/{mailbox_id}/resume).
    actions: list[str]
    mailbox_id: uuid.UUID | None = None
    mailbox_name: str | None = None
    mailbox_address: str | None = None

    @model_validator(mode="after")
    def _fields_of_its_kind(self) -> AttentionItem:
        lead_fields = (self.lead_id, self.lead_name, self.campaign_id, self.workflow_id)
        if self.kind == "lead" and any(v is None for v in (*lead_fields, self.temporal_url)):
            raise ValueError("a lead item names its lead, campaign and workflow")
        if self.kind == "mailbox" and (self.mailbox_id is None or self.mailbox_name is None):
            raise ValueError("a mailbox item names its mailbox")
        return self


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
