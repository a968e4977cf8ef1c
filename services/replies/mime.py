"""Reading one email (RFC 5322 / MIME) into an `InboundMail`: shared by SendGrid's Inbound
Parse ("send raw", api/webhooks/inbound_mail.py) and the IMAP poller (services/mailboxes).

Nothing here raises on odd input: a mail that cannot be read well is still kept (as unmatched)
rather than dropped.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import json
import re
from collections.abc import Mapping
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.message import Message as MimeMessage
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

from services.replies.schemas import InboundMail

# What the reply classifier may use to spot auto-replies and bounces, plus threading.
KEPT_HEADERS = (
    "Message-ID", "In-Reply-To", "References", "Auto-Submitted", "X-Autoreply", "X-Autorespond",
    "X-Auto-Response-Suppress", "Precedence", "X-Precedence", "List-Id", "Return-Path",
    "X-Failed-Recipients",
)  # fmt: skip
ANGLE_ID = re.compile(r"<[^<>\s]+>")
_MAX_ID = 500  # ReplyCreate.provider_message_id's limit
_MAX_HEADER = 1000


def parse_bytes(raw: bytes) -> MimeMessage:
    """A message as a mail server stores it (IMAP BODY[])."""
    return email.message_from_bytes(raw, policy=email.policy.compat32)


def from_mime(
    mime: MimeMessage,
    fields: Mapping[str, str],
    attachments: int | None = None,
    *,
    fallback_id_prefix: str = "sg-inbound-",
) -> InboundMail:
    """One message; `fields` are what the carrier told apart from the message (SendGrid's form
    fields: from, to, subject, envelope) and win over the message's own headers.
    `attachments`: None counts the parts that are files."""
    text, files, plain = "", 0, False
    for part in mime.walk():
        if part.get_content_maintype() == "multipart":
            continue
        if part.get_filename():
            files += 1
        elif not plain and part.get_content_type() == "text/plain":
            text, plain = _part_text(part), True  # the first plain-text part is the one
        elif not plain and part.get_content_type() == "text/html":
            text = html_to_text(_part_text(part))
    fields = {
        **fields,
        "from": fields.get("from") or str(mime.get("From", "")),
        "subject": fields.get("subject") or _decoded(mime.get("Subject")),
        "to": fields.get("to") or str(mime.get("To", "")),
    }
    count = files if attachments is None else attachments
    return assemble(mime, fields, text, count, fallback_id_prefix=fallback_id_prefix)


def _decoded(header: object) -> str:
    """A header's text with its RFC 2047 encoded words (=?utf-8?q?...?=) decoded."""
    if header is None:
        return ""
    try:
        return str(make_header(decode_header(str(header))))
    except (LookupError, ValueError, HeaderParseError):
        return str(header)


def _part_text(part: MimeMessage) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    try:
        return payload.decode(part.get_content_charset() or "utf-8", "replace")
    except LookupError:
        return payload.decode("utf-8", "replace")


def assemble(
    headers: MimeMessage,
    fields: Mapping[str, str],
    text: str,
    attachments: int,
    *,
    fallback_id_prefix: str = "sg-inbound-",
) -> InboundMail:
    kept = {
        name: " ".join(str(headers[name]).split())[:_MAX_HEADER]
        for name in KEPT_HEADERS
        if headers.get(name) is not None
    }
    from_header = fields.get("from", "") or str(headers.get("From", ""))
    envelope = json_object(fields.get("envelope"))
    sender = parseaddr(from_header)[1] or str(envelope.get("from") or "")
    refs = ANGLE_ID.findall(kept.get("In-Reply-To", ""))
    refs += reversed(ANGLE_ID.findall(kept.get("References", "")))
    message_id = _message_id(kept.get("Message-ID"), fields, text, fallback_id_prefix)
    return InboundMail(
        sender=sender.strip().lower() if "@" in sender else None,
        from_header=from_header,
        to=", ".join(addr for _, addr in getaddresses([fields.get("to", "")]) if addr),
        subject=fields.get("subject") or None,
        text=text,
        provider_message_id=message_id,
        references=tuple(dict.fromkeys(refs)),
        headers=kept,
        attachments=attachments,
    )


def _message_id(header: str | None, fields: Mapping[str, str], text: str, prefix: str) -> str:
    found = ANGLE_ID.findall(header or "")
    if found and len(found[0]) <= _MAX_ID:
        return str(found[0])
    # No usable Message-ID: a hash of what is delivered again on a retry still dedupes.
    material = "\0".join([fields.get("headers", ""), fields.get("from", ""), text])
    return prefix + hashlib.sha256(material.encode()).hexdigest()[:40]


def json_object(raw: str | None) -> dict[str, object]:
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


class _TextExtractor(HTMLParser):
    _BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "blockquote"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "head"):
            self._skip += 1
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Readable text from an HTML-only mail; layout is lost, words and line breaks are not."""
    if not html:
        return ""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
