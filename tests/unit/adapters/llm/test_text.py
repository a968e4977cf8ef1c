"""strip_reply must leave the lead's own words and nothing of ours; fold and dates underneath."""

from __future__ import annotations

from datetime import date

import pytest

from adapters.llm.text import find_return_date, fold, strip_reply

OUR_FOOTER = "Not interested? Reply 'unsubscribe' and I won't email again."


def test_quoted_lines_and_attribution_are_removed() -> None:
    text = (
        "Sounds good, let's talk.\n\n"
        "On Mon, Mar 2, 2026 at 9:14 AM Anna Becker <anna@salespad.dev> wrote:\n"
        "> Hi Tom, are you free next week?\n"
        f"> {OUR_FOOTER}\n"
    )
    assert strip_reply(text) == "Sounds good, let's talk."


def test_attribution_wrapped_over_two_lines() -> None:
    text = (
        "Yes please.\n\n"
        "On Mon, Mar 2, 2026 at 9:14 AM Anna Becker <\n"
        "anna@salespad.dev> wrote:\n"
        f"{OUR_FOOTER}\n"
    )
    assert strip_reply(text) == "Yes please."


@pytest.mark.parametrize(
    "attribution",
    [
        "Am Mo., 2. März 2026 um 09:14 Uhr schrieb Anna Becker <anna@salespad.dev>:",
        "Le lun. 2 mars 2026 à 09:14, Anna Becker <anna@salespad.dev> a écrit :",
        "El lun, 2 mar 2026 a las 9:14, Anna Becker (<anna@salespad.dev>) escribió:",
        "Em seg., 2 de mar. de 2026 às 09:14, Anna Becker <anna@salespad.dev> escreveu:",
        "Il giorno lun 2 mar 2026 alle ore 09:14 Anna Becker <anna@salespad.dev> ha scritto:",
        "Anna Becker <anna@salespad.dev> wrote:",
    ],
)
def test_attribution_lines_in_six_languages(attribution: str) -> None:
    # The quoted part is deliberately not "> "-prefixed: the attribution alone must cut it.
    text = f"Merci, avec plaisir.\n\n{attribution}\n{OUR_FOOTER}"
    assert strip_reply(text) == "Merci, avec plaisir."


@pytest.mark.parametrize(
    "block",
    [
        "-----Original Message-----\nFrom: Anna\nSubject: hi",
        "-----Ursprüngliche Nachricht-----\nVon: Anna",
        "-----Message d'origine-----\nDe : Anna",
        "-----Mensaje original-----\nDe: Anna",
        "-----Mensagem original-----\nDe: Anna",
        "-----Messaggio originale-----\nDa: Anna",
        "---------- Forwarded message ---------\nFrom: Anna",
        "________________________________\nFrom: Anna",
        "From: Anna Becker <anna@salespad.dev>\nSent: Monday, March 2, 2026 9:14 AM\nTo: Tom",
        "Von: Anna Becker <anna@salespad.dev>\nGesendet: Montag, 2. März 2026 09:14\nAn: Tom",
        "De : Anna Becker\nEnvoyé : lundi 2 mars 2026 09:14\nÀ : Julien",
        "De: Anna Becker\nEnviado el: lunes, 2 de marzo de 2026 9:14\nPara: Carlos",
        "De: Anna Becker\nEnviada em: segunda-feira, 2 de março de 2026 09:14\nPara: Rafael",
        "Da: Anna Becker\nInviato: lunedì 2 marzo 2026 09:14\nA: Marco",
    ],
)
def test_copied_message_blocks_are_cut(block: str) -> None:
    text = f"No thanks.\n\n{block}\n\n{OUR_FOOTER}"
    assert strip_reply(text) == "No thanks."


@pytest.mark.parametrize(
    "tagline",
    [
        "Sent from my iPhone",
        "Get Outlook for Android",
        "Von meinem iPhone gesendet",
        "Envoyé de mon iPhone",
        "Enviado desde mi iPhone",
        "Enviado do meu iPhone",
        "Inviato da iPhone",
    ],
)
def test_mobile_signatures_are_cut(tagline: str) -> None:
    assert strip_reply(f"Not now.\n\n{tagline}") == "Not now."


def test_dash_dash_signature_is_cut() -> None:
    text = "Please send times.\n\n-- \nTom Baker | VP Sales | Acme\nunsubscribe from our newsletter"
    assert strip_reply(text) == "Please send times."


def test_text_without_history_is_kept_whole() -> None:
    text = "Hi Anna,\n\nThanks. Two questions:\n- pricing?\n- HubSpot?\n\nTom"
    assert strip_reply(text) == text


def test_windows_line_endings() -> None:
    text = "Yes.\r\n\r\nOn Mon, Mar 2, 2026 Anna wrote:\r\n> unsubscribe\r\n"
    assert strip_reply(text) == "Yes."


def test_bottom_posted_reply_is_kept() -> None:
    text = (
        "On Mon, Mar 2, 2026 at 9:14 AM Anna Becker <anna@salespad.dev> wrote:\n"
        "> Are you free next week?\n"
        f"> {OUR_FOOTER}\n\n"
        "Yes, Tuesday works.\n\nSent from my iPhone"
    )
    assert strip_reply(text) == "Yes, Tuesday works."


def test_inline_quotes_are_dropped_but_answers_kept() -> None:
    text = "> Are you free next week?\nYes.\n> Any questions?\nWhat does it cost?"
    assert strip_reply(text) == "Yes.\nWhat does it cost?"


def test_forward_without_own_words_is_empty() -> None:
    text = f"From: Anna Becker <anna@salespad.dev>\nSent: Monday\nSubject: hi\n\n{OUR_FOOTER}"
    assert strip_reply(text) == ""


def test_fold_keeps_length_and_drops_accents() -> None:
    original = "Désabonnez-moi, Grüße, não, ¿Cuánto?, it’s ÉTÉ"
    folded = fold(original)
    assert len(folded) == len(original)
    assert folded == "desabonnez-moi, gruse, nao, ¿cuanto?, it's ete"


MONDAY = date(2026, 3, 2)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("back on 16 march", date(2026, 3, 16)),
        ("back on march 16th", date(2026, 3, 16)),
        ("out until 14 march", date(2026, 3, 15)),
        ("out until 12/03", date(2026, 3, 13)),
        ("bis zum 14.03. im urlaub", date(2026, 3, 15)),
        ("bis 14.03.2026 im urlaub", date(2026, 3, 15)),
        ("ab dem 16.03. wieder im buro", date(2026, 3, 16)),
        ("absent jusqu'au 5 mars", date(2026, 3, 6)),
        ("de retour le 9 mars", date(2026, 3, 9)),
        ("de vacaciones hasta el 7 de abril", date(2026, 4, 8)),
        ("de ferias ate 10 de maio", date(2026, 5, 11)),
        ("fuori ufficio fino al 3 giugno", date(2026, 6, 4)),
        ("on leave from 2026-03-02 to 2026-03-10", date(2026, 3, 11)),
        ("back monday", date(2026, 3, 9)),
        ("back tomorrow", date(2026, 3, 3)),
        ("back monday 16 march", date(2026, 3, 16)),
        ("away until 20 march, back on 23 march", date(2026, 3, 23)),
        ("on holiday until 4 january", date(2027, 1, 5)),
        ("no date here", None),
    ],
)
def test_return_dates(text: str, expected: date | None) -> None:
    assert find_return_date(text, MONDAY) == expected


def test_numeric_dates_read_both_ways_follow_the_locale_hint() -> None:
    # 03/04 is 3 April day-first and 4 March month-first; with no hint the nearer one wins.
    assert find_return_date("out until 03/04", MONDAY, day_first=True) == date(2026, 4, 4)
    assert find_return_date("out until 03/04", MONDAY, day_first=False) == date(2026, 3, 5)
    assert find_return_date("out until 03/04", MONDAY) == date(2026, 3, 5)
    # A pair that is a date one way round only is read that way, whatever the hint.
    assert find_return_date("out until 3/16", MONDAY, day_first=False) == date(2026, 3, 17)
    assert find_return_date("bis 3/16", MONDAY, day_first=True) == date(2026, 3, 17)
    assert find_return_date("bis 16/3", MONDAY, day_first=False) == date(2026, 3, 17)
    # Dots are a day-first notation only: 3.16 is no date at all.
    assert find_return_date("bis 3.16", MONDAY, day_first=False) is None


def test_relative_dates_need_a_reference_day() -> None:
    assert find_return_date("back monday", None) is None
    assert find_return_date("back on 2026-03-16", None) == date(2026, 3, 16)


@pytest.mark.parametrize(
    ("text", "today", "expected"),
    [
        ("i'm out of office until the 14th", date(2026, 12, 2), date(2026, 12, 15)),
        ("i'm out of office until the 14th", date(2026, 12, 20), date(2027, 1, 15)),
        ("back on the 3rd", date(2026, 3, 16), date(2026, 4, 3)),
        ("away until the 31st", date(2026, 4, 2), date(2026, 6, 1)),  # April has no 31st
        ("out until the 14th of march", date(2026, 3, 2), date(2026, 3, 15)),  # the calendar date
        ("out of office, back in 2 weeks, room 14", date(2026, 3, 2), None),
    ],
)
def test_a_day_of_the_month_alone_is_the_next_such_day(
    text: str, today: date, expected: date | None
) -> None:
    assert find_return_date(text, today) == expected
