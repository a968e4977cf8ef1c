"""Finding the lead a reply is from: by mail thread, by sender address, by phone number.

Our Message-ID is derived from the send's idempotency key (`message_id_for`), so nothing extra
is stored per send: the candidates are recomputed.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence

from sqlalchemy import func, literal_column
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from adapters.channels.email import message_id_for
from models.enums import OPEN_ENROLLMENT_STATES, Direction
from models.tables import Enrollment, Lead, Message
from services.replies.schemas import InboundMail

_OURS = re.compile(r"^<([0-9a-f]{32})@salespad>$")
# The SQL twin of message_id_for's digest, to find a send without knowing its lead; every hit
# is confirmed with message_id_for itself, so a drift between the two can only miss, not err.
_DIGEST_SQL = "substr(encode(sha256(convert_to(message.idempotency_key, 'UTF8')), 'hex'), 1, 32)"


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


async def sent_by_us(session: AsyncSession, message_id: str) -> bool:
    """True for a Message-ID of our own outbound mail: ours by its form, or a provider's id
    recorded for one of our sends (a copy of it that landed in a mailbox we read)."""
    if _OURS.match(message_id.lower()):
        return True
    found = await session.exec(
        select(Message.id)
        .where(Message.direction == Direction.OUTBOUND, Message.provider_message_id == message_id)
        .limit(1)
    )
    return found.first() is not None
