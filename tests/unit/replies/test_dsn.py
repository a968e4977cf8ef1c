"""Bounce reports (RFC 3464) told apart from replies, and read for who bounced and why."""

from __future__ import annotations

from datetime import timedelta

from services.replies.dsn import delivery_report
from services.replies.mime import parse_bytes
from tests.fakes import mail
from workflows.mailbox_poll import backoff
from workflows.policies import MAILBOX_POLL_MAX_BACKOFF

RETURNED_WHOLE = (
    b"From: postmaster@mx.example.net\r\n"
    b"To: rep@team.example\r\n"
    b"Subject: Delivery Status Notification (Failure)\r\n"
    b"Message-ID: <dsn-2@mx.example.net>\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/report; report-type="delivery-status"; boundary="x"\r\n'
    b"\r\n--x\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
    b"--x\r\nContent-Type: message/delivery-status\r\n\r\n"
    b"Reporting-MTA: dns; mx.example.net\r\n\r\n"
    b"Final-Recipient: RFC822; <Nobody@Client.example>\r\n"
    b"Action: failed\r\nStatus: 5.1.1 (bad destination mailbox address)\r\n\r\n"
    b"--x\r\nContent-Type: message/rfc822\r\n\r\n"
    b"From: rep@team.example\r\nTo: nobody@client.example\r\n"
    b"Message-ID: <0123456789abcdef0123456789abcdef@salespad>\r\n\r\nHi\r\n"
    b"--x--\r\n"
)


def test_a_hard_bounce_names_the_recipient_and_our_original() -> None:
    report = delivery_report(parse_bytes(RETURNED_WHOLE))
    assert report is not None
    [recipient] = report.recipients
    assert (recipient.email, recipient.status, recipient.outcome) == (
        "nobody@client.example",
        "5.1.1",
        "bounced",
    )
    assert report.original_message_id == "<0123456789abcdef0123456789abcdef@salespad>"


def test_a_delay_is_not_a_bounce_and_a_reply_is_not_a_report() -> None:
    delayed = mail.bounce_report(
        to="rep@team.example",
        recipient="slow@client.example",
        original_message_id="<x@salespad>",
        action="delayed",
        status="4.4.1",
    )
    report = delivery_report(parse_bytes(delayed))
    assert report is not None
    assert [r.outcome for r in report.recipients] == ["deferred"]
    assert report.original_message_id == "<x@salespad>"
    reply = mail.reply(sender="ada@client.example", to="rep@team.example", body="Mail failed?")
    assert delivery_report(parse_bytes(reply)) is None


def test_failed_rounds_back_off_up_to_a_ceiling() -> None:
    assert backoff(60, 0) == timedelta(seconds=60)
    assert backoff(60, 1) == timedelta(seconds=120)
    assert backoff(60, 3) == timedelta(seconds=480)
    assert backoff(60, 50) == MAILBOX_POLL_MAX_BACKOFF
