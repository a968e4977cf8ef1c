"""Reading an Inbound Parse post into one `InboundMail`.

SendGrid posts multipart/form-data: from, to, subject, text, html, headers (the raw header
block), envelope (JSON), charsets (JSON: the charset of each field), attachments (a count) and
the files; or, with "send raw" on, the whole MIME message in `email`, read like a message
fetched over IMAP (services/replies/mime.py). Nothing here raises on odd input: a mail that
cannot be read is still kept (as unmatched) rather than dropped.
"""

from __future__ import annotations

import email
import email.policy
import hashlib

from starlette.datastructures import FormData, UploadFile

from services.replies.mime import assemble, from_mime, html_to_text, json_object
from services.replies.schemas import InboundMail


def from_form(form: FormData) -> InboundMail:
    fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
    files = sum(1 for _, v in form.multi_items() if isinstance(v, UploadFile))
    charsets = json_object(fields.get("charsets"))
    decoded = {k: _redecode(v, charsets.get(k)) for k, v in fields.items()}
    if decoded.get("email") and not decoded.get("headers"):
        mime = email.message_from_string(decoded["email"], policy=email.policy.compat32)
        return from_mime(mime, decoded, files)
    try:
        attachments = int(decoded.get("attachments") or 0) or files
    except ValueError:
        attachments = files
    header_block = email.message_from_string(
        decoded.get("headers", "") + "\n\n", policy=email.policy.compat32
    )
    text = decoded.get("text") or html_to_text(decoded.get("html", ""))
    return assemble(header_block, decoded, text, attachments)


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
