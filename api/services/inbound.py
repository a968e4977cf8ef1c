"""Replies arriving on provider webhooks: find the lead, then take the same path as
`POST /api/leads/{id}/replies` (`handle_reply`), or keep the reply for ops when nobody matches.

An email reply is matched by its In-Reply-To / References against the Message-IDs of our
outbound mail first (a colleague or an alias answering still lands on the right lead), then
by the sender's address. Our Message-ID is derived from the send's idempotency key
(`message_id_for`), so nothing extra is stored per send: the candidates are recomputed.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, literal_column
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from adapters.channels.sendgrid import message_id_for
from adapters.llm.text import strip_reply
from api.schemas import ReplyCreate
from api.services.contacts import record_unmatched_reply
from api.services.replies import handle_reply
from models.enums import OPEN_ENROLLMENT_STATES, ChannelType, Direction
from models.tables import Enrollment, Lead, Message

ClientFactory = Callable[[], Awaitable[Client]]
_OURS = re.compile(r"^<([0-9a-f]{32})@salespad>$")
_MAX_CONTENT = 100_000  # ReplyCreate.content's limit
# Webhooks must answer fast; a reply the workflow has not taken within this goes as a signal.
WEBHOOK_UPDATE_TIMEOUT_SECONDS = 0.5
# The SQL twin of message_id_for's digest, to find a send without knowing its lead; every hit
# is confirmed with message_id_for itself, so a drift between the two can only miss, not err.
_DIGEST_SQL = "substr(encode(sha256(convert_to(message.idempotency_key, 'UTF8')), 'hex'), 1, 32)"


@dataclass(frozen=True)
class InboundMail:
    """An email as a webhook delivered it, before matching."""

    sender: str | None  # bare address, lower-case
    from_header: str
    to: str
    subject: str | None
    text: str
    message_id: str  # the provider message id we dedupe on
    references: tuple[str, ...] = ()  # In-Reply-To first, then References newest first
    headers: dict[str, str] = field(default_factory=dict)
    attachments: int = 0


async def receive_email(
    session: AsyncSession,
    client: ClientFactory,
    mail: InboundMail,
    *,
    task_queue: str,
    update_timeout: float = WEBHOOK_UPDATE_TIMEOUT_SECONDS,
) -> dict[str, Any]:
    lead_id, matched_by = await lead_for_mail(session, mail)
    if lead_id is None:
        message, duplicate = await record_unmatched_reply(
            session,
            channel=ChannelType.EMAIL,
            sender=mail.sender or mail.from_header or "(unknown sender)",
            # Whole, quoted history included: it shows ops which of our emails was answered.
            content=_content(mail.text, mail.attachments, strip=False),
            subject=mail.subject,
            provider_message_id=mail.message_id,
            details={"to": mail.to, "references": list(mail.references[:10])},
        )
        return {"status": "unmatched", "message_id": str(message.id), "duplicate": duplicate}
    body = ReplyCreate(
        content=_content(mail.text, mail.attachments),
        channel=ChannelType.EMAIL,
        subject=mail.subject,
        message_id=mail.message_id,
        headers=mail.headers,
    )
    result = await handle_reply(
        session, client, lead_id, body, update_timeout, task_queue=task_queue
    )
    return {"status": "recorded", "lead_id": str(lead_id), "matched_by": matched_by} | (
        result.model_dump(mode="json")
    )


async def receive_text(
    session: AsyncSession,
    client: ClientFactory,
    *,
    channel: ChannelType,
    number: str | None,
    sender: str,
    content: str,
    message_sid: str,
    details: dict[str, Any],
    task_queue: str,
    update_timeout: float = WEBHOOK_UPDATE_TIMEOUT_SECONDS,
) -> dict[str, Any]:
    """An SMS or WhatsApp message that is not an opt-out keyword."""
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
    result = await handle_reply(
        session, client, lead_id, body, update_timeout, task_queue=task_queue
    )
    return {"status": "recorded", "lead_id": str(lead_id)} | result.model_dump(mode="json")


async def lead_for_mail(session: AsyncSession, mail: InboundMail) -> tuple[uuid.UUID | None, str]:
    """(lead id, how it was matched): by thread first, then by the sender's address."""
    lead_id = await lead_for_references(session, mail.references, mail.sender)
    if lead_id is not None:
        return lead_id, "thread"
    if mail.sender:
        found = (
            await session.exec(select(Lead.id).where(func.lower(Lead.email) == mail.sender))
        ).first()
        if found is not None:
            return found, "sender"
    return None, ""


async def lead_for_references(
    session: AsyncSession, references: Sequence[str], sender: str | None
) -> uuid.UUID | None:
    if not references:
        return None
    # Sends whose provider id is the Message-ID itself (SMTP) match directly.
    direct = (
        await session.exec(
            select(Message.lead_id).where(
                Message.direction == Direction.OUTBOUND,
                col(Message.provider_message_id).in_(references),
                col(Message.lead_id).is_not(None),
            )
        )
    ).first()
    if direct is not None:
        return direct
    digests = {m.group(1) for r in references if (m := _OURS.match(r.lower()))}
    if not digests:
        return None
    ours = {f"<{digest}@salespad>" for digest in digests}
    sends = select(Message.lead_id, Message.idempotency_key).where(
        Message.direction == Direction.OUTBOUND,
        col(Message.idempotency_key).is_not(None),
        col(Message.lead_id).is_not(None),
    )
    if sender:
        # Usually the lead answers from the address we wrote to: only their sends to hash.
        own = sends.join(Lead, col(Lead.id) == Message.lead_id).where(
            func.lower(Lead.email) == sender
        )
        hit = _first_match((await session.exec(own)).all(), ours)
        if hit is not None:
            return hit
    # Forwarded, or answered from another address: look among everyone's sends.
    anyone = sends.where(literal_column(_DIGEST_SQL).in_(digests)).limit(20)
    return _first_match((await session.exec(anyone)).all(), ours)


def _first_match(
    rows: Sequence[tuple[uuid.UUID | None, str | None]], ours: set[str]
) -> uuid.UUID | None:
    for lead_id, key in rows:
        if key and lead_id and message_id_for(key) in ours:
            return lead_id
    return None


async def lead_for_phone(session: AsyncSession, number: str) -> uuid.UUID | None:
    """Several leads may share a number (only email-less ones are unique by phone): prefer the
    one in a running sequence, then the most recently updated."""
    open_enrollment = (
        select(Enrollment.id)
        .where(Enrollment.lead_id == Lead.id, col(Enrollment.state).in_(OPEN_ENROLLMENT_STATES))
        .exists()
    )
    stmt = (
        select(Lead.id)
        .where(Lead.phone == number)
        .order_by(open_enrollment.desc(), col(Lead.updated_at).desc())
        .limit(1)
    )
    return (await session.exec(stmt)).first()


def _content(text: str, attachments: int, *, strip: bool = True) -> str:
    """The lead's own words (quoted history cut), or the raw text when cutting leaves nothing."""
    raw = text.strip()
    own = strip_reply(raw).strip() if strip and raw else raw
    content = own or raw
    if not content:
        content = f"(no text; {attachments} attachment(s))" if attachments else "(empty message)"
    return content[:_MAX_CONTENT]
