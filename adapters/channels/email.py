"""What the email channels (SendGrid, SMTP) share: the recipient address, our Message-ID,
threading headers, RFC 8058 List-Unsubscribe, and a plain HTML part."""

from __future__ import annotations

import hashlib
import html
import logging
import re
from urllib.parse import quote

from email_validator import EmailNotValidError, validate_email

from adapters.channels.base import OutboundContent, PermanentChannelError, Recipient
from adapters.channels.message_ids import message_id_for
from workflows import errors

log = logging.getLogger(__name__)

# SendGrid refuses these in `headers`: they come from other fields of the request. Other mail
# channels drop them from callers too: each is set from OutboundContent or the channel itself.
RESERVED_HEADERS = frozenset(
    {
        "to", "from", "subject", "reply-to", "cc", "bcc", "content-type",
        "content-transfer-encoding", "x-sg-id", "x-sg-eid", "received", "dkim-signature",
    }
)  # fmt: skip
# Set by outbound_headers; a caller's copy would duplicate them or break threading.
_OWNED_HEADERS = frozenset(
    {"message-id", "in-reply-to", "references", "list-unsubscribe", "list-unsubscribe-post"}
)

__all__ = [
    "RESERVED_HEADERS",
    "email_target",
    "message_id_for",
    "normalized_email",
    "outbound_headers",
    "reply_subject",
    "text_to_html",
]


def normalized_email(lead: Recipient) -> str | None:
    """The lead's address in normalized form, or None when it is not a valid address."""
    if not lead.email:
        return None
    try:
        return validate_email(lead.email, check_deliverability=False).normalized
    except EmailNotValidError:
        return None


def email_target(lead: Recipient, content: OutboundContent) -> tuple[str, str, str]:
    """(recipient address, idempotency key, our Message-ID) for an email send; a lead without
    a valid address is a permanent error."""
    to_email = normalized_email(lead)
    if to_email is None:
        raise PermanentChannelError(
            f"lead {lead.lead_id} has no valid email address",
            error_type=errors.INVALID_RECIPIENT,
        )
    # The activity always passes a key; the fallback still keeps retries on one Message-ID.
    key = content.idempotency_key or (
        f"{lead.lead_id}:{content.step}:{content.subject}:"
        + hashlib.sha256(content.body.encode()).hexdigest()
    )
    return to_email, key, message_id_for(key)


def reply_subject(subject: str) -> str:
    """The subject of an answer in a thread: "Re: <subject>", never "Re: Re: ..."."""
    return subject if subject.lower().startswith("re:") else f"Re: {subject}"


def outbound_headers(
    content: OutboundContent,
    message_id: str,
    unsubscribe_url_template: str | None,
    *,
    reserved: frozenset[str] = RESERVED_HEADERS,
) -> dict[str, str]:
    """The extra headers of an outbound email: the caller's own (minus owned and `reserved`
    ones), our Message-ID, threading, and RFC 8058 List-Unsubscribe."""
    headers: dict[str, str] = {}
    for name, value in content.headers.items():
        low = name.lower()
        if low in _OWNED_HEADERS or low in reserved:
            continue
        headers[name] = value
    headers["Message-ID"] = message_id
    if content.in_reply_to:
        headers["In-Reply-To"] = _angle(content.in_reply_to)
        headers["References"] = _angle(content.in_reply_to)
    if unsubscribe_url_template is not None:
        headers.update(_list_unsubscribe(unsubscribe_url_template, content.unsubscribe_token))
    for name, value in headers.items():
        if "\r" in value or "\n" in value or "\r" in name or "\n" in name:
            raise PermanentChannelError(
                f"header {name!r} contains a line break", error_type=errors.INVALID_CONTENT
            )
    return headers


def _list_unsubscribe(url_template: str, token: str | None) -> dict[str, str]:
    if not token:
        log.warning("no unsubscribe token given; sending without List-Unsubscribe")
        return {}
    url = url_template.replace("{token}", quote(token, safe=""))
    # RFC 8058 one-click: mailbox providers POST to the URL without user interaction.
    return {
        "List-Unsubscribe": f"<{url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def text_to_html(text: str) -> str:
    """A minimal HTML part for plain-text messages: escaped, paragraphs and line breaks kept."""
    normalized = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    paragraphs = [p for p in re.split(r"\n\s*\n", normalized) if p.strip()]
    inner = "".join(
        "<p>" + html.escape(p.strip()).replace("\n", "<br>\n") + "</p>\n" for p in paragraphs
    )
    return f'<!DOCTYPE html>\n<html><body style="font-family:sans-serif">\n{inner}</body></html>'


def _angle(message_id: str) -> str:
    stripped = message_id.strip().strip("<>")
    return f"<{stripped}>"
