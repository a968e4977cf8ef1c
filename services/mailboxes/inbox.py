"""One message read from a mailbox over IMAP, taken the way a webhook's would be.

- A delivery status notification (a bounce report, services/replies/dsn.py) is a delivery
  event, never a reply: a hard bounce suppresses the address, moves its lead to BOUNCED and
  stops its sequence (services/replies/delivery_events.py, as SendGrid's bounce events do).
- Our own mail (sent from this mailbox, or carrying one of our Message-IDs: a BCC-to-self
  copy, a sent follow-up filed in the folder) is skipped.
- Anything else goes down the webhooks' reply path (`receive_email`): matched by thread, then
  by sender, recorded once per Message-ID, unmatched ones kept for ops.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass
from email.message import Message as MimeMessage
from typing import Literal

from models.db import Database
from models.enums import DeliveryStatus
from services.gateway import LeadWorkflowGateway
from services.replies.delivery_events import ProviderEvent, apply_events
from services.replies.dsn import DeliveryReport, delivery_report
from services.replies.inbound import receive_email
from services.replies.mime import ANGLE_ID, from_mime, parse_bytes
from services.replies.queries import sent_by_us

log = logging.getLogger("salespad.mailboxes")

Taken = Literal["reply", "duplicate", "unmatched", "own", "bounce", "delivery-report"]
PROVIDER = "imap"


@dataclass(frozen=True)
class MailboxRef:
    id: uuid.UUID
    address: str


async def take_message(
    db: Database, workflows: LeadWorkflowGateway, mailbox: MailboxRef, raw: bytes
) -> Taken:
    mime = parse_bytes(raw)
    report = delivery_report(mime)
    if report is not None:
        return await _delivery_report(db, workflows, mime, raw, report)
    mail = from_mime(mime, {}, fallback_id_prefix="imap-")
    async with db.session() as session:
        own_address = mail.sender is not None and mail.sender == mailbox.address.lower()
        if own_address or await sent_by_us(session, mail.provider_message_id):
            await session.commit()
            return "own"
        result = await receive_email(session, workflows, mail, mailbox_id=mailbox.id)
    if result.get("duplicate"):
        return "duplicate"
    return "unmatched" if result["status"] == "unmatched" else "reply"


async def _delivery_report(
    db: Database,
    workflows: LeadWorkflowGateway,
    mime: MimeMessage,
    raw: bytes,
    report: DeliveryReport,
) -> Taken:
    found = ANGLE_ID.findall(str(mime.get("Message-ID", "")))
    report_id = str(found[0]) if found else "imap-" + hashlib.sha256(raw).hexdigest()[:40]
    events = []
    for recipient in report.recipients:
        outcome = recipient.outcome
        if outcome == "other":  # delivered, relayed, expanded: nothing to act on
            continue
        events.append(
            ProviderEvent(
                provider=PROVIDER,
                # One report may list several recipients; a single one keeps the report's id.
                event_id=report_id
                if len(report.recipients) == 1
                else f"{report_id}/{recipient.email}",
                kind=outcome,
                email=recipient.email,
                provider_message_ids=(report.original_message_id,)
                if report.original_message_id
                else (),
                message_status=DeliveryStatus.BOUNCED if outcome == "bounced" else None,
                reason=f"{recipient.status} {recipient.diagnostic}".strip()[:500],
                details={"status": recipient.status, "action": recipient.action},
            )
        )
    if events:
        async with db.session() as session:
            applied = await apply_events(session, workflows, events)
        log.info("delivery report %s: %d applied, %d repeated, %d unmatched",
                 report_id, applied.applied, applied.duplicates, applied.unmatched)  # fmt: skip
    bounced = any(r.outcome == "bounced" for r in report.recipients)
    return "bounce" if bounced else "delivery-report"
