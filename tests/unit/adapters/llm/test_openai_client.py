"""OpenAIClassifier through the real openai SDK against a local fake OpenAI-compatible server."""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest

from adapters.llm.base import PermanentLLMError, TransientLLMError
from adapters.llm.openai_client import OpenAIClassifier
from adapters.llm.types import Intent, Referral, ReplyInput
from tests.fakes.http_server import ScriptedResponse
from tests.fakes.openai import FakeOpenAI

MODEL = "gpt-test-mini"
# Sunday 23:30 UTC is already Monday in Berlin: the model must be told the lead's day.
SENT = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
OUR_MESSAGE = "Hi Tom, are you the right person to talk to about outbound at Acme?"
THREAD = (
    "Sounds good, let's talk. Does Thursday work?\n\n"
    "--\nTom Baker | Head of Sales\n\n"
    "On Mon, Mar 2, 2026 at 9:14 AM Anna Becker <anna@salespad.dev> wrote:\n"
    "> Hi Tom,\n> are you the right person?\n"
    '> Not interested? Reply "unsubscribe" and I won\'t email again.'
)


def classifier(fake: FakeOpenAI, **kwargs: Any) -> OpenAIClassifier:
    kwargs.setdefault("timeout", 5)
    return OpenAIClassifier(fake.api_key, fake.base_url, MODEL, **kwargs)


def reply(text: str = THREAD, **kwargs: Any) -> ReplyInput:
    values: dict[str, Any] = {
        "subject": "Re: Quick question",
        "sent_at": SENT,
        "timezone": "Europe/Berlin",
        "last_outbound": OUR_MESSAGE,
    }
    values.update(kwargs)
    return ReplyInput(text=text, **values)


def verdict(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "reason": "'let's talk'",
        "intent": "interested",
        "confidence": 0.92,
        "return_date": None,
        "referral_name": None,
        "referral_email": None,
    }
    values.update(overrides)
    return values


# --- the request ------------------------------------------------------------------------------


async def test_request_carries_the_stripped_reply_context_and_model(
    fake_openai: FakeOpenAI,
) -> None:
    fake_openai.reply_json(verdict())
    headers = {
        "Auto-Submitted": "no",
        "DKIM-Signature": "v=1; a=rsa-sha256",
        "From": "tom@acme.com",
    }

    await classifier(fake_openai).classify(reply(headers=headers))

    call = fake_openai.last_call()
    assert call.model == MODEL
    assert call.authorization == f"Bearer {fake_openai.api_key}"
    assert [m["role"] for m in call.messages] == ["system", "user"]
    sent = json.loads(call.content_of("user"))
    assert sent["reply"] == "Sounds good, let's talk. Does Thursday work?"
    assert "unsubscribe" not in call.content_of("user").replace(OUR_MESSAGE, "")
    assert sent["subject"] == "Re: Quick question"
    assert sent["headers"] == {"auto-submitted": "no", "from": "tom@acme.com"}
    assert sent["message_date"] == "2026-03-02"
    assert sent["message_weekday"] == "Monday"
    assert sent["lead_timezone"] == "Europe/Berlin"
    assert sent["our_last_message"] == OUR_MESSAGE


async def test_request_asks_for_strict_structured_output(fake_openai: FakeOpenAI) -> None:
    fake_openai.reply_json(verdict())

    await classifier(fake_openai).classify(reply())

    fmt = fake_openai.last_call().response_format
    assert fmt is not None and fmt["type"] == "json_schema"
    assert fmt["json_schema"]["strict"] is True
    schema = fake_openai.last_call().schema
    assert set(schema["required"]) == set(verdict())
    assert schema["additionalProperties"] is False
    assert set(schema["$defs"]["Intent"]["enum"]) == {i.value for i in Intent}


# --- the answer -------------------------------------------------------------------------------


async def test_structured_output_becomes_a_classification(fake_openai: FakeOpenAI) -> None:
    fake_openai.reply_json(
        verdict(
            intent="out_of_office",
            confidence=0.95,
            return_date="2026-03-16",
            referral_name="Mark Chen",
            referral_email="mark.chen@acme.com",
            reason="'out of office until Friday 13 March'",
        )
    )
    text = "Out of office until Friday 13 March. Urgent: Mark Chen, mark.chen@acme.com"

    result = await classifier(fake_openai).classify(reply(text))

    assert result.source == "llm"
    assert result.intent is Intent.OUT_OF_OFFICE
    assert result.confidence == pytest.approx(0.95)
    assert result.return_date == date(2026, 3, 16)
    assert result.referral == Referral(name="Mark Chen", email="mark.chen@acme.com")
    assert result.reason == "'out of office until Friday 13 March'"


async def test_low_confidence_becomes_other(fake_openai: FakeOpenAI) -> None:
    fake_openai.reply_json(verdict(intent="interested", confidence=0.4))

    result = await classifier(fake_openai).classify(reply("ok"))

    assert result.intent is Intent.OTHER
    assert "low confidence (0.40) for interested" in result.reason


async def test_confidence_in_percent_is_read_as_a_probability(fake_openai: FakeOpenAI) -> None:
    fake_openai.reply_json(verdict(confidence=85))

    result = await classifier(fake_openai).classify(reply())

    assert result.confidence == pytest.approx(0.85)
    assert result.intent is Intent.INTERESTED


async def test_made_up_contacts_and_impossible_dates_are_dropped(fake_openai: FakeOpenAI) -> None:
    fake_openai.reply_json(
        verdict(
            intent="out_of_office",
            return_date="2025-03-16",
            referral_name="Mark Chen",
            referral_email="mark@acme.com",
        )
    )

    result = await classifier(fake_openai).classify(
        reply("Out of office, back soon. Ask Mark Chen.")
    )

    assert result.intent is Intent.OUT_OF_OFFICE
    assert result.return_date is None
    assert result.referral == Referral(name="Mark Chen", email=None)
    assert "'2025-03-16' dropped" in result.reason
    assert "'mark@acme.com' is not in the reply" in result.reason


async def test_return_date_only_counts_for_out_of_office(fake_openai: FakeOpenAI) -> None:
    fake_openai.reply_json(verdict(return_date="2026-03-16", referral_email="x@acme.com"))

    result = await classifier(fake_openai).classify(reply("Yes! Write to x@acme.com"))

    assert result.return_date is None
    assert result.referral is None


# --- errors -----------------------------------------------------------------------------------


async def test_rate_limit_is_transient_with_retry_after(fake_openai: FakeOpenAI) -> None:
    fake_openai.fail(429, "Rate limit reached for requests", retry_after="7")

    with pytest.raises(TransientLLMError) as err:
        await classifier(fake_openai).classify(reply())

    assert err.value.error_type == "LLMRateLimited"
    assert err.value.retry_after == timedelta(seconds=7)
    assert "Rate limit reached" in str(err.value)
    assert len(fake_openai.calls()) == 1, "the SDK must not retry: Temporal does"


async def test_retry_after_ms_wins(fake_openai: FakeOpenAI) -> None:
    fake_openai.fail(429, retry_after="2", retry_after_ms="1500")

    with pytest.raises(TransientLLMError) as err:
        await classifier(fake_openai).classify(reply())

    assert err.value.retry_after == timedelta(milliseconds=1500)


async def test_retry_after_as_http_date(fake_openai: FakeOpenAI) -> None:
    later = datetime.now(UTC) + timedelta(seconds=40)
    fake_openai.fail(429, retry_after=format_datetime(later, usegmt=True))

    with pytest.raises(TransientLLMError) as err:
        await classifier(fake_openai).classify(reply())

    assert err.value.retry_after is not None
    assert timedelta(seconds=35) <= err.value.retry_after <= timedelta(seconds=41)


async def test_exhausted_quota_is_permanent(fake_openai: FakeOpenAI) -> None:
    fake_openai.fail(429, "You exceeded your current quota", code="insufficient_quota")

    with pytest.raises(PermanentLLMError) as err:
        await classifier(fake_openai).classify(reply())

    assert err.value.error_type == "LLMQuotaExceeded"


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_errors_are_transient(fake_openai: FakeOpenAI, status: int) -> None:
    fake_openai.fail(status, "The server had an error", retry_after="3" if status == 503 else None)

    with pytest.raises(TransientLLMError) as err:
        await classifier(fake_openai).classify(reply())

    assert err.value.error_type == "LLMUnavailable"
    assert err.value.retry_after == (timedelta(seconds=3) if status == 503 else None)
    assert len(fake_openai.calls()) == 1


async def test_wrong_key_is_permanent(fake_openai: FakeOpenAI) -> None:
    wrong = OpenAIClassifier("sk-wrong", fake_openai.base_url, MODEL, timeout=5)

    with pytest.raises(PermanentLLMError) as err:
        await wrong.classify(reply())

    assert err.value.error_type == "LLMUnauthorized"
    assert "Incorrect API key" in str(err.value)


@pytest.mark.parametrize(
    ("status", "error_type"),
    [(400, "LLMBadRequest"), (403, "LLMForbidden"), (404, "LLMNotFound"), (422, "LLMBadRequest")],
)
async def test_client_errors_are_permanent(
    fake_openai: FakeOpenAI, status: int, error_type: str
) -> None:
    fake_openai.fail(status, "nope")

    with pytest.raises(PermanentLLMError) as err:
        await classifier(fake_openai).classify(reply())

    assert err.value.error_type == error_type


async def test_timeout_is_transient(fake_openai: FakeOpenAI) -> None:
    fake_openai.fail(500, latency=2)

    started = time.monotonic()
    with pytest.raises(TransientLLMError) as err:
        await classifier(fake_openai, timeout=0.3).classify(reply())

    assert err.value.error_type == "LLMTimeout"
    assert time.monotonic() - started < 1.5


async def test_connection_refused_is_transient(refused_url: str) -> None:
    unreachable = OpenAIClassifier("sk-test", refused_url, MODEL, timeout=2)

    with pytest.raises(TransientLLMError) as err:
        await unreachable.classify(reply())

    assert err.value.error_type == "LLMConnection"


@pytest.mark.parametrize(
    "content",
    [
        '{"reason": "cut off", "intent": "interes',
        "Sure! The intent is interested.",
        json.dumps(verdict(intent="enthusiastic")),
        json.dumps(verdict(confidence="very")),
    ],
    ids=["truncated-json", "prose", "unknown-intent", "wrong-type"],
)
async def test_malformed_output_is_transient(fake_openai: FakeOpenAI, content: str) -> None:
    fake_openai.reply_content(content)

    with pytest.raises(TransientLLMError) as err:
        await classifier(fake_openai).classify(reply())

    assert err.value.error_type == "LLMMalformedOutput"
    assert err.value.retry_after is None


async def test_length_cut_output_is_malformed(fake_openai: FakeOpenAI) -> None:
    fake_openai.reply_content('{"reason": "', finish_reason="length")

    with pytest.raises(TransientLLMError) as err:
        await classifier(fake_openai).classify(reply())

    assert err.value.error_type == "LLMMalformedOutput"


async def test_a_body_that_is_not_a_completion_is_malformed(fake_openai: FakeOpenAI) -> None:
    # An OpenAI-"compatible" proxy answering 200 with an HTML error page.
    fake_openai.enqueue(ScriptedResponse(200, body="<html>upstream error</html>"))

    with pytest.raises(TransientLLMError) as err:
        await classifier(fake_openai).classify(reply())

    assert err.value.error_type == "LLMMalformedOutput"


async def test_refusal_is_permanent(fake_openai: FakeOpenAI) -> None:
    fake_openai.refuse("I can't help with classifying this message.")

    with pytest.raises(PermanentLLMError) as err:
        await classifier(fake_openai).classify(reply())

    assert err.value.error_type == "LLMRefusal"
    assert "can't help" in str(err.value)


async def test_content_filter_is_permanent(fake_openai: FakeOpenAI) -> None:
    fake_openai.reply_content(json.dumps(verdict()), finish_reason="content_filter")

    with pytest.raises(PermanentLLMError) as err:
        await classifier(fake_openai).classify(reply())

    assert err.value.error_type == "LLMContentFilter"
