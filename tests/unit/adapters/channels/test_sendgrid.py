"""SendGridChannel against a local fake SendGrid, through the real sendgrid SDK."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from adapters.channels.base import (
    OutboundContent,
    OutcomeUnknownChannelError,
    OutreachChannel,
    PermanentChannelError,
    Recipient,
    TransientChannelError,
)
from adapters.channels.email import message_id_for
from adapters.channels.sendgrid import SendGridChannel
from tests.fakes.http_server import ScriptedResponse
from tests.fakes.sendgrid import FakeSendGrid
from tests.unit.adapters.channels.conftest import DropAfterRequest

LEAD = Recipient(lead_id="lead-42", name="Ada Lovelace", email="ada@example.com")
UNSUB = "https://app.example.com/u/{token}"


def make_channel(url: str, api_key: str = "SG.test-key", **kwargs: object) -> SendGridChannel:
    return SendGridChannel(
        api_key=api_key,
        from_email="sales@example.com",
        from_name="Grace at SalesPad",
        api_host=url,
        **kwargs,  # type: ignore[arg-type]
    )


def content(**overrides: object) -> OutboundContent:
    values: dict[str, object] = {
        "body": "Hi Ada,\n\nQuick question about <engines> & looms.\nThanks",
        "subject": "Analytical engines",
        "idempotency_key": "enr-7:step-1",
        "step": 1,
        "headers": {"X-Campaign": "q3"},
        "unsubscribe_token": "tok/42",
    }
    values.update(overrides)
    return OutboundContent(**values)  # type: ignore[arg-type]


async def test_is_an_outreach_channel(fake_sendgrid: FakeSendGrid) -> None:
    assert isinstance(make_channel(fake_sendgrid.url), OutreachChannel)


async def test_first_email_request_shape(fake_sendgrid: FakeSendGrid) -> None:
    channel = make_channel(fake_sendgrid.url, unsubscribe_url_template=UNSUB)

    result = await channel.send(LEAD, content())

    assert result.provider == "sendgrid"
    assert result.accepted
    assert result.provider_message_id == fake_sendgrid.message_ids[0]
    [request] = fake_sendgrid.mail_sends()
    assert request.method == "POST"
    assert request.headers["Authorization"] == "Bearer SG.test-key"
    body = request.json
    assert body["from"] == {"email": "sales@example.com", "name": "Grace at SalesPad"}
    assert body["subject"] == "Analytical engines"
    [personalization] = body["personalizations"]
    assert personalization["to"] == [{"email": "ada@example.com", "name": "Ada Lovelace"}]
    assert personalization["custom_args"] == {
        "lead_id": "lead-42",
        "step": "1",
        "idempotency_key": "enr-7:step-1",
    }
    assert [c["type"] for c in body["content"]] == ["text/plain", "text/html"]
    assert body["content"][0]["value"] == content().body
    html = body["content"][1]["value"]
    assert "&lt;engines&gt; &amp; looms." in html
    assert "<engines>" not in html
    assert "<p>Hi Ada,</p>" in html
    headers = body["headers"]
    assert headers["Message-ID"] == message_id_for("enr-7:step-1")
    assert headers["List-Unsubscribe"] == "<https://app.example.com/u/tok%2F42>"
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert headers["X-Campaign"] == "q3"
    assert "In-Reply-To" not in headers and "References" not in headers
    assert b"X-SalesPad-Unsubscribe-Token" not in request.body
    assert b"tok/42" not in request.body


async def test_html_body_is_used_as_given(fake_sendgrid: FakeSendGrid) -> None:
    channel = make_channel(fake_sendgrid.url)
    await channel.send(LEAD, content(html="<p>Hand <b>written</b></p>"))
    [request] = fake_sendgrid.mail_sends()
    assert request.json["content"][1] == {
        "type": "text/html",
        "value": "<p>Hand <b>written</b></p>",
    }


async def test_follow_up_carries_threading_headers(fake_sendgrid: FakeSendGrid) -> None:
    channel = make_channel(fake_sendgrid.url)
    first_id = message_id_for("enr-7:step-1")

    await channel.send(
        LEAD, content(idempotency_key="enr-7:step-2", step=2, in_reply_to=first_id.strip("<>"))
    )

    headers = fake_sendgrid.mail_sends()[0].json["headers"]
    assert headers["In-Reply-To"] == first_id
    assert headers["References"] == first_id
    assert headers["Message-ID"] == message_id_for("enr-7:step-2") != first_id


async def test_retry_reuses_message_id(fake_sendgrid: FakeSendGrid) -> None:
    channel = make_channel(fake_sendgrid.url)
    fake_sendgrid.fail_next(503, "try later")
    with pytest.raises(TransientChannelError):
        await channel.send(LEAD, content())
    await channel.send(LEAD, content())
    first, second = fake_sendgrid.mail_sends()
    assert first.json["headers"]["Message-ID"] == second.json["headers"]["Message-ID"]


async def test_no_unsubscribe_header_without_template(fake_sendgrid: FakeSendGrid) -> None:
    await make_channel(fake_sendgrid.url).send(LEAD, content())
    [request] = fake_sendgrid.mail_sends()
    assert "List-Unsubscribe" not in request.json["headers"]
    assert b"X-SalesPad-Unsubscribe-Token" not in request.body


async def test_429_is_transient_with_retry_after_seconds(fake_sendgrid: FakeSendGrid) -> None:
    fake_sendgrid.fail_next(429, "too many requests", retry_after="30")
    with pytest.raises(TransientChannelError) as caught:
        await make_channel(fake_sendgrid.url).send(LEAD, content())
    assert caught.value.error_type == "SendGridRateLimited"
    assert caught.value.retry_after == timedelta(seconds=30)


async def test_503_with_http_date_retry_after(fake_sendgrid: FakeSendGrid) -> None:
    when = datetime.now(UTC) + timedelta(seconds=120)
    fake_sendgrid.fail_next(503, "maintenance", retry_after=format_datetime(when, usegmt=True))
    with pytest.raises(TransientChannelError) as caught:
        await make_channel(fake_sendgrid.url).send(LEAD, content())
    assert caught.value.retry_after is not None
    assert timedelta(seconds=100) < caught.value.retry_after <= timedelta(seconds=120)


@pytest.mark.parametrize("status", [500, 502])
async def test_5xx_is_transient(fake_sendgrid: FakeSendGrid, status: int) -> None:
    fake_sendgrid.fail_next(status, "internal error")
    with pytest.raises(TransientChannelError) as caught:
        await make_channel(fake_sendgrid.url).send(LEAD, content())
    assert caught.value.error_type == "SendGridUnavailable"
    assert caught.value.retry_after is None
    assert "internal error" in str(caught.value)


@pytest.mark.parametrize(
    ("status", "error_type"),
    [
        (400, "SendGridBadRequest"),
        (401, "SendGridUnauthorized"),
        (403, "SendGridForbidden"),
        (413, "SendGridPayloadTooLarge"),
        (422, "SendGridRejected"),
    ],
)
async def test_4xx_is_permanent(fake_sendgrid: FakeSendGrid, status: int, error_type: str) -> None:
    fake_sendgrid.fail_next(status, "does not contain a valid address", field="from.email")
    with pytest.raises(PermanentChannelError) as caught:
        await make_channel(fake_sendgrid.url).send(LEAD, content())
    assert caught.value.error_type == error_type
    assert f"HTTP {status}" in str(caught.value)
    assert "from.email: does not contain a valid address" in str(caught.value)


async def test_wrong_api_key_is_rejected_by_the_fake(fake_sendgrid: FakeSendGrid) -> None:
    with pytest.raises(PermanentChannelError) as caught:
        await make_channel(fake_sendgrid.url, api_key="SG.wrong").send(LEAD, content())
    assert caught.value.error_type == "SendGridUnauthorized"
    assert "authorization grant is invalid" in str(caught.value)


async def test_connection_refused_is_transient(refused_url: str) -> None:
    with pytest.raises(TransientChannelError) as caught:
        await make_channel(refused_url).send(LEAD, content())
    assert caught.value.error_type == "SendGridUnreachable"


async def test_timeout_after_sending_is_an_unknown_outcome(fake_sendgrid: FakeSendGrid) -> None:
    """SendGrid may have accepted it: a retry could send twice, so ops decide."""
    fake_sendgrid.enqueue(ScriptedResponse(status=202, latency=3.0))
    channel = make_channel(fake_sendgrid.url, timeout=0.3)
    with pytest.raises(OutcomeUnknownChannelError) as caught:
        await channel.send(LEAD, content())
    assert caught.value.error_type == "SendGridTimeout"


async def test_send_does_not_block_the_event_loop(fake_sendgrid: FakeSendGrid) -> None:
    fake_sendgrid.enqueue(
        ScriptedResponse(status=202, headers={"X-Message-Id": "slow"}, latency=0.5)
    )
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.02)
            ticks += 1

    task = asyncio.create_task(ticker())
    started = time.monotonic()
    result = await make_channel(fake_sendgrid.url).send(LEAD, content())
    task.cancel()
    assert result.provider_message_id == "slow"
    assert time.monotonic() - started >= 0.5
    assert ticks >= 10


@pytest.mark.parametrize(
    "email", [None, "", "not-an-email", "ada@", "ada@example.com\r\nBcc: x@y.com"]
)
async def test_invalid_recipient(fake_sendgrid: FakeSendGrid, email: str | None) -> None:
    channel = make_channel(fake_sendgrid.url)
    lead = Recipient(lead_id="lead-1", name="X", email=email)
    assert channel.validate_recipient(lead) is False
    with pytest.raises(PermanentChannelError) as caught:
        await channel.send(lead, content())
    assert caught.value.error_type == "InvalidRecipient"
    assert fake_sendgrid.requests == []


async def test_valid_recipient(fake_sendgrid: FakeSendGrid) -> None:
    assert make_channel(fake_sendgrid.url).validate_recipient(LEAD) is True


async def test_header_injection_is_refused(fake_sendgrid: FakeSendGrid) -> None:
    with pytest.raises(PermanentChannelError) as caught:
        await make_channel(fake_sendgrid.url).send(
            LEAD, content(headers={"X-Campaign": "q3\r\nBcc: evil@example.com"})
        )
    assert caught.value.error_type == "InvalidContent"
    assert fake_sendgrid.requests == []


async def test_missing_subject_is_permanent(fake_sendgrid: FakeSendGrid) -> None:
    with pytest.raises(PermanentChannelError):
        await make_channel(fake_sendgrid.url).send(LEAD, content(subject=None))
    assert fake_sendgrid.requests == []


def test_unsubscribe_template_needs_token_placeholder() -> None:
    with pytest.raises(ValueError):
        make_channel("http://127.0.0.1:1", unsubscribe_url_template="https://x.example/u")


async def test_a_connection_dropped_after_the_request_is_an_unknown_outcome(
    drops_after_request: DropAfterRequest,
) -> None:
    """Closed or reset once the request is out: SendGrid may have accepted it."""
    with pytest.raises(OutcomeUnknownChannelError) as caught:
        await make_channel(drops_after_request.url).send(LEAD, content())
    assert caught.value.error_type == "SendGridConnectionLost"
    assert drops_after_request.requests == 1
