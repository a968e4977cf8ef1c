"""Replies arriving on provider webhooks: find the lead, then take the same path as
`POST /api/leads/{id}/replies` (`handle_reply`), or keep the reply for ops when nobody matches.

An email reply is matched by its In-Reply-To / References against the Message-IDs of our
outbound mail first (a colleague or an alias answering still lands on the right lead), then
by the sender's address (`services.replies.queries`).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from adapters.llm.text import strip_reply
from models.enums import ChannelType
from services.gateway import LeadWorkflowGateway
from services.leads.schemas import keepable
from services.replies.queries import lead_for_mail, lead_for_phone
from services.replies.schemas import InboundMail, ReplyCreate
from services.replies.service import handle_reply
from services.replies.unmatched import record_unmatched_reply

_MAX_CONTENT = 100_000  # ReplyCreate.content's limit
# Webhooks must answer fast, worker or not: record, signal the running sequence, answer (no
# Update); with no sequence, a classification that takes longer than this goes on queued.
WEBHOOK_UPDATE_TIMEOUT_SECONDS = 0.5


async def receive_email(
    session: AsyncSession,
    workflows: LeadWorkflowGateway,
    mail: InboundMail,
    *,
    update_timeout: float = WEBHOOK_UPDATE_TIMEOUT_SECONDS,
    mailbox_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    """`mailbox_id`: the mailbox it was read from (IMAP), kept on the message."""
    mail = keepable(mail)
    lead_id, matched_by = await lead_for_mail(session, mail)
    if lead_id is None:
        message, duplicate = await record_unmatched_reply(
            session,
            channel=ChannelType.EMAIL,
            sender=mail.sender or mail.from_header or "(unknown sender)",
            # Whole, quoted history included: it shows ops which of our emails was answered.
            content=_content(mail.text, mail.attachments, strip=False),
            subject=mail.subject,
            provider_message_id=mail.provider_message_id,
            details={"to": mail.to, "references": list(mail.references[:10])},
            mailbox_id=mailbox_id,
        )
        return {"status": "unmatched", "message_id": str(message.id), "duplicate": duplicate}
    body = ReplyCreate(
        content=_content(mail.text, mail.attachments),
        channel=ChannelType.EMAIL,
        subject=mail.subject,
        message_id=mail.provider_message_id,
        headers=mail.headers,
    )
    result = await handle_reply(
        session, workflows, lead_id, body, update_timeout, wait="signal", mailbox_id=mailbox_id
    )
    return {"status": "recorded", "lead_id": str(lead_id), "matched_by": matched_by} | (
        result.model_dump(mode="json", by_alias=True)
    )


async def receive_text(
    session: AsyncSession,
    workflows: LeadWorkflowGateway,
    *,
    channel: ChannelType,
    number: str | None,
    sender: str,
    content: str,
    message_sid: str,
    details: dict[str, Any],
    update_timeout: float = WEBHOOK_UPDATE_TIMEOUT_SECONDS,
) -> dict[str, Any]:
    """An SMS or WhatsApp message that is not an opt-out keyword."""
    sender, content, message_sid = keepable(sender), keepable(content), keepable(message_sid)
    details = keepable(details)
    lead_id = await lead_for_phone(session, number) if number else None
    if lead_id is None:
        message, duplicate = await record_unmatched_reply(
            session,
            channel=channel,
            sender=sender,
            content=_content(content, 0, strip=False),
            subject=None,
            provider_message_id=message_sid,
            details=details,
        )
        return {"status": "unmatched", "message_id": str(message.id), "duplicate": duplicate}
    body = ReplyCreate(
        content=_content(content, 0, strip=False), channel=channel, message_id=message_sid
    )
    result = await handle_reply(session, workflows, lead_id, body, update_timeout, wait="signal")
    return {"status": "recorded", "lead_id": str(lead_id)} | result.model_dump(
        mode="json", by_alias=True
    )


def _content(text: str, attachments: int, *, strip: bool = True) -> str:
    """The lead's own words (quoted history cut), or the raw text when cutting leaves nothing."""
    raw = text.strip()
    own = strip_reply(raw).strip() if strip and raw else raw
    content = own or raw
    if not content:
        content = f"(no text; {attachments} attachment(s))" if attachments else "(empty message)"
    return content[:_MAX_CONTENT]
