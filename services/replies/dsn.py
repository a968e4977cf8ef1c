"""Delivery status notifications (RFC 3464): the bounce reports a mail server sends back to a
mailbox read over IMAP. A report is multipart/report; report-type=delivery-status, with a
message/delivery-status part (per recipient: Final-Recipient, Action, Status, Diagnostic-Code)
and the returned message or its headers (message/rfc822 or text/rfc822-headers), which name our
original by its Message-ID.

Action "failed" with a 5.x.x status is a hard bounce; "delayed" (or a 4.x.x) is not: the
server is still trying, or gave up on something that may work another time.
"""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass
from email.message import Message as MimeMessage
from typing import Literal

from services.replies.mime import ANGLE_ID

Outcome = Literal["bounced", "failed", "deferred", "other"]


@dataclass(frozen=True)
class RecipientStatus:
    email: str
    action: str  # failed, delayed, delivered, relayed, expanded
    status: str  # e.g. 5.1.1
    diagnostic: str

    @property
    def outcome(self) -> Outcome:
        if self.action == "failed":
            return "bounced" if self.status.startswith("5") else "failed"
        if self.action == "delayed":
            return "deferred"
        return "other"


@dataclass(frozen=True)
class DeliveryReport:
    recipients: tuple[RecipientStatus, ...]
    original_message_id: str | None  # the Message-ID of the mail that bounced (ours)


def delivery_report(mime: MimeMessage) -> DeliveryReport | None:
    """The report in a message, or None when it is not a delivery status notification."""
    if mime.get_content_type() != "multipart/report":
        return None
    if str(mime.get_param("report-type", "")).lower() != "delivery-status":
        return None
    recipients: list[RecipientStatus] = []
    original: str | None = None
    for part in mime.walk():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            recipients += _recipients(part)
        elif kind in ("message/rfc822", "text/rfc822-headers") and original is None:
            original = _returned_message_id(part)
    return DeliveryReport(tuple(recipients), original)


def _recipients(part: MimeMessage) -> list[RecipientStatus]:
    # The parser reads a delivery-status body as header blocks: the per-message one first,
    # then one per recipient.
    blocks = part.get_payload()
    if not isinstance(blocks, list):
        blocks = [email.message_from_string(str(blocks), policy=email.policy.compat32)]
    found = []
    for block in blocks:
        if not isinstance(block, MimeMessage):
            continue
        address = _address(block.get("Final-Recipient")) or _address(
            block.get("Original-Recipient")
        )
        if not address:
            continue
        found.append(
            RecipientStatus(
                email=address,
                action=str(block.get("Action", "")).strip().lower(),
                status=str(block.get("Status", "")).strip().split(" ")[0],
                diagnostic=" ".join(str(block.get("Diagnostic-Code", "")).split())[:500],
            )
        )
    return found


def _address(field: object) -> str | None:
    """`rfc822; ada@example.com` -> ada@example.com (other address types are not mail)."""
    if field is None:
        return None
    kind, _, address = str(field).partition(";")
    address = address.strip().strip("<>").lower()
    if kind.strip().lower() != "rfc822" or "@" not in address:
        return None
    return address


def _returned_message_id(part: MimeMessage) -> str | None:
    if part.get_content_type() == "message/rfc822":
        payload = part.get_payload()
        headers = payload[0] if isinstance(payload, list) and payload else None
    else:
        raw = part.get_payload(decode=True)
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw or "")
        headers = email.message_from_string(text, policy=email.policy.compat32)
    if not isinstance(headers, MimeMessage):
        return None
    found = ANGLE_ID.findall(str(headers.get("Message-ID", "")))
    return str(found[0]) if found else None
