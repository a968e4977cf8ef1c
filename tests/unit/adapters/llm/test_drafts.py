"""Draft guardrails, and drafting with retry and template fallback through the real openai SDK."""

from __future__ import annotations

import json
from typing import Any

import pytest

from adapters.llm.base import TransientLLMError
from adapters.llm.drafts import (
    Draft,
    DraftRequest,
    OpenAIDrafter,
    TemplateDrafter,
    check_draft,
    draft_with_guardrails,
)
from tests.fakes.openai import FakeOpenAI

MODEL = "gpt-test-mini"
BRIEF = (
    "You are Grace from SalesPad (https://salespad.dev). SalesPad runs outbound sequences as "
    "durable workflows, so no follow-up is ever lost. Proof point: teams cut manual follow-ups "
    "by 30%. Ask for a short call."
)
TEMPLATE = Draft(
    subject="Outbound at Acme Analytics",
    body=(
        "Hi Ada,\n\nSalesPad runs outbound sequences as durable workflows. Open to a call?\n\nGrace"
    ),
)
CLEAN = Draft(
    subject="Follow-ups at Acme Analytics",
    body=(
        "Hi Ada,\n\n"
        "Saw that you lead sales at Acme Analytics. SalesPad runs outbound sequences as durable "
        "workflows, and teams cut manual follow-ups by 30%.\n\n"
        "Worth a 15-minute call next Tuesday? Details: https://salespad.dev\n\n"
        "Best,\nGrace"
    ),
)


def request(**overrides: Any) -> DraftRequest:
    values: dict[str, Any] = {
        "lead": {
            "name": "Ada Lovelace",
            "first_name": "Ada",
            "company": "Acme Analytics",
            "title": "VP Sales",
            "email": "ada@acme-analytics.com",
            "employees": 1200,
        },
        "brief": BRIEF,
        "channel": "email",
        "max_chars": 600,
        "fallback": TEMPLATE,
    }
    values.update(overrides)
    return DraftRequest(**values)


def with_body(body: str, subject: str | None = CLEAN.subject) -> Draft:
    return Draft(subject=subject, body=body)


# --- check_draft ------------------------------------------------------------------------------


def test_a_clean_draft_passes() -> None:
    assert check_draft(CLEAN, request()) == []


def test_facts_from_the_lead_data_pass() -> None:
    draft = with_body(
        "Ada, as VP Sales at Acme Analytics with 1,200 people, you know how follow-ups slip. "
        "Acme's team could try SalesPad. I'm Grace; reply to ada@acme-analytics.com? "
        "No - I'll write again Thursday."
    )
    assert check_draft(draft, request()) == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Teams cut costs by 42% with SalesPad.", "numbers not in the lead data or brief: 42%"),
        ("We saved a team $2M last year.", "numbers not in the lead data or brief: $2M"),
        ("Teams like Globex use SalesPad daily.", "names not in the lead data or brief: Globex"),
        ("Globex uses SalesPad daily.", "names not in the lead data or brief: Globex"),
        ("Our customer Jane Smith loves it.", "names not in the lead data or brief: Jane, Smith"),
        (
            "See https://salespad.dev/case-studies/globex for more.",
            "links not in the lead data or brief: https://salespad.dev/case-studies/globex",
        ),
        ("Have a look at salespad.io today.", "links not in the lead data or brief: salespad.io"),
        (
            "Write to sales@salespad.dev to book.",
            "email addresses not in the lead data or brief: sales@salespad.dev",
        ),
    ],
)
def test_invented_facts_are_caught(body: str, expected: str) -> None:
    problems = check_draft(with_body(f"Hi Ada,\n\n{body}\n\nGrace"), request())
    assert problems == [expected]


def test_names_check_is_english_only_but_numbers_are_always_checked() -> None:
    draft = with_body("Hallo Ada,\n\nUnsere Kunden sparen 42 Stunden pro Woche.\n\nGrace")
    assert check_draft(draft, request(language="de")) == [
        "numbers not in the lead data or brief: 42"
    ]


@pytest.mark.parametrize(
    "placeholder", ["[Name]", "{{ first_name }}", "{company}", "<company>", "TODO", "XXX"]
)
def test_leftover_placeholders_are_caught(placeholder: str) -> None:
    draft = with_body(f"Hi Ada,\n\nHow is {placeholder} handling follow-ups?\n\nGrace")
    problems = check_draft(draft, request())
    assert any(p.startswith("leftover placeholders:") and placeholder in p for p in problems)


def test_placeholder_in_subject_is_caught() -> None:
    problems = check_draft(with_body(CLEAN.body, subject="Quick idea for [Company]"), request())
    assert problems == ["leftover placeholders: [Company]"]


def test_too_long_is_caught() -> None:
    problems = check_draft(CLEAN, request(max_chars=120))
    assert problems == [f"the body is {len(CLEAN.body)} characters; the limit for email is 120"]


def test_first_email_without_subject_is_caught() -> None:
    assert check_draft(with_body(CLEAN.body, subject=None), request()) == [
        "the email has no subject"
    ]


# --- drafting through the SDK -----------------------------------------------------------------


def drafter(fake: FakeOpenAI) -> OpenAIDrafter:
    return OpenAIDrafter(fake.api_key, fake.base_url, MODEL, timeout=5)


def answer(draft: Draft) -> dict[str, Any]:
    return draft.model_dump()


async def test_draft_uses_structured_output(fake_openai: FakeOpenAI) -> None:
    fake_openai.reply_json(answer(CLEAN))

    result = await drafter(fake_openai).draft(request())

    assert result == CLEAN
    call = fake_openai.last_call()
    assert call.model == MODEL
    assert call.response_format is not None
    assert call.response_format["json_schema"]["name"] == "Draft"
    sent = json.loads(call.content_of("user"))
    assert sent["lead"]["company"] == "Acme Analytics"
    assert sent["brief"] == BRIEF
    assert sent["max_chars"] == 600
    assert "problems" not in sent


async def test_clean_first_draft_goes_out(fake_openai: FakeOpenAI) -> None:
    fake_openai.reply_json(answer(CLEAN))

    outcome = await draft_with_guardrails(drafter(fake_openai), request())

    assert outcome.path == "llm"
    assert outcome.draft == CLEAN
    assert len(outcome.attempts) == 1
    assert outcome.attempts[0].raw_output == json.dumps(answer(CLEAN))
    assert outcome.attempts[0].prompt[1]["content"] == fake_openai.last_call().content_of("user")
    assert outcome.fallback_reason is None


async def test_problems_are_fed_back_and_the_retry_can_pass(fake_openai: FakeOpenAI) -> None:
    invented = with_body("Hi Ada,\n\nGlobex cut costs by 42% with SalesPad.\n\nGrace")
    fake_openai.reply_json(answer(invented))
    fake_openai.reply_json(answer(CLEAN))

    outcome = await draft_with_guardrails(drafter(fake_openai), request())

    assert outcome.path == "llm_retry"
    assert outcome.draft == CLEAN
    first, second = outcome.attempts
    assert first.problems == [
        "numbers not in the lead data or brief: 42%",
        "names not in the lead data or brief: Globex",
    ]
    retry = json.loads(fake_openai.calls()[1].content_of("user"))
    assert retry["problems"] == first.problems
    assert retry["previous_draft"] == answer(invented)
    assert second.problems == []


async def test_two_bad_drafts_fall_back_to_the_template(fake_openai: FakeOpenAI) -> None:
    fake_openai.reply_json(answer(with_body("Hi [Name], quick one.")))
    fake_openai.reply_json(answer(with_body("Hi Ada, " + "very " * 200 + "long.")))

    outcome = await draft_with_guardrails(drafter(fake_openai), request())

    assert outcome.path == "template"
    assert outcome.draft == TEMPLATE
    assert [a.path for a in outcome.attempts] == ["llm", "llm_retry"]
    assert outcome.attempts[0].problems == ["leftover placeholders: [Name]"]
    assert outcome.attempts[1].problems[0].startswith("the body is 1013 characters")
    assert outcome.fallback_reason is not None
    assert "after a retry" in outcome.fallback_reason
    assert len(fake_openai.calls()) == 2


async def test_malformed_output_uses_up_an_attempt(fake_openai: FakeOpenAI) -> None:
    fake_openai.reply_content('{"subject": "Hi", "bo')
    fake_openai.reply_json(answer(CLEAN))

    outcome = await draft_with_guardrails(drafter(fake_openai), request())

    assert outcome.path == "llm_retry"
    assert outcome.attempts[0].error is not None
    assert outcome.attempts[0].error.startswith("LLMMalformedOutput")


async def test_refusal_falls_back_at_once(fake_openai: FakeOpenAI) -> None:
    fake_openai.refuse()

    outcome = await draft_with_guardrails(drafter(fake_openai), request())

    assert outcome.path == "template"
    assert outcome.draft == TEMPLATE
    assert outcome.fallback_reason is not None
    assert "LLMRefusal" in outcome.fallback_reason
    assert len(fake_openai.calls()) == 1


async def test_rate_limit_is_raised_for_temporal_unless_told_to_fall_back(
    fake_openai: FakeOpenAI,
) -> None:
    fake_openai.fail(429, retry_after="9")
    with pytest.raises(TransientLLMError) as err:
        await draft_with_guardrails(drafter(fake_openai), request())
    assert err.value.retry_after is not None and err.value.retry_after.total_seconds() == 9

    fake_openai.fail(429, retry_after="9")
    outcome = await draft_with_guardrails(
        drafter(fake_openai), request(), fallback_on_transient=True
    )
    assert outcome.path == "template"
    assert outcome.fallback_reason is not None and "LLMRateLimited" in outcome.fallback_reason


async def test_subject_is_dropped_outside_email(fake_openai: FakeOpenAI) -> None:
    sms = with_body("Hi Ada, Grace from SalesPad. Open to a short call?")
    fake_openai.reply_json(answer(sms))

    outcome = await draft_with_guardrails(
        drafter(fake_openai),
        request(channel="sms", max_chars=160, fallback=Draft(subject=None, body="Hi Ada")),
    )

    assert outcome.path == "llm"
    assert outcome.draft.subject is None


async def test_template_drafter_returns_the_rendered_template(fake_openai: FakeOpenAI) -> None:
    outcome = await draft_with_guardrails(TemplateDrafter(), request())

    assert outcome.path == "template"
    assert outcome.draft == TEMPLATE
    assert outcome.fallback_reason == "offline: no OPENAI_API_KEY"
    assert outcome.attempts == []
    assert await TemplateDrafter().draft(request()) == TEMPLATE
    assert fake_openai.calls() == []
