"""SmtpChannel against a real aiosmtpd server on 127.0.0.1 whose handler answers scripted codes."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, Session

from adapters.channels.base import (
    OutboundContent,
    OutcomeUnknownChannelError,
    OutreachChannel,
    PermanentChannelError,
    Recipient,
    TransientChannelError,
)
from adapters.channels.email import message_id_for
from adapters.channels.smtp import SmtpChannel

LEAD = Recipient(lead_id="lead-42", name="Zoë Lovelace", email="ada@example.com")
UNSUB = "https://app.example.com/u/{token}"


class ScriptedHandler:
    """Accepts everything unless a reply is scripted for MAIL, RCPT or DATA."""

    def __init__(self) -> None:
        self.replies: dict[str, str] = {}
        self.delay: dict[str, float] = {}
        self.drop_on_data = False
        self.received: list[Envelope] = []
        self.commands: list[str] = []

    async def _scripted(self, command: str) -> str | None:
        self.commands.append(command)
        if command in self.delay:
            await asyncio.sleep(self.delay[command])
        return self.replies.get(command)

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if reply := await self._scripted("MAIL"):
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if reply := await self._scripted("RCPT"):
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.drop_on_data:
            assert server.transport is not None
            server.transport.close()  # the body arrived; the answer never does
            return "250 OK"
        if reply := await self._scripted("DATA"):
            return reply
        self.received.append(envelope)
        return "250 2.0.0 Ok: queued as 4F2A1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def smtp_server() -> Iterator[tuple[ScriptedHandler, int]]:
    handler = ScriptedHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield handler, controller.port
    finally:
        controller.stop()


def make_channel(port: int, **kwargs: Any) -> SmtpChannel:
    options: dict[str, Any] = {
        "from_email": "sales@example.com",
        "from_name": "Grace at SalesPad",
        "start_tls": False,
        "timeout": 5.0,
    }
    options.update(kwargs)
    return SmtpChannel("127.0.0.1", port, **options)


def content(**overrides: Any) -> OutboundContent:
    values: dict[str, Any] = {
        "body": "Hi Zoë,\n\n.a line that starts with a dot\nThanks",
        "subject": "Analytical engines — quick question",
        "idempotency_key": "enr-7:step-1",
        "step": 1,
        "unsubscribe_token": "tok/42",
        "headers": {
            "X-Campaign": "q3",
            "Bcc": "spy@example.com",
        },
    }
    values.update(overrides)
    return OutboundContent(**values)


def parsed(envelope: Envelope) -> EmailMessage:
    raw = envelope.original_content or b""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


async def test_is_an_outreach_channel() -> None:
    channel = make_channel(25)
    assert isinstance(channel, OutreachChannel)
    assert channel.validate_recipient(LEAD)
    assert not channel.validate_recipient(Recipient(lead_id="x", name="X", email="not-an-email"))


async def test_sends_a_threadable_email_with_one_click_unsubscribe(
    smtp_server: tuple[ScriptedHandler, int],
) -> None:
    handler, port = smtp_server
    result = await make_channel(port, unsubscribe_url_template=UNSUB).send(LEAD, content())

    expected_id = message_id_for("enr-7:step-1")
    assert result.provider == "smtp"
    assert result.provider_message_id == expected_id  # a reply's In-Reply-To finds the send
    assert "queued as 4F2A1" in result.detail
    [envelope] = handler.received
    assert envelope.mail_from == "sales@example.com"
    assert envelope.rcpt_tos == ["ada@example.com"]
    message = parsed(envelope)
    assert message["Message-ID"] == expected_id
    assert message["Subject"] == "Analytical engines — quick question"
    assert message["To"].addresses[0].display_name == "Zoë Lovelace"
    assert message["From"].addresses[0].addr_spec == "sales@example.com"
    assert message["List-Unsubscribe"] == "<https://app.example.com/u/tok%2F42>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["X-Campaign"] == "q3"
    # Instructions for channels never reach the inbox; a caller cannot add hidden recipients.
    assert message["X-SalesPad-Unsubscribe-Token"] is None
    assert message["Bcc"] is None
    assert message["Date"] is not None
    assert message.get_content_type() == "multipart/alternative"
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain is not None and html is not None
    assert ".a line that starts with a dot" in plain.get_content()  # dot-stuffing undone
    assert "Zoë" in html.get_content()
    # Every line ASCII: relays without 8BITMIME take it too.
    assert (envelope.original_content or b"").isascii()


async def test_follow_up_threads_under_the_first_email(
    smtp_server: tuple[ScriptedHandler, int],
) -> None:
    handler, port = smtp_server
    first = message_id_for("enr-7:step-1")
    await make_channel(port).send(
        LEAD, content(idempotency_key="enr-7:step-3", step=3, in_reply_to=first)
    )
    message = parsed(handler.received[0])
    assert message["In-Reply-To"] == first
    assert message["References"] == first
    assert message["Message-ID"] == message_id_for("enr-7:step-3")


@pytest.mark.parametrize(
    ("command", "reply", "error_type"),
    [
        ("MAIL", "421 4.3.2 Service not available, closing channel", "SmtpUnavailable"),
        ("RCPT", "450 4.2.1 Mailbox busy, try later", "SmtpTemporaryFailure"),
        ("DATA", "451 4.3.0 Local error in processing", "SmtpTemporaryFailure"),
        ("DATA", "452 4.3.1 Insufficient system storage", "SmtpTemporaryFailure"),
        # RFC 5321: 552 to RCPT is "too many recipients" in practice, so temporary.
        ("RCPT", "552 5.2.2 Too many recipients", "SmtpTemporaryFailure"),
    ],
)
async def test_temporary_replies_are_transient(
    smtp_server: tuple[ScriptedHandler, int], command: str, reply: str, error_type: str
) -> None:
    handler, port = smtp_server
    handler.replies[command] = reply
    with pytest.raises(TransientChannelError) as caught:
        await make_channel(port).send(LEAD, content())
    assert caught.value.error_type == error_type
    assert reply.split()[0] in str(caught.value)
    assert handler.received == []


@pytest.mark.parametrize(
    ("command", "reply", "error_type"),
    [
        ("RCPT", "550 5.1.1 User unknown", "SmtpRecipientRejected"),
        ("RCPT", "553 5.1.3 Bad recipient address syntax", "SmtpRecipientRejected"),
        ("MAIL", "550 5.7.1 Sender rejected", "SmtpRejected"),
        ("DATA", "554 5.7.1 Message rejected as spam", "SmtpRejected"),
        ("DATA", "552 5.3.4 Message too big", "SmtpRejected"),
    ],
)
async def test_permanent_replies_are_permanent(
    smtp_server: tuple[ScriptedHandler, int], command: str, reply: str, error_type: str
) -> None:
    handler, port = smtp_server
    handler.replies[command] = reply
    with pytest.raises(PermanentChannelError) as caught:
        await make_channel(port).send(LEAD, content())
    assert caught.value.error_type == error_type
    if command != "DATA":
        assert "DATA" not in handler.commands  # refused before the body was sent


async def test_refused_connection_is_transient() -> None:
    with pytest.raises(TransientChannelError) as caught:
        await make_channel(_free_port()).send(LEAD, content())
    assert caught.value.error_type == "SmtpUnreachable"


async def test_slow_server_times_out_as_transient(
    smtp_server: tuple[ScriptedHandler, int],
) -> None:
    handler, port = smtp_server
    handler.delay["RCPT"] = 2.0
    with pytest.raises(TransientChannelError) as caught:
        await make_channel(port, timeout=0.3).send(LEAD, content())
    assert caught.value.error_type == "SmtpTimeout"


async def test_connection_lost_after_the_body_is_not_retried(
    smtp_server: tuple[ScriptedHandler, int],
) -> None:
    """The server may have queued it: a retry could put a second copy in the inbox."""
    handler, port = smtp_server
    handler.drop_on_data = True
    with pytest.raises(OutcomeUnknownChannelError) as caught:
        await make_channel(port).send(LEAD, content())
    assert caught.value.error_type == "SmtpOutcomeUnknown"


async def test_wrong_password_is_permanent() -> None:
    def deny(*_args: object) -> AuthResult:
        return AuthResult(success=False, handled=False)

    handler = ScriptedHandler()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=_free_port(),
        auth_require_tls=False,
        authenticator=deny,
    )
    controller.start()
    try:
        channel = make_channel(controller.port, username="sales", password="wrong")
        with pytest.raises(PermanentChannelError) as caught:
            await channel.send(LEAD, content())
    finally:
        controller.stop()
    assert caught.value.error_type == "SmtpAuthFailed"
    assert handler.received == []


@pytest.mark.parametrize(
    ("overrides", "lead"),
    [
        ({"subject": None}, LEAD),
        ({"subject": "Hi\r\nBcc: victim@example.com"}, LEAD),
        ({"headers": {"X-Injected": "a\r\nBcc: victim@example.com"}}, LEAD),
        ({}, Recipient(lead_id="lead-43", name="No Mail", email="nope")),
    ],
)
async def test_invalid_content_is_refused_before_connecting(
    overrides: dict[str, Any], lead: Recipient
) -> None:
    # Port 9 (discard) is never contacted: these fail while the message is being built.
    with pytest.raises(PermanentChannelError) as caught:
        await make_channel(9).send(lead, content(**overrides))
    assert caught.value.error_type in ("InvalidContent", "InvalidRecipient")
