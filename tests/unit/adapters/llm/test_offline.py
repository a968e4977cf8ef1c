"""The offline classifier against its evaluation set, plus the rules the set cannot show alone.

About the accuracy floor: the classifier's tables were tuned on this set, so the set score is
optimistic. Two batches written before being run (42 and 31 replies, ids "-h-" and "-x-") scored
57% and 65% before their misses were fixed, and nearly every miss was `other` (a human looks),
not a wrong intent. The floor below guards against regressions; it is not a claim about new mail.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from adapters.llm.offline import CONFIDENCE_THRESHOLD, OfflineClassifier
from adapters.llm.types import Intent, ReplyClassification, ReplyInput

EVAL_PATH = Path(__file__).with_name("eval_replies.jsonl")
MIN_ACCURACY = 0.97
LANGS = ("en", "de", "fr", "es", "pt", "it")

ROWS: list[dict[str, Any]] = [
    json.loads(line) for line in EVAL_PATH.read_text(encoding="utf-8").splitlines() if line.strip()
]
CLASSIFIER = OfflineClassifier()
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def classify(row: dict[str, Any]) -> ReplyClassification:
    return CLASSIFIER.classify(ReplyInput.model_validate(row))


def reply(text: str, **kwargs: Any) -> ReplyClassification:
    kwargs.setdefault("sent_at", MONDAY)
    return CLASSIFIER.classify(ReplyInput(text=text, **kwargs))


def rows_where(**match: Any) -> list[Any]:
    picked = [r for r in ROWS if all(r[k] == v for k, v in match.items())]
    return [pytest.param(r, id=r["id"]) for r in picked]


# --- the evaluation set itself ----------------------------------------------------------------


def test_eval_set_is_big_and_covers_every_language_and_intent() -> None:
    assert len(ROWS) >= 180
    assert len({r["id"] for r in ROWS}) == len(ROWS)
    per_lang = Counter(r["lang"] for r in ROWS)
    assert all(per_lang[lang] >= 15 for lang in LANGS), per_lang
    assert {r["expected"] for r in ROWS} == {i.value for i in Intent}
    for r in ROWS:
        ReplyInput.model_validate(r)
        assert r["return_date"] is None or r["expected"] == "out_of_office"


def test_overall_accuracy() -> None:
    correct = sum(classify(r).intent == r["expected"] for r in ROWS)
    assert correct / len(ROWS) >= MIN_ACCURACY


@pytest.mark.parametrize("row", rows_where(expected="unsubscribe"))
def test_every_unsubscribe_is_caught(row: dict[str, Any]) -> None:
    assert classify(row).intent == Intent.UNSUBSCRIBE


@pytest.mark.parametrize("row", rows_where(expected="out_of_office"))
def test_out_of_office_is_never_interested(row: dict[str, Any]) -> None:
    assert classify(row).intent == Intent.OUT_OF_OFFICE


@pytest.mark.parametrize("row", [p for p in rows_where() if p.values[0]["return_date"]])
def test_return_dates(row: dict[str, Any]) -> None:
    assert classify(row).return_date == date.fromisoformat(row["return_date"])


@pytest.mark.parametrize("row", [p for p in rows_where() if p.values[0]["referral_email"]])
def test_referral_emails_are_extracted(row: dict[str, Any]) -> None:
    got = classify(row)
    assert got.referral is not None
    assert got.referral.email == row["referral_email"]


def test_interested_and_unsubscribe_are_never_guessed() -> None:
    # Precision, not recall: a wrong "interested" books a meeting nobody wanted, a wrong
    # "unsubscribe" loses a lead for good.
    for r in ROWS:
        got = classify(r).intent
        if got in (Intent.INTERESTED, Intent.UNSUBSCRIBE):
            assert got == r["expected"], r["id"]


def test_every_result_is_explained_and_in_range() -> None:
    for r in ROWS:
        got = classify(r)
        assert got.source == "offline"
        assert got.reason and "\n" not in got.reason
        assert 0.0 <= got.confidence <= 1.0
        assert classify(r) == got  # deterministic


# --- rules ------------------------------------------------------------------------------------


def test_our_footer_in_quoted_history_does_not_count() -> None:
    text = (
        "Let's set up a call next week.\n\n"
        "On Mon, Mar 2, 2026 at 9:14 AM Anna <anna@salespad.dev> wrote:\n"
        "> Reply 'unsubscribe' to stop these emails. Out of office? Not interested?\n"
    )
    assert reply(text).intent == Intent.INTERESTED


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-replied"},
        {"auto-submitted": "auto-generated"},
        {"X-Autoreply": "yes"},
        {"X-Autorespond": "1"},
        {"Precedence": "bulk"},
        {"Precedence": "auto_reply"},
        {"Precedence": "junk"},
    ],
)
def test_auto_reply_headers(headers: dict[str, str]) -> None:
    got = reply("Thank you for your message.", headers=headers)
    assert got.intent == Intent.AUTO_REPLY
    assert "header" in got.reason
    ooo = reply("I am out of the office until 16 March.", headers=headers)
    assert ooo.intent == Intent.OUT_OF_OFFICE
    assert ooo.return_date == date(2026, 3, 17)


def test_auto_submitted_no_is_a_person() -> None:
    assert reply("Thank you for your message.", headers={"Auto-Submitted": "no"}).intent == (
        Intent.OTHER
    )


def test_unsubscribe_beats_everything_but_bounce() -> None:
    text = "Sounds interesting, but I'm on vacation until Friday. Anyway, please remove me."
    assert reply(text).intent == Intent.UNSUBSCRIBE
    bounce = reply(
        "Delivery has failed. unsubscribe",
        headers={"From": "MAILER-DAEMON@mx.example.com"},
    )
    assert bounce.intent == Intent.BOUNCE


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Not interested.", Intent.NOT_INTERESTED),
        ("No, we're not interested.", Intent.NOT_INTERESTED),
        ("I don't think we'd be interested.", Intent.NOT_INTERESTED),
        ("Not now, maybe next quarter.", Intent.NOT_INTERESTED),
        ("Please don't remove me from the webinar list, it was great.", Intent.OTHER),
        ("I will be back to you shortly with answers.", Intent.OTHER),
    ],
)
def test_negations(text: str, intent: Intent) -> None:
    assert reply(text).intent == intent


@pytest.mark.parametrize("text", ["ok", "Thanks", "Noted.", "👍", "", "Interesting?"])
def test_low_signal_is_other(text: str) -> None:
    got = reply(text)
    assert got.intent == Intent.OTHER
    assert str(CONFIDENCE_THRESHOLD) in got.reason


def test_short_yes_needs_our_question() -> None:
    assert reply("Sure.").intent == Intent.OTHER
    asked = reply("Sure.", last_outbound="Open to a 15-minute call on Tuesday?")
    assert asked.intent == Intent.INTERESTED
    assert asked.confidence >= CONFIDENCE_THRESHOLD


def test_return_date_uses_the_leads_timezone() -> None:
    text = "Out of office today, back tomorrow."
    sent = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)  # still Monday evening in Los Angeles
    assert reply(text, sent_at=sent).return_date == date(2026, 3, 4)
    la = reply(text, sent_at=sent, timezone="America/Los_Angeles")
    assert la.return_date == date(2026, 3, 3)
    assert reply(text, sent_at=sent, timezone="Not/AZone").return_date == date(2026, 3, 4)


@pytest.mark.parametrize(
    ("text", "day_first", "expected"),
    [
        # English without a hint: the nearer reading (12 August, sent 2 March).
        ("I'm on vacation until 12/8.", None, date(2026, 8, 13)),
        ("I'm on vacation until 12/8.", False, date(2026, 12, 9)),  # a +1 lead: 8 December
        ("I'm on vacation until 12/8.", True, date(2026, 8, 13)),
        # The other five languages write the day first unless the lead's locale says otherwise.
        ("Ich bin bis 12/8 im Urlaub.", None, date(2026, 8, 13)),
        ("Ich bin bis 12/8 im Urlaub.", False, date(2026, 12, 9)),
        ("Estoy de vacaciones hasta el 3/4.", None, date(2026, 4, 4)),
        # Only one reading is a date: the hint does not matter.
        ("I'm on vacation until 3/16.", True, date(2026, 3, 17)),
    ],
)
def test_the_leads_date_order_decides_dates_that_read_both_ways(
    text: str, day_first: bool | None, expected: date
) -> None:
    got = reply(text, day_first=day_first)
    assert got.intent == Intent.OUT_OF_OFFICE
    assert got.return_date == expected


def test_the_readmes_example_pauses_until_the_15th() -> None:
    sent = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    got = reply("I'm out of office until the 14th", sent_at=sent)
    assert (got.intent, got.return_date) == (Intent.OUT_OF_OFFICE, date(2026, 12, 15))


def test_wrong_person_becomes_referral_only_when_someone_is_named() -> None:
    assert reply("Sorry, I'm not the right person.").intent == Intent.WRONG_PERSON
    named = reply("Sorry, I'm not the right person. Please contact jane.doe@acme.com instead.")
    assert named.intent == Intent.REFERRAL
    assert named.referral is not None and named.referral.email == "jane.doe@acme.com"


def test_referral_name_is_cut_from_the_original_text() -> None:
    got = reply("Please talk to my colleague Zoë Müller-Lang (zoe@acme.de), she owns this.")
    assert got.referral is not None
    assert got.referral.name == "Zoë Müller-Lang"
    assert got.referral.email == "zoe@acme.de"


def test_subject_counts_only_when_the_lead_wrote_it() -> None:
    assert reply("", subject="Unsubscribe").intent == Intent.UNSUBSCRIBE
    assert reply("Thanks", subject="Re: Stop wasting hours on manual prospecting").intent == (
        Intent.OTHER
    )
