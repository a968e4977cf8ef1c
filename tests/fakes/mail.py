"""Real RFC 5322 messages as they land in a mailbox: a lead's reply, an out-of-office, a copy
of our own mail, and a bounce report (RFC 3464) shaped like Postfix's."""

from __future__ import annotations

import email.policy
import uuid
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from models.tables import utcnow

_POLICY = email.policy.SMTP  # CRLF line endings, as a server stores mail


def message(sender: str, to: str, subject: str, body: str, **headers: str | None) -> bytes:
    """`headers` by their names with _ for -: message_id, in_reply_to (also References),
    auto_submitted, ..."""
    msg = EmailMessage(policy=_POLICY)
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    msg["Date"] = format_datetime(utcnow())
    msg["Message-ID"] = headers.pop("message_id", None) or make_msgid(domain="mail.example.com")
    if in_reply_to := headers.pop("in_reply_to", None):
        msg["In-Reply-To"] = msg["References"] = in_reply_to
    for name, value in headers.items():
        if value is not None:
            msg[name.replace("_", "-").title()] = value
    msg.set_content(body)
    return msg.as_bytes()


def reply(*, sender: str, to: str, body: str, **headers: str | None) -> bytes:
    """A reply; `in_reply_to` threads it (and quotes our mail, as mail clients do)."""
    quoted = "\n\nOn Monday, you wrote:\n> Quick question\n" if headers.get("in_reply_to") else ""
    return message(sender, to, "Re: Quick question", body + quoted, **headers)


def out_of_office(*, sender: str, to: str, in_reply_to: str | None = None) -> bytes:
    body = "I am out of the office until Monday with limited access to email."
    subject = "Automatic reply: Quick question"
    return message(
        sender, to, subject, body, in_reply_to=in_reply_to, auto_submitted="auto-replied"
    )


def bounce_report(
    *,
    to: str,
    recipient: str,
    original_message_id: str,
    action: str = "failed",
    status: str = "5.1.1",
    report_id: str | None = None,
) -> bytes:
    """A delivery status notification for our mail to `recipient`, sent back to `to`."""
    boundary = f"report-{uuid.uuid4().hex}"
    report_id = report_id or make_msgid(domain="mx.example.net")
    diagnostic = (
        f"smtp; 550 5.1.1 <{recipient}>: Recipient address rejected: User unknown"
        if status.startswith("5")
        else "smtp; 451 4.4.1 Connection timed out"
    )
    text = (
        f"From: MAILER-DAEMON@mx.example.net (Mail Delivery System)\r\n"
        f"To: {to}\r\n"
        f"Subject: Undelivered Mail Returned to Sender\r\n"
        f"Date: {format_datetime(utcnow())}\r\n"
        f"Message-ID: {report_id}\r\n"
        f"Auto-Submitted: auto-replied\r\n"
        f"MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\r\n'
        f"\r\n"
        f"--{boundary}\r\n"
        f"Content-Description: Notification\r\n"
        f"Content-Type: text/plain; charset=us-ascii\r\n"
        f"\r\n"
        f"This is the mail system at host mx.example.net.\r\n"
        f"I'm sorry to have to inform you that your message could not\r\n"
        f"be delivered to one or more recipients.\r\n"
        f"\r\n"
        f"--{boundary}\r\n"
        f"Content-Description: Delivery report\r\n"
        f"Content-Type: message/delivery-status\r\n"
        f"\r\n"
        f"Reporting-MTA: dns; mx.example.net\r\n"
        f"Arrival-Date: {format_datetime(utcnow())}\r\n"
        f"\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\n"
        f"Original-Recipient: rfc822;{recipient}\r\n"
        f"Action: {action}\r\n"
        f"Status: {status}\r\n"
        f"Diagnostic-Code: {diagnostic}\r\n"
        f"\r\n"
        f"--{boundary}\r\n"
        f"Content-Description: Undelivered Message Headers\r\n"
        f"Content-Type: text/rfc822-headers\r\n"
        f"\r\n"
        f"From: {to}\r\n"
        f"To: {recipient}\r\n"
        f"Subject: Quick question\r\n"
        f"Message-ID: {original_message_id}\r\n"
        f"\r\n"
        f"--{boundary}--\r\n"
    )
    return text.encode()
