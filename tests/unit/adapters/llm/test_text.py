"""strip_reply must leave the lead's own words and nothing of ours; fold and dates underneath."""

from __future__ import annotations

from datetime import date

import pytest

from adapters.llm.text import day_first_for_phone, find_return_date, fold, strip_reply

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


# --- return dates in the six languages ---------------------------------------------------------
# The returned date is always the FIRST DAY BACK: "until X" gives the day after X, "back on X"
# gives X, a lone date counts as a day away. WEDNESDAY is late in the year, so rollovers show.

WEDNESDAY = date(2026, 12, 2)
SATURDAY = date(2026, 12, 5)


def _d(text: str) -> str:
    """The return date of `text` (folded, sent on WEDNESDAY) as ISO, or 'None'."""
    return str(find_return_date(fold(text), WEDNESDAY))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # en
        ("I'm out of office until the 14th", "2026-12-15"),
        ("Back on the 14th.", "2026-12-14"),
        ("Away till the 1st", "2027-01-02"),
        # de: a day needs its ordinal dot and an article
        ("Ich bin bis zum 14. im Urlaub.", "2026-12-15"),
        ("Ab dem 14. bin ich wieder im Büro.", "2026-12-14"),
        ("Am 14. bin ich wieder erreichbar.", "2026-12-14"),
        # fr
        ("Je suis absente jusqu'au 14.", "2026-12-15"),
        ("De retour le 14.", "2026-12-14"),
        ("Je rentre le 1er.", "2027-01-01"),
        # es
        ("Estoy de vacaciones hasta el 14.", "2026-12-15"),
        ("Regreso el día 14.", "2026-12-14"),
        # pt
        ("Estou de férias até o dia 14.", "2026-12-15"),
        ("Volto dia 14.", "2026-12-14"),
        # it
        ("Sono in ferie fino al 14.", "2026-12-15"),
        ("Rientro il 14.", "2026-12-14"),
        # bare numbers are never days
        ("Back in 2 weeks, room 14.", "None"),
        ("Je reviens dans 3 jours, le 3 fois.", "None"),
        ("Estoy fuera el 14 % del tiempo.", "None"),
        ("In the 2nd half of the year I'm away.", "None"),
    ],
)
def test_a_day_of_the_month_in_each_language(text: str, expected: str) -> None:
    assert _d(text) == expected


@pytest.mark.parametrize(
    ("text", "today", "expected"),
    [
        # "the 31st" in a 30-day month: the next month that has one.
        ("out until the 31st", date(2026, 11, 5), date(2027, 1, 1)),
        ("fino al 31", date(2026, 4, 2), date(2026, 6, 1)),
        ("jusqu'au 31", date(2026, 2, 10), date(2026, 4, 1)),
        # the 29th in February: only in a leap year.
        ("back on the 29th", date(2026, 2, 3), date(2026, 3, 29)),
        ("back on the 29th", date(2028, 2, 3), date(2028, 2, 29)),
        ("until the 29th", date(2028, 2, 3), date(2028, 3, 1)),
        # the same day of the month as today is today.
        ("until the 2nd", WEDNESDAY, date(2026, 12, 3)),
        # year rollover
        ("bis zum 3. im Urlaub", date(2026, 12, 20), date(2027, 1, 4)),
    ],
)
def test_day_of_month_edges(text: str, today: date, expected: date) -> None:
    assert find_return_date(fold(text), today) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # "back on" a weekday: that day; "next" changes nothing.
        ("Back next Monday.", "2026-12-07"),
        ("I'll be back on Monday.", "2026-12-07"),
        ("Ab Montag bin ich wieder im Büro.", "2026-12-07"),
        ("Ab nächsten Montag wieder erreichbar.", "2026-12-07"),
        ("De retour lundi prochain.", "2026-12-07"),
        ("Vuelvo el próximo lunes.", "2026-12-07"),
        ("Volto na próxima segunda-feira.", "2026-12-07"),
        ("Rientro lunedì prossimo.", "2026-12-07"),
        # "until" a weekday: the day after.
        ("Out until Friday.", "2026-12-05"),
        ("Bis Freitag im Urlaub.", "2026-12-05"),
        ("Absent jusqu'à vendredi.", "2026-12-05"),
        ("Fuera hasta el viernes.", "2026-12-05"),
        ("Ausente até sexta-feira.", "2026-12-05"),
        ("Fuori ufficio fino a venerdì.", "2026-12-05"),
        # the weekday it is today means next week's.
        ("Back on Wednesday.", "2026-12-09"),
        ("Bis Mittwoch nicht im Büro.", "2026-12-10"),
        ("De retour mercredi.", "2026-12-09"),
        # a weekday with a day: the date that is both.
        ("Back Monday the 14th.", "2026-12-14"),
        ("Ab Montag, den 14. wieder da.", "2026-12-14"),
        ("De retour le lundi 14.", "2026-12-14"),
        ("Regreso el lunes 14.", "2026-12-14"),
        ("Volto segunda-feira, dia 14.", "2026-12-14"),
        ("Rientro lunedì 14.", "2026-12-14"),
        ("Back Monday 14 June.", "2027-06-14"),  # a calendar date beats the weekday
        # Monday the 15th: not in December (a Tuesday); February 2027 has one.
        ("Back Monday the 15th.", "2027-02-15"),
        # Tuesday the 14th: not within three months, so the 14th wins.
        ("Back Tuesday the 14th.", "2026-12-14"),
    ],
)
def test_weekdays_in_each_language(text: str, expected: str) -> None:
    assert _d(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I'm out of the office today, back tomorrow.", "2026-12-03"),
        ("Morgen bin ich wieder im Büro.", "2026-12-03"),
        ("De retour demain.", "2026-12-03"),
        ("Vuelvo mañana.", "2026-12-03"),
        ("Volto amanhã.", "2026-12-03"),
        ("Rientro domani.", "2026-12-03"),
        ("Out today and tomorrow.", "2026-12-04"),
        ("Out until the day after tomorrow.", "2026-12-05"),
        ("Bis übermorgen im Urlaub.", "2026-12-05"),
        ("Absent jusqu'à après-demain.", "2026-12-05"),
        ("Fuera hasta pasado mañana.", "2026-12-05"),
        ("Ausente até depois de amanhã.", "2026-12-05"),
        ("Assente fino a dopodomani.", "2026-12-05"),
        # the morning is not tomorrow
        ("Guten Morgen, ich bin im Urlaub.", "None"),
        ("Estaré fuera por la mañana.", "None"),
        # several dates: the earliest return wins over days away
        ("Out today and tomorrow, back on Monday.", "2026-12-07"),
    ],
)
def test_tomorrow_in_each_language(text: str, expected: str) -> None:
    assert _d(text) == expected


def test_tomorrow_rolls_into_the_next_year() -> None:
    assert find_return_date("back tomorrow", date(2026, 12, 31)) == date(2027, 1, 1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # end of the month: until it -> the 1st of next month (here of next year)
        ("Out until end of month.", "2027-01-01"),
        ("Out of office until the end of the month.", "2027-01-01"),
        ("Bis Ende des Monats im Urlaub.", "2027-01-01"),
        ("Bis Monatsende nicht im Büro.", "2027-01-01"),
        ("Absente jusqu'à la fin du mois.", "2027-01-01"),
        ("De vacaciones hasta final de mes.", "2027-01-01"),
        ("De férias até o fim do mês.", "2027-01-01"),
        ("In ferie fino a fine mese.", "2027-01-01"),
        ("Back at the end of the month.", "2026-12-31"),
        # end of the week: Friday
        ("Out until the end of the week.", "2026-12-05"),
        ("Bis Ende der Woche auf Dienstreise.", "2026-12-05"),
        ("En déplacement jusqu'à la fin de la semaine.", "2026-12-05"),
        ("De viaje hasta finales de esta semana.", "2026-12-05"),
        ("Em viagem até o final da semana.", "2026-12-05"),
        ("In viaggio fino alla fine della settimana.", "2026-12-05"),
        ("Back at the end of the week.", "2026-12-04"),
        # end of next week
        ("Out until end of next week.", "2026-12-12"),
        ("Bis Ende nächster Woche im Urlaub.", "2026-12-12"),
        ("Absent jusqu'à la fin de la semaine prochaine.", "2026-12-12"),
        ("Fuera hasta el final de la próxima semana.", "2026-12-12"),
        ("Ausente até o final da próxima semana.", "2026-12-12"),
        ("Assente fino alla fine della prossima settimana.", "2026-12-12"),
        # end of next month
        ("On leave until the end of next month.", "2027-02-01"),
        ("Absent jusqu'à la fin du mois prochain.", "2027-02-01"),
        # next week / next month: its first day, with words of return or "until" only
        ("Back next week.", "2026-12-07"),
        ("Out until next week.", "2026-12-07"),
        ("Nächste Woche bin ich wieder da.", "2026-12-07"),
        ("Bis nächste Woche im Urlaub.", "2026-12-07"),
        ("De retour la semaine prochaine.", "2026-12-07"),
        ("De vuelta la semana que viene.", "2026-12-07"),
        ("Estarei de volta na próxima semana.", "2026-12-07"),
        ("Rientro la prossima settimana.", "2026-12-07"),
        ("Back next month.", "2027-01-01"),
        ("Je reviens le mois prochain.", "2027-01-01"),
        ("Volto no mês que vem.", "2027-01-01"),
        ("Back at the beginning of next month.", "2027-01-01"),
        ("Out until early next week.", "2026-12-07"),
        ("Out of office. Let's talk next week!", "None"),
        ("Jusqu'à la fin de mes congés.", "None"),  # "mes" is "my" here
    ],
)
def test_weeks_and_months_in_each_language(text: str, expected: str) -> None:
    assert _d(text) == expected


def test_the_end_of_the_week_on_a_weekend_is_the_coming_one() -> None:
    assert find_return_date("out until the end of the week", SATURDAY) == date(2026, 12, 12)
    # "next week" is the week after this calendar week (Monday to Sunday), seen from a
    # Saturday the coming one too.
    assert find_return_date("out until end of next week", SATURDAY) == date(2026, 12, 12)
    assert find_return_date("out until end of next week", date(2026, 12, 4)) == date(2026, 12, 12)
    assert find_return_date("back next week", date(2026, 12, 6)) == date(2026, 12, 7)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Back in January.", "2027-01-01"),
        ("Ab Januar bin ich wieder im Büro.", "2027-01-01"),
        ("Until January on parental leave.", "2027-01-01"),
        ("De retour en janvier.", "2027-01-01"),
        ("Volveré en enero.", "2027-01-01"),
        ("Volto em janeiro.", "2027-01-01"),
        ("Rientro a gennaio.", "2027-01-01"),
        ("On leave until the end of January.", "2027-02-01"),
        ("Bis Ende Januar in Elternzeit.", "2027-02-01"),
        ("Absente jusqu'à fin janvier.", "2027-02-01"),
        ("De baja hasta finales de enero.", "2027-02-01"),
        ("De licença até o fim de janeiro.", "2027-02-01"),
        ("In congedo fino a fine gennaio.", "2027-02-01"),
        ("Out until mid-January.", "2027-01-16"),
        ("Mitte Januar bin ich wieder da.", "2027-01-15"),
        ("De retour mi-janvier.", "2027-01-15"),
        ("Ausente até meados de janeiro.", "2027-01-16"),
        ("Back early January.", "2027-01-01"),
        ("Fino a inizio gennaio in maternità.", "2027-01-01"),
        # this month still counts until it ends; a month that just ended is a stale notice
        ("Out until the end of December.", "2027-01-01"),
        ("Back mid-December.", "2026-12-15"),
        ("Out until the end of November.", "None"),
        # a month alone needs words of return or "until" next to it
        ("I'm away, scrivete a Marco.", "None"),
        ("I'll be back, may take a while.", "None"),
    ],
)
def test_month_names_without_a_day(text: str, expected: str) -> None:
    assert _d(text) == expected


@pytest.mark.parametrize(
    ("text", "today", "day_first", "expected"),
    [
        # one way round only: read that way
        ("back on 12/14", WEDNESDAY, None, date(2026, 12, 14)),
        ("back on 12/14", WEDNESDAY, True, date(2026, 12, 14)),
        ("bis 14/12", WEDNESDAY, False, date(2026, 12, 15)),
        # both ways: the hint decides, else the nearer upcoming reading
        ("back 12/8", WEDNESDAY, None, date(2026, 12, 8)),
        ("back 12/8", WEDNESDAY, False, date(2026, 12, 8)),
        ("back 12/8", WEDNESDAY, True, date(2027, 8, 12)),
        ("back 12/8", date(2026, 3, 2), None, date(2026, 8, 12)),
        ("back on 3/1", date(2026, 2, 10), None, date(2026, 3, 1)),
        ("back on 3/1", date(2026, 2, 10), True, date(2027, 1, 3)),
        ("back on 3/1", date(2026, 11, 20), None, date(2027, 1, 3)),
        # with a year, both readings may still be upcoming: the nearer wins
        ("back 05/01/2027", WEDNESDAY, None, date(2027, 1, 5)),
        ("back 05/01/2027", WEDNESDAY, False, date(2027, 5, 1)),
        # dots: day first only, with or without a year
        ("bis 14.12. im Urlaub", WEDNESDAY, None, date(2026, 12, 15)),
        ("ab 14.12. wieder im Büro", WEDNESDAY, None, date(2026, 12, 14)),
        ("fino al 14.12.2026", WEDNESDAY, None, date(2026, 12, 15)),
        ("until 14/12/2026", WEDNESDAY, None, date(2026, 12, 15)),
        ("until 14/12/26", WEDNESDAY, False, date(2026, 12, 15)),
        ("hasta el 4/1", date(2026, 12, 21), True, date(2027, 1, 5)),
        # a year that already passed, or a day that just did: nothing to wait for
        ("until 14/12/2025", WEDNESDAY, None, None),
        ("until 28/11", WEDNESDAY, None, None),
        ("back on 1.12.", WEDNESDAY, None, None),
        ("back on the 1st of December", WEDNESDAY, None, None),  # not "the 1st" of January
        ("until 31/11", WEDNESDAY, None, None),  # no such day, and not "the 31st" either
        ("back 3/1", date(2026, 3, 2), None, None),  # 1 March (yesterday) is the nearer reading
        ("back 12/8", date(2026, 12, 10), None, None),  # 8 December just passed
        # clock times are no dates
        ("back at 9.30 tomorrow", WEDNESDAY, None, date(2026, 12, 3)),
        ("um 14.30 Uhr wieder da", WEDNESDAY, None, None),
        # 29 February: only in a leap year
        ("until 29.02.", date(2027, 12, 10), None, date(2028, 3, 1)),
        ("until 29.02.", date(2026, 1, 10), None, None),
        ("bis 29. Februar", date(2028, 2, 1), None, date(2028, 3, 1)),
        ("back on 29/02/2028", date(2027, 6, 1), None, date(2028, 2, 29)),
        ("back on 29/02/2027", date(2026, 6, 1), None, None),
        # year rollover
        ("until 4.1.", date(2026, 12, 21), None, date(2027, 1, 5)),
        ("back on 2 January", date(2026, 12, 28), None, date(2027, 1, 2)),
    ],
)
def test_numeric_and_named_dates(
    text: str, today: date, day_first: bool | None, expected: date | None
) -> None:
    assert find_return_date(fold(text), today, day_first=day_first) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Away from 14/12 to 18/12.", "2026-12-19"),
        ("On leave 21.12.-04.01.", "2027-01-05"),
        ("De vacaciones del 21/12 al 6/1.", "2027-01-07"),
        ("Out of office Dec 21 - Jan 4.", "2027-01-05"),
        ("Vom 14.12. bis 18.12. im Urlaub.", "2026-12-19"),
        ("Absent du 14 au 18 décembre.", "2026-12-19"),
        ("De vacaciones del 14 al 18 de diciembre.", "2026-12-19"),
        ("De férias de 14 a 18 de dezembro.", "2026-12-19"),
        ("In ferie dal 14 al 18 dicembre.", "2026-12-19"),
        ("Out until Friday, then at a conference until the 11th.", "2026-12-12"),
        ("Out until the end of the week and at a fair until Wednesday the 9th.", "2026-12-10"),
        ("Away until 18 December, back on 21 December.", "2026-12-21"),
    ],
)
def test_several_dates_give_the_last_day_away(text: str, expected: str) -> None:
    assert _d(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Out until Friday. Our 24/7 hotline: +49 30 1234.", "2026-12-05"),
        ("Out for 1/2 day.", "None"),
        ("Out of office. Release v2.1 is live.", "None"),
        ("Out until Friday, that's fine next week.", "2026-12-05"),
        ("I'm in the final week of my leave.", "None"),
        ("Estaré fuera mi semana de vacaciones.", "None"),
        ("Sono assente, lunedì 7 sarò di nuovo in ufficio.", "2026-12-07"),
        ("Monday I'm in the office again.", "2026-12-07"),
        ("Je suis absente, le 14 h je suis en réunion.", "None"),
    ],
)
def test_what_only_looks_like_a_date(text: str, expected: str) -> None:
    assert _d(text) == expected


def test_relative_forms_need_the_day_the_reply_was_sent() -> None:
    for text in ("back tomorrow", "until the 14th", "end of next week", "back 12/8", "in january"):
        assert find_return_date(fold(text), None) is None
    assert find_return_date("until 14/12/2026", None) == date(2026, 12, 15)


@pytest.mark.parametrize(
    ("phone", "expected"),
    [
        ("+14155550123", False),
        ("+4930123456", True),
        ("+33142868200", True),
        ("+5511987654321", True),
        ("+81312345678", None),
        ("+8613812345678", None),
        ("+886212345678", None),
        ("4155550123", None),
        ("+1४१५", None),
        (None, None),
        ("", None),
    ],
)
def test_day_first_for_phone(phone: str | None, expected: bool | None) -> None:
    assert day_first_for_phone(phone) is expected
