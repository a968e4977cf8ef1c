"""Reading an Inbound Parse post into one `InboundMail`.

SendGrid posts multipart/form-data: from, to, subject, text, html, headers (the raw header
block), envelope (JSON), charsets (JSON: the charset of each field), attachments (a count) and
the files; or, with "send raw" on, the whole MIME message in `email`. Nothing here raises on
odd input: a mail that cannot be read is still kept (as unmatched) rather than dropped.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import json
import re
from collections.abc import Mapping
from email.message import Message as MimeMessage
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

from starlette.datastructures import FormData, UploadFile

from services.replies.schemas import InboundMail

# What the reply classifier may use to spot auto-replies and bounces, plus threading.
KEPT_HEADERS = (
    "Message-ID", "In-Reply-To", "References", "Auto-Submitted", "X-Autoreply", "X-Autorespond",
    "X-Auto-Response-Suppress", "Precedence", "X-Precedence", "List-Id", "Return-Path",
    "X-Failed-Recipients",
)  # fmt: skip
_ANGLE_ID = re.compile(r"<[^<>\s]+>")
_MAX_ID = 500  # ReplyCreate.provider_message_id's limit
_MAX_HEADER = 1000


def from_form(form: FormData) -> InboundMail:
    fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
    files = sum(1 for _, v in form.multi_items() if isinstance(v, UploadFile))
    charsets = _json_object(fields.get("charsets"))
    decoded = {k: _redecode(v, charsets.get(k)) for k, v in fields.items()}
    if decoded.get("email") and not decoded.get("headers"):
        return _from_raw_mime(decoded["email"], decoded, files)
    try:
        attachments = int(decoded.get("attachments") or 0) or files
    except ValueError:
        attachments = files
    header_block = email.message_from_string(
        decoded.get("headers", "") + "\n\n", policy=email.policy.compat32
    )
    text = decoded.get("text") or html_to_text(decoded.get("html", ""))
    return _assemble(header_block, decoded, text, attachments)


def unreadable(body: bytes, content_type: str) -> InboundMail:
    """A post whose form could not be parsed: kept whole so ops can look at it."""
    return InboundMail(
        sender=None,
        from_header="",
        to="",
        subject=None,
        text=body[:100_000].decode("utf-8", "replace") or f"(empty {content_type} post)",
        provider_message_id="sg-inbound-" + hashlib.sha256(body).hexdigest()[:40],
    )


def _from_raw_mime(raw: str, fields: Mapping[str, str], files: int) -> InboundMail:
    mime = email.message_from_string(raw, policy=email.policy.compat32)
    text = ""
    for part in mime.walk():
        if part.get_content_maintype() == "multipart" or part.get_filename():
            continue
        if part.get_content_type() in ("text/plain", "text/html"):
            payload = _part_text(part)
            text = payload if part.get_content_type() == "text/plain" else html_to_text(payload)
            if part.get_content_type() == "text/plain":
                break
    fields = {**fields, "from": fields.get("from") or str(mime.get("From", ""))}
    fields = {**fields, "subject": fields.get("subject") or str(mime.get("Subject", ""))}
    return _assemble(mime, fields, text, files)


def _part_text(part: MimeMessage) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    try:
        return payload.decode(part.get_content_charset() or "utf-8", "replace")
    except LookupError:
        return payload.decode("utf-8", "replace")


def _assemble(
    headers: MimeMessage, fields: Mapping[str, str], text: str, attachments: int
) -> InboundMail:
    kept = {
        name: " ".join(str(headers[name]).split())[:_MAX_HEADER]
        for name in KEPT_HEADERS
        if headers.get(name) is not None
    }
    from_header = fields.get("from", "") or str(headers.get("From", ""))
    envelope = _json_object(fields.get("envelope"))
    sender = parseaddr(from_header)[1] or str(envelope.get("from") or "")
    refs = _ANGLE_ID.findall(kept.get("In-Reply-To", ""))
    refs += reversed(_ANGLE_ID.findall(kept.get("References", "")))
    message_id = _message_id(kept.get("Message-ID"), fields, text)
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


def _message_id(header: str | None, fields: Mapping[str, str], text: str) -> str:
    found = _ANGLE_ID.findall(header or "")
    if found and len(found[0]) <= _MAX_ID:
        return str(found[0])
    # No usable Message-ID: a hash of what SendGrid posts again on a retry still dedupes.
    material = "\0".join([fields.get("headers", ""), fields.get("from", ""), text])
    return "sg-inbound-" + hashlib.sha256(material.encode()).hexdigest()[:40]


def _json_object(raw: str | None) -> dict[str, object]:
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _redecode(value: str, charset: object) -> str:
    """Starlette decodes every field as UTF-8 and falls back to Latin-1 when that fails; when
    SendGrid names another charset for the field, get the bytes back and decode them with it."""
    if not isinstance(charset, str) or charset.lower().replace("-", "") in ("utf8", "ascii"):
        return value
    try:
        raw = value.encode("latin-1")
        raw.decode("utf-8")
    except UnicodeEncodeError:
        return value  # not the Latin-1 fallback: the field was valid UTF-8
    except UnicodeDecodeError:
        try:
            return raw.decode(charset, "replace")
        except LookupError:
            return value
    return value


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
