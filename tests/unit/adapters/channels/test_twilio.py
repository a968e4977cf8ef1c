"""TwilioChannel against a local fake Twilio, through the real twilio SDK."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

import pytest

from adapters.channels.base import (
    OutboundContent,
    OutcomeUnknownChannelError,
    OutreachChannel,
    PermanentChannelError,
    Recipient,
    TransientChannelError,
    WhatsAppTemplate,
)
from adapters.channels.twilio import TwilioChannel
from tests.fakes.http_server import ScriptedResponse
from tests.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio
from tests.unit.adapters.channels.conftest import DropAfterRequest

LEAD = Recipient(lead_id="lead-42", name="Ada Lovelace", phone="+1 (415) 555-2671")
FROM = "+14155550123"
MESSAGES_PATH = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
TEMPLATE = WhatsAppTemplate(content_sid="HX" + "a" * 32, variables={"1": "Ada"})


def make_channel(
    url: str,
    channel: Literal["sms", "whatsapp"] = "sms",
    *,
    auth_token: str = AUTH_TOKEN,
    from_number: str = FROM,
    timeout: float = 15.0,
) -> TwilioChannel:
    return TwilioChannel(
        account_sid=ACCOUNT_SID,
        auth_token=auth_token,
        from_number=from_number,
        channel=channel,
        base_url=url,
        status_callback="https://app.example.com/webhooks/twilio/status",
        timeout=timeout,
    )


def content(template: WhatsAppTemplate | None = None) -> OutboundContent:
    return OutboundContent(
        body="Hi Ada, quick question about looms?",
        idempotency_key="enr-7:step-3",
        step=3,
        whatsapp_template=template,
    )


async def test_is_an_outreach_channel(fake_twilio: FakeTwilio) -> None:
    assert isinstance(make_channel(fake_twilio.url), OutreachChannel)


async def test_sms_request_shape(fake_twilio: FakeTwilio) -> None:
    result = await make_channel(fake_twilio.url).send(LEAD, content())

    assert result.provider == "twilio"
    assert result.provider_message_id == fake_twilio.message_sids[0]
    assert result.provider_message_id.startswith("SM")
    assert result.detail == "queued"
    [request] = fake_twilio.message_creates()
    assert request.path == MESSAGES_PATH
    assert request.headers["Authorization"].startswith("Basic ")
    assert request.form == {
        "To": ["+14155552671"],
        "From": [FROM],
        "Body": ["Hi Ada, quick question about looms?"],
        "StatusCallback": ["https://app.example.com/webhooks/twilio/status"],
    }


async def test_whatsapp_addressing(fake_twilio: FakeTwilio) -> None:
    channel = make_channel(fake_twilio.url, "whatsapp", from_number="whatsapp:+14155550123")
    await channel.send(LEAD, content())
    [request] = fake_twilio.message_creates()
    assert request.form_value("To") == "whatsapp:+14155552671"
    assert request.form_value("From") == "whatsapp:+14155550123"
    assert request.form_value("ContentSid") is None


async def test_messaging_service_sender(fake_twilio: FakeTwilio) -> None:
    service = "MG" + "b" * 32
    result = await make_channel(fake_twilio.url, from_number=service).send(LEAD, content())
    [request] = fake_twilio.message_creates()
    assert request.form_value("MessagingServiceSid") == service
    assert request.form_value("From") is None
    assert result.detail == "accepted"


async def test_opted_out_is_permanent(fake_twilio: FakeTwilio) -> None:
    fake_twilio.fail_next(21610, "Attempt to send to unsubscribed recipient")
    with pytest.raises(PermanentChannelError) as caught:
        await make_channel(fake_twilio.url).send(LEAD, content())
    assert caught.value.error_type == "RecipientOptedOut"
    assert "unsubscribed recipient" in str(caught.value)
    assert len(fake_twilio.message_creates()) == 1


async def test_problem_details_errors_are_classified_too(fake_twilio: FakeTwilio) -> None:
    # Newer Twilio APIs answer RFC 9457 bodies, which the SDK raises as TwilioServiceException.
    fake_twilio.enqueue(
        ScriptedResponse(
            status=400,
            body={
                "type": "https://www.twilio.com/docs/errors/21610",
                "title": "Attempt to send to unsubscribed recipient",
                "status": 400,
                "code": 21610,
            },
        )
    )
    with pytest.raises(PermanentChannelError) as caught:
        await make_channel(fake_twilio.url).send(LEAD, content())
    assert caught.value.error_type == "RecipientOptedOut"


async def test_outside_whatsapp_window_without_template(fake_twilio: FakeTwilio) -> None:
    fake_twilio.fail_next(63016, "Failed to send freeform message outside the window")
    with pytest.raises(PermanentChannelError) as caught:
        await make_channel(fake_twilio.url, "whatsapp").send(LEAD, content())
    assert caught.value.error_type == "WhatsAppOutsideWindow"
    assert len(fake_twilio.message_creates()) == 1


async def test_outside_whatsapp_window_resends_template(fake_twilio: FakeTwilio) -> None:
    fake_twilio.fail_next(63016, "Failed to send freeform message outside the window")

    result = await make_channel(fake_twilio.url, "whatsapp").send(LEAD, content(TEMPLATE))

    first, second = fake_twilio.message_creates()
    assert first.form_value("Body") == "Hi Ada, quick question about looms?"
    assert first.form_value("ContentSid") is None
    assert second.form_value("ContentSid") == "HX" + "a" * 32
    assert second.form_value("ContentVariables") == '{"1": "Ada"}'
    assert second.form_value("Body") is None
    assert second.form_value("To") == "whatsapp:+14155552671"
    assert result.provider_message_id == fake_twilio.message_sids[0]
    assert b"X-SalesPad" not in first.body + second.body


async def test_template_resend_happens_once(fake_twilio: FakeTwilio) -> None:
    fake_twilio.fail_next(63016, "outside the window")
    fake_twilio.fail_next(63016, "outside the window")
    with pytest.raises(PermanentChannelError) as caught:
        await make_channel(fake_twilio.url, "whatsapp").send(LEAD, content(TEMPLATE))
    assert caught.value.error_type == "WhatsAppOutsideWindow"
    assert len(fake_twilio.message_creates()) == 2


async def test_other_errors_do_not_trigger_template_resend(fake_twilio: FakeTwilio) -> None:
    fake_twilio.fail_next(21610, "unsubscribed")
    with pytest.raises(PermanentChannelError):
        await make_channel(fake_twilio.url, "whatsapp").send(LEAD, content(TEMPLATE))
    assert len(fake_twilio.message_creates()) == 1


async def test_429_is_transient_with_retry_after(fake_twilio: FakeTwilio) -> None:
    fake_twilio.fail_next(20429, "Too Many Requests", status=429, retry_after="12")
    with pytest.raises(TransientChannelError) as caught:
        await make_channel(fake_twilio.url).send(LEAD, content())
    assert caught.value.error_type == "TwilioRateLimited"
    assert caught.value.retry_after == timedelta(seconds=12)


@pytest.mark.parametrize("status", [500, 503])
async def test_5xx_is_transient(fake_twilio: FakeTwilio, status: int) -> None:
    fake_twilio.fail_next(20500, "Internal Server Error", status=status)
    with pytest.raises(TransientChannelError) as caught:
        await make_channel(fake_twilio.url).send(LEAD, content())
    assert caught.value.error_type == "TwilioUnavailable"
    assert caught.value.retry_after is None


@pytest.mark.parametrize(
    ("code", "error_type"),
    [(21211, "InvalidRecipient"), (21614, "InvalidRecipient"), (21602, "TwilioRejected")],
)
async def test_4xx_is_permanent(fake_twilio: FakeTwilio, code: int, error_type: str) -> None:
    fake_twilio.fail_next(code, "rejected by the fake")
    with pytest.raises(PermanentChannelError) as caught:
        await make_channel(fake_twilio.url).send(LEAD, content())
    assert caught.value.error_type == error_type
    assert str(code) in str(caught.value)


async def test_bad_credentials_are_permanent(fake_twilio: FakeTwilio) -> None:
    with pytest.raises(PermanentChannelError) as caught:
        await make_channel(fake_twilio.url, auth_token="wrong").send(LEAD, content())
    assert caught.value.error_type == "TwilioUnauthorized"


async def test_connection_refused_is_transient(refused_url: str) -> None:
    with pytest.raises(TransientChannelError) as caught:
        await make_channel(refused_url).send(LEAD, content())
    assert caught.value.error_type == "TwilioUnreachable"


async def test_timeout_after_sending_is_an_unknown_outcome(fake_twilio: FakeTwilio) -> None:
    """Twilio may have queued it: a retry could send twice, so ops decide."""
    fake_twilio.enqueue(ScriptedResponse(status=201, body={}, latency=3.0))
    with pytest.raises(OutcomeUnknownChannelError) as caught:
        await make_channel(fake_twilio.url, timeout=0.3).send(LEAD, content())
    assert caught.value.error_type == "TwilioTimeout"


@pytest.mark.parametrize(
    ("phone", "valid"),
    [
        ("+14155552671", True),
        ("+1 415-555-2671", True),
        ("whatsapp:+4915112345678", True),
        ("4155552671", False),  # no country code: E.164 needs one
        ("+1234", False),
        ("+447700900123", False),  # well-formed but not an assigned range
        ("call me maybe", False),
        (None, False),
    ],
)
async def test_validate_recipient(fake_twilio: FakeTwilio, phone: str | None, valid: bool) -> None:
    lead = Recipient(lead_id="lead-1", name="X", phone=phone)
    assert make_channel(fake_twilio.url).validate_recipient(lead) is valid


async def test_invalid_number_is_refused_before_calling_twilio(fake_twilio: FakeTwilio) -> None:
    lead = Recipient(lead_id="lead-1", name="X", phone="555-2671")
    with pytest.raises(PermanentChannelError) as caught:
        await make_channel(fake_twilio.url).send(lead, content())
    assert caught.value.error_type == "InvalidRecipient"
    assert fake_twilio.requests == []


async def test_template_without_variables_sends_none(fake_twilio: FakeTwilio) -> None:
    """What the send step passes (a step names only its content SID): no ContentVariables."""
    fake_twilio.fail_next(63016, "outside the window")
    template = WhatsAppTemplate(content_sid="HX" + "b" * 32)

    await make_channel(fake_twilio.url, "whatsapp").send(LEAD, content(template))

    _, second = fake_twilio.message_creates()
    assert second.form_value("ContentSid") == "HX" + "b" * 32
    assert second.form_value("ContentVariables") is None


async def test_a_connection_dropped_after_the_request_is_an_unknown_outcome(
    drops_after_request: DropAfterRequest,
) -> None:
    """Closed or reset once the request is out: Twilio may have queued the message."""
    with pytest.raises(OutcomeUnknownChannelError) as caught:
        await make_channel(drops_after_request.url).send(LEAD, content())
    assert caught.value.error_type == "TwilioConnectionLost"
    assert drops_after_request.requests == 1
