"""Text helpers for reply classification: cut quoted history and signatures, fold accents.

Both are deliberately line- and character-based rather than clever: a reply that is cut a little
too early costs less than our own footer ("unsubscribe here") being read as the lead's words.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

# Where the quoted history of an earlier message starts, in the six languages we support. Each
# pattern is anchored at a line start; the earliest match in the reply wins.
# Attribution lines ("On ... wrote:"), which mail clients may wrap over two or three lines.
_ATTRIBUTIONS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p, re.IGNORECASE | re.MULTILINE)
    for p in (
        r"^[ \t]*On\b[^\n]*(?:\n[^\n]*){0,2}?\bwrote:[ \t]*$",
        r"^[ \t]*Am\b[^\n]*(?:\n[^\n]*){0,2}?\bschrieb\b[^\n]*:[ \t]*$",
        r"^[ \t]*Le\b[^\n]*(?:\n[^\n]*){0,2}?\ba[ \t]+écrit[ \t]*:[ \t]*$",
        r"^[ \t]*El\b[^\n]*(?:\n[^\n]*){0,2}?\bescribió[ \t]*:[ \t]*$",
        r"^[ \t]*(?:Em|No|Na)\b[^\n]*(?:\n[^\n]*){0,2}?\bescreveu[ \t]*:[ \t]*$",
        r"^[ \t]*Il\b[^\n]*(?:\n[^\n]*){0,2}?\bha[ \t]+scritto[ \t]*:[ \t]*$",
        # "Jane Doe <jane@acme.com> wrote:" without a date in front.
        r"^[^\n]{0,200}\b(?:wrote|schrieb|a écrit|escribió|escreveu|ha scritto)[ \t]*:[ \t]*$",
    )
)
# Blocks that start a copied message rather than quoting it line by line.
_BLOCKS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p, re.IGNORECASE | re.MULTILINE)
    for p in (
        r"^[ \t]*-{2,}[ \t]*(?:Original Message|Ursprüngliche Nachricht|Originalnachricht"
        r"|Message d'origine|Mensaje original|Mensagem original|Messaggio originale)[ \t]*-{2,}",
        r"^[ \t]*-{2,}[ \t]*(?:Forwarded message|Weitergeleitete Nachricht|Message transféré"
        r"|Mensaje reenviado|Mensagem encaminhada|Messaggio inoltrato)[ \t]*-{2,}",
        # Outlook's header block: a From line followed closely by a Sent/Date line.
        r"^[ \t]*\**(?:From|Von|De|Da)[ \t]*:\**[^\n]*\n(?:[^\n]*\n){0,3}?[ \t]*\**"
        r"(?:Sent|Date|Gesendet|Datum|Envoyé|Enviado(?: el)?|Enviada(?: em)?|Fecha|Data|Inviato)"
        r"[ \t]*:",
        r"^[ \t]*_{10,}[ \t]*$",
    )
)

# Where the signature starts: the RFC 3676 "-- " delimiter and the mobile clients' taglines.
_SIGNATURE_MARKERS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p, re.IGNORECASE | re.MULTILINE)
    for p in (
        r"^--[ \t]*$",
        r"^[ \t]*(?:Sent from my|Sent from|Sent via|Get Outlook for)\b",
        r"^[ \t]*(?:Von meinem|Gesendet von meinem|Gesendet mit|Gesendet vom)\b",
        r"^[ \t]*(?:Envoyé de mon|Envoyé depuis mon|Envoyé depuis|Envoyé avec)\b",
        r"^[ \t]*(?:Enviado desde mi|Enviado desde|Enviado do meu|Enviado de meu|Enviado pelo)\b",
        r"^[ \t]*(?:Inviato da|Inviato dal mio|Inviato con)\b",
    )
)

_QUOTED_LINE = re.compile(r"^[ \t]*>")


def strip_reply(text: str) -> str:
    """The lead's own words: quoted history, attribution lines and signature removed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    kept = _head(text)
    if kept:
        return kept
    # Bottom-posting: the answer sits below a ">"-quoted block, so drop only the quote and its
    # attribution. A reply that opens with a copied block (Outlook, forward) has no own words.
    rest = _drop_quoted(text)
    for marker in _ATTRIBUTIONS:
        rest = marker.sub("", rest)
    return _head(rest)


def _head(text: str) -> str:
    cut = _earliest(text, _ATTRIBUTIONS + _BLOCKS + _SIGNATURE_MARKERS)
    return _drop_quoted(text[:cut])


def _earliest(text: str, markers: tuple[re.Pattern[str], ...]) -> int:
    starts = [m.start() for p in markers if (m := p.search(text))]
    return min(starts, default=len(text))


def _drop_quoted(text: str) -> str:
    lines = [line.rstrip() for line in text.split("\n") if not _QUOTED_LINE.match(line)]
    return "\n".join(lines).strip()


def fold(text: str) -> str:
    """Lower-case, accent-free text of exactly the same length, so offsets map back to `text`.

    Matching on folded text lets a table say "desabonner" and still catch "désabonner" (and the
    lead who typed it without accents); keeping the length lets names be cut from the original.
    """
    out: list[str] = []
    for ch in text:
        if ch.isascii():
            out.append(ch.lower())
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        folded = base.lower() if len(base) == 1 else ch.lower()
        out.append(_SPECIAL.get(ch, folded if len(folded) == 1 else ch))
    return "".join(out)


# Characters whose fold would otherwise be unhelpful for matching: typographic apostrophes and
# the German sharp s (which tables write as "ss?" since folding must keep one char per char).
_SPECIAL = {"\u2019": "'", "\u2018": "'", "\u00b4": "'", "ß": "s", "\u00a0": " "}


# --- Dates -------------------------------------------------------------------------------------
# Vocabulary is written folded (no accents), since dates are searched in folded text.

_MONTHS: dict[str, int] = {
    **dict.fromkeys(("january", "jan", "januar", "janvier", "janv", "enero", "janeiro"), 1),
    **dict.fromkeys(("gennaio", "gen"), 1),
    **dict.fromkeys(("february", "feb", "februar", "fevrier", "fevr", "febrero", "fevereiro"), 2),
    **dict.fromkeys(("fev", "febbraio"), 2),
    **dict.fromkeys(("march", "mar", "marz", "maerz", "mars", "marzo", "marco"), 3),
    **dict.fromkeys(("april", "apr", "avril", "avr", "abril", "abr", "aprile"), 4),
    **dict.fromkeys(("may", "mai", "mayo", "maio", "maggio", "mag"), 5),
    **dict.fromkeys(("june", "jun", "juni", "juin", "junio", "junho", "giugno", "giu"), 6),
    **dict.fromkeys(("july", "jul", "juli", "juillet", "juil", "julio", "julho", "luglio"), 7),
    # No "ago"/"set" abbreviations: "3 days ago" and "set 3 meetings" are not dates.
    **dict.fromkeys(("august", "aug", "aout", "agosto"), 8),
    **dict.fromkeys(("september", "sep", "sept", "septembre", "septiembre", "setembro"), 9),
    **dict.fromkeys(("settembre",), 9),
    **dict.fromkeys(("october", "oct", "oktober", "okt", "octobre", "octubre", "outubro"), 10),
    **dict.fromkeys(("ottobre", "ott"), 10),
    **dict.fromkeys(("november", "nov", "novembre", "noviembre", "novembro"), 11),
    **dict.fromkeys(("december", "dec", "dezember", "dez", "decembre", "diciembre"), 12),
    **dict.fromkeys(("dezembro", "dicembre", "dic"), 12),
}
_WEEKDAYS: dict[str, int] = {
    **dict.fromkeys(("monday", "montag", "lundi", "lunes", "segunda", "lunedi"), 0),
    **dict.fromkeys(("tuesday", "dienstag", "mardi", "martes", "terca", "martedi"), 1),
    **dict.fromkeys(("wednesday", "mittwoch", "mercredi", "miercoles", "quarta"), 2),
    **dict.fromkeys(("mercoledi",), 2),
    **dict.fromkeys(("thursday", "donnerstag", "jeudi", "jueves", "quinta", "giovedi"), 3),
    **dict.fromkeys(("friday", "freitag", "vendredi", "viernes", "sexta", "venerdi"), 4),
    **dict.fromkeys(("saturday", "samstag", "samedi", "sabado", "sabato"), 5),
    **dict.fromkeys(("sunday", "sonntag", "dimanche", "domingo", "domenica"), 6),
}
_TOMORROW = ("tomorrow", "morgen", "demain", "manana", "amanha", "domani")
_AFTER_TOMORROW = (
    "the day after tomorrow", "day after tomorrow", "ubermorgen", "apres-demain", "apres demain",
    "pasado manana", "depois de amanha", "dopodomani",
)  # fmt: skip
# Full month names, for phrases without a day ("back in April", "fin mars", "Ende März"), where
# an abbreviation ("mar" is Spanish for sea) would be an ordinary word.
_MONTH_NAMES: dict[str, int] = {
    name: n
    for n, names in enumerate(
        (
            ("january", "januar", "janvier", "enero", "janeiro", "gennaio"),
            ("february", "februar", "fevrier", "febrero", "fevereiro", "febbraio"),
            ("march", "marz", "maerz", "mars", "marzo", "marco"),
            ("april", "avril", "abril", "aprile"),
            ("may", "mai", "mayo", "maio", "maggio"),
            ("june", "juni", "juin", "junio", "junho", "giugno"),
            ("july", "juli", "juillet", "julio", "julho", "luglio"),
            ("august", "aout", "agosto"),
            ("september", "septembre", "septiembre", "setembro", "settembre"),
            ("october", "oktober", "octobre", "octubre", "outubro", "ottobre"),
            ("november", "novembre", "noviembre", "novembro"),
            ("december", "dezember", "decembre", "diciembre", "dezembro", "dicembre"),
        ),
        start=1,
    )
    for name in names
}


def _alternation(words: Iterable[str]) -> str:
    # Longest first, so "mars" is not read as "mar" + "s".
    return "|".join(sorted(set(words), key=len, reverse=True))


_MONTH = _alternation(_MONTHS)
_ORD = r"(?:st|nd|rd|th|er|o|°|\.)?"
# What may follow a number that is then not a day: "2 weeks", "3 times", "14 h", "1/2 day".
_NOT_UNIT = (
    r"(?!\s*(?:%|(?:days?|weeks?|months?|hours?|years?|times|mins?|minutes?|h|hs|hrs?"
    r"|tage?n?|wochen?|monate?n?|stunden?|jahre?n?|mal|uhr|jours?|semaines?|mois|heures?|ans?"
    r"|fois|dias?|semanas?|meses|mes|horas?|anos?|veces|vezes|giorni|giorno|settimane?|mesi"
    r"|mese|ore|ora|anni|anno|volte|am|pm|quarter|half|floor|place)\b))"
)
# A bare day number is not one when more figures follow: "le 14,5", "el 14:30", "il 2-3".
_UNITS = r"(?!\s*[.,:/h-]\s*\d)" + _NOT_UNIT
# A clock time is no date: "back at 9.30", "um 14.30", "alle 9.15".
_NOT_TIME_BEFORE = r"(?<!\bat )(?<!\bum )(?<!\blas )(?<!\balle )(?<!\bas )(?<!\bvers )(?<!\bore )"
_CALENDAR: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("iso", re.compile(r"(?<![\d./])(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")),
    (
        "dmy",
        re.compile(
            rf"\b(\d{{1,2}}){_ORD}\s*(?:of\s+|de\s+)?({_MONTH})\b\.?"
            r"(?:,?\s*(?:de\s+)?(\d{4})\b)?"
        ),
    ),
    (
        "mdy",
        re.compile(
            rf"\b({_MONTH})\.?\s+(?:the\s+)?(\d{{1,2}})(?:st|nd|rd|th)?\b"
            r"(?:,?\s*(\d{4})\b)?"
        ),
    ),
    # Not "24/7" (a hotline), "v2.1" or "1/2 day".
    (
        "num",
        re.compile(
            r"(?<![\w./])(?!24/7(?!\d))(\d{1,2})(/)(\d{1,2})(?:/(\d{4}|\d{2}))?(?![\d/])"
            + _NOT_UNIT
        ),
    ),
    (
        "num",
        re.compile(
            rf"{_NOT_TIME_BEFORE}(?<![\w./])(\d{{1,2}})(\.)(\d{{1,2}})(?:\.(\d{{4}}|\d{{2}}))?\.?"
            r"(?![\d/])" + _NOT_UNIT
        ),
    ),
)
_CALENDAR_KINDS = frozenset(kind for kind, _ in _CALENDAR)

# Periods: "end of next week", "Ende des Monats", "fin mars", "a finales de mes", "inizio aprile".
_IT_MONTHS = (
    "gennaio|febbraio|marzo|aprile|maggio|giugno|luglio|agosto|settembre|ottobre|novembre|dicembre"
)
_EDGE = (
    r"(?:(?P<end>end|ende|fin|finales|finais|fim|final(?=\s+(?:de|da|do|del|desta|deste)\b)"
    # Italian "fine", not English "fine" ("that's fine next week").
    rf"|fine(?=\s+(?:del|della|dello|di|questo|questa|mese|settimana|prossim[oa]|{_IT_MONTHS})\b))"
    r"|(?P<start>beginning|start|early|anfang|debut|principios|inicios|comienzos|inicio|comeco"
    r"|inizio|primi)"
    # French "mi-mars" only with its hyphen: "mi" is Spanish and Italian for "my", "me".
    r"|(?P<mid>mid|middle|mitte|mi(?=-)|mediados|meados|meta))"
)
_FILLER = (
    r"(?:\s+|\s*-\s*)(?:(?:of|the|this|de|del|des|der|dieses|la|le|el|do|da|di|della|du|ce"
    r"|cette|esta|este|desta|deste|questo|questa|o|a)\s+)*"
)
_NEXT = r"(?:next|nachste[nmrs]?|kommende[nmrs]?|prochaine?|proxim[oa]|prossim[oa])"
_WEEK = r"(?:week|woche|semaine|semana|settimana)"
# Spanish "mes" is French for "my" ("fin de mes congés"): only a month when nothing follows.
_MONTH_WORD = r"(?:monats?|month|mois|mese|mes(?!\s+(?!que\b|de\b|del\b|y\b|e\b)[a-z]))"
_TARGET = (
    rf"(?:(?P<next>{_NEXT})\s+)?(?:(?P<week>{_WEEK})|(?P<month>{_MONTH_WORD})"
    rf"|(?P<name>{_alternation(_MONTH_NAMES)}))\b"
    rf"(?:\s+(?P<next_after>{_NEXT}|que viene|que vem)\b)?"
)
_PERIODS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("period", re.compile(rf"\b{_EDGE}{_FILLER}{_TARGET}")),
    ("period", re.compile(r"\b(?P<end>)(?P<month>monatsende|month-end|month end)\b")),
    # "back next week", "bis nächste Woche", "a partir del mes que viene": its first day.
    (
        "next_period",
        re.compile(
            rf"\b(?:(?P<next>{_NEXT})\s+(?:(?P<week>{_WEEK})|(?P<month>{_MONTH_WORD}))"
            rf"|(?:(?P<week2>{_WEEK})|(?P<month2>{_MONTH_WORD}))\s+(?P<next_after>{_NEXT}"
            r"|que viene|que vem))\b"
        ),
    ),
    # "back in April", "bis April", "jusqu'en avril": the month's first day.
    (
        "month_alone",
        re.compile(
            r"\b(?P<prep>in|im|ab|en|em|a|ad|until|till|bis|jusqu'en|hasta|ate|fino ad?)\s+"
            rf"(?P<name>{_alternation(_MONTH_NAMES)})\b(?!\s*\d)"
        ),
    ),
)
_WEEKDAY = rf"\b(?P<weekday>{_alternation(_WEEKDAYS)})(?:-feira)?"
_DAY_ARTICLE = r"(?:(?:the|den|le|el|il|dia|o)\s+)?"
_RELATIVE: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("after_tomorrow", re.compile(rf"\b(?:{_alternation(_AFTER_TOMORROW)})\b")),
    # Not "la mañana" (the morning), "guten Morgen", "heute Morgen", "am Morgen".
    (
        "tomorrow",
        re.compile(
            r"(?<!\bla )(?<!\besta )(?<!\bguten )(?<!\bheute )(?<!\bam )(?<!\bdiesen )"
            rf"\b(?:{'|'.join(_TOMORROW)})\b"
        ),
    ),
    # "back Monday the 16th", "ab Montag, den 16.": the 16th that is a Monday.
    (
        "weekday_day",
        re.compile(rf"{_WEEKDAY},?\s+{_DAY_ARTICLE}(?P<day>\d{{1,2}}){_ORD}(?![\d./])" + _UNITS),
    ),
    # "until the 14th": a day of the month without one, the next such day. A bare number
    # ("back in 2 weeks", "room 14") is never a date: English wants an ordinal, German its
    # dot, the others an article that only stands before a day ("jusqu'au 14", "hasta el 14").
    ("day_of_month", re.compile(r"\b(?:the\s+)?(?P<day>\d{1,2})(?:st|nd|rd|th)\b" + _UNITS)),
    ("day_of_month", re.compile(r"\b(?:zum|dem|den|am)\s+(?P<day>\d{1,2})\.(?!\d)" + _UNITS)),
    ("day_of_month", re.compile(r"\b(?:au|le|du)\s+(?P<day>\d{1,2})(?:er)?\b" + _UNITS)),
    ("day_of_month", re.compile(r"\b(?:el|dia)\s+(?P<day>\d{1,2})(?:o)?\b" + _UNITS)),
    ("day_of_month", re.compile(r"\b(?:al|il)\s+(?P<day>\d{1,2})(?:o)?\b" + _UNITS)),
)
# Weekdays only count when no calendar date is given: "back Monday 16 March" means the 16th.
_WEEKDAYS_PASS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("weekday", re.compile(rf"{_WEEKDAY}\b")),
)
# Kinds that need words of return or "until" around them to count at all ("let's talk next
# week" says nothing about the return), and then name the first day back either way ("until
# next week" is back next week), as a period's start does ("until early April").
_VAGUE_KINDS = frozenset({"next_period", "month_alone"})
_UNTIL_PREPS = frozenset({"until", "till", "bis", "jusqu'en", "hasta", "ate", "fino a", "fino ad"})

# Words right before a date that make it the last day away ("until 14 March"): back the day after.
_UNTIL = re.compile(
    r"(?:-|–|(?<!\w)(?:until|till|til|through|thru|to|after|bis|bis einschlie(?:ss|s)lich|nach dem"
    r"|jusqu'(?:au|a|a ce|en)?|au|apres le|hasta|al|despues del|ate|ao|a|depois de|fino(?: al| a)?"
    r"|dopo il|incluso))"
    r"\s*(?:(?:the|le|el|o|il|dem|zum|den|einschlie(?:ss|s)lich|inclusive|including)\s+)*$"
)
_UNTIL_STRICT = re.compile(
    r"(?<!\w)(?:until|till|til|bis|jusqu'(?:au|a|a la)?|hasta|ate|fino(?: al| a| alla)?)"
    r"\s*(?:(?:the|le|la|el|o|a|il|la|zur|zum|nachste\w*)\s+)*$"
)
# Words near a date that make it the first day back ("back on 16 March", "ab 16.03. wieder").
_RETURN_BEFORE = re.compile(
    r"\b(?:back|return|returning|returns|zuruck|wieder|retour|reviens|reviendrai|rentre"
    r"|rentrerai|reprendrai|regreso|regresare|vuelvo|volvere|de vuelta|reincorporo|retorno"
    r"|retornarei|volto|voltarei|de volta|regressarei|rientro|rientrero|ritorno|tornero|torno)\b"
)
_RETURN_AFTER = re.compile(
    r"^[^.!?\n]{0,40}\b(?:wieder|zuruck|again|de nouveau|de nuevo|nuevamente|novamente|di nuovo)\b"
)
# A year-less date that passed less than this long ago is a stale notice, not next year's.
STALE_DAYS = 30


def find_return_date(folded: str, today: date | None, day_first: bool | None = None) -> date | None:
    """The first day back that a folded out-of-office text announces, or None.

    `today` is the day the reply was sent, in the lead's timezone. Without a year a date means its
    next occurrence, unless it passed less than STALE_DAYS ago (a notice nobody switched off:
    None); weekdays mean the next such day, never today ("Monday" on a Monday is next week's).
    A date after "until" is the last day away, so the day after it is returned; "back on" dates
    are returned as they are; a lone date counts as a day away. Of several, the earliest return
    wins, else the latest day away.

    Numeric dates with dots are day-first ("14.12."). With slashes a pair only one way round can
    be a date is read that way ("3/16"); when both can ("12/8") `day_first` decides (the lead's
    locale), or when it is None the nearer upcoming reading wins.
    """
    returns: list[date] = []
    untils: list[date] = []
    taken: list[tuple[int, int]] = []
    calendar_found = False
    for passes in (_CALENDAR + _PERIODS + _RELATIVE, _WEEKDAYS_PASS):
        if calendar_found:
            break
        for kind, pattern in passes:
            for m in pattern.finditer(folded):
                if any(m.start() < end and start < m.end() for start, end in taken):
                    continue
                before = folded[max(0, m.start() - 40) : m.start()]
                back = _RETURN_BEFORE.search(before) or _RETURN_AFTER.search(folded[m.end() :])
                if kind in _VAGUE_KINDS and not (
                    back or _UNTIL_STRICT.search(before) or _preposition_until(m)
                ):
                    continue
                # A date that resolves to nothing (past, stale, 31 February) still is that
                # date: "the 1st" in "back on the 1st of December" must not be read again.
                taken.append((m.start(), m.end()))
                found = _to_date(kind, m, today, day_first)
                if found is None or (today is not None and found < today):
                    continue
                calendar_found = calendar_found or kind in _CALENDAR_KINDS or _named_month(m)
                if kind in _VAGUE_KINDS or m.groupdict().get("start") is not None:
                    returns.append(found)
                elif _UNTIL.search(before):
                    untils.append(found + timedelta(days=1))
                elif back:
                    returns.append(found)
                else:
                    # "Out of office on 3 March": a lone date is a day away.
                    untils.append(found + timedelta(days=1))
    if returns:
        return min(returns)
    return max(untils, default=None)


def _preposition_until(m: re.Match[str]) -> bool:
    return m.groupdict().get("prep") in _UNTIL_PREPS


def _named_month(m: re.Match[str]) -> bool:
    return m.groupdict().get("name") is not None


def _to_date(
    kind: str, m: re.Match[str], today: date | None, day_first: bool | None
) -> date | None:
    if kind in _CALENDAR_KINDS:
        return _calendar_date(kind, m.groups(), today, day_first)
    if kind == "month_alone" or (kind == "period" and _named_month(m)):
        return _month_period(m, today)
    if today is None:
        return None
    if kind in ("period", "next_period"):
        return _week_or_month(m, today)
    if kind == "tomorrow":
        return today + timedelta(days=1)
    if kind == "after_tomorrow":
        return today + timedelta(days=2)
    if kind == "day_of_month":
        return _next_day_of_month(today, int(m.group("day")))
    weekday = _WEEKDAYS[m.group("weekday")]
    if kind == "weekday_day":
        return _next_weekday_day(today, weekday, int(m.group("day")))
    return today + timedelta(days=(weekday - today.weekday()) % 7 or 7)


def _calendar_date(
    kind: str, g: tuple[str | Any, ...], today: date | None, day_first: bool | None
) -> date | None:
    if kind == "iso":
        return _safe_date(int(g[0]), int(g[1]), int(g[2]))
    if kind == "dmy":
        readings, year = [(int(g[0]), _MONTHS[g[1]])], g[2]
    elif kind == "mdy":
        readings, year = [(int(g[1]), _MONTHS[g[0]])], g[2]
    else:
        a, sep, b, year = int(g[0]), g[1], int(g[2]), g[3]
        readings = [(a, b)]  # (day, month); dots are always day-first
        if sep == "/":
            both = [r for r in ((a, b), (b, a)) if 1 <= r[1] <= 12 and 1 <= r[0] <= 31]
            readings = list(dict.fromkeys(both))
            if len(readings) == 2 and day_first is not None:
                readings = readings[:1] if day_first else readings[1:]
    if year is not None:
        full = int(year) + (2000 if len(year) == 2 else 0)
        dated = [d for day, month in readings if (d := _safe_date(full, month, day))]
        if today is None or len(dated) < 2:
            return dated[0] if dated else None
        upcoming = [d for d in dated if d >= today]
        return min(upcoming) if upcoming else max(dated)
    if today is None:
        return None
    return _year_less(today, readings)


def _year_less(today: date, readings: list[tuple[int, int]]) -> date | None:
    """The next occurrence of the nearest reading; None when the nearest one just passed."""
    upcoming: list[date] = []
    stale: list[date] = []
    for day, month in readings:
        nxt = [d for y in (today.year, today.year + 1) if (d := _safe_date(y, month, day))]
        nxt = [d for d in nxt if d >= today]
        if nxt:
            upcoming.append(nxt[0])
        prev = [d for y in (today.year - 1, today.year) if (d := _safe_date(y, month, day))]
        prev = [d for d in prev if d < today]
        if prev and (today - prev[-1]).days <= STALE_DAYS:
            stale.append(prev[-1])
    soonest = min(upcoming, default=None)
    if stale and (soonest is None or today - max(stale) < soonest - today):
        return None
    return soonest


def _month_period(m: re.Match[str], today: date | None) -> date | None:
    """A month named without a day: its first day, the 15th ("mid") or its last day ("end")."""
    month = _MONTH_NAMES[m.group("name")]
    if today is None:
        return None
    year = today.year
    last = _last_day(year, month)
    if last < today:
        if (today - last).days <= STALE_DAYS:
            return None
        year, last = year + 1, _last_day(year + 1, month)
    if m.groupdict().get("end") is not None:
        return last
    if m.groupdict().get("mid") is not None:
        return date(year, month, 15)
    return date(year, month, 1)


def _week_or_month(m: re.Match[str], today: date) -> date:
    """This or next week's Monday / Wednesday / Friday, or month's first / 15th / last day."""
    groups = m.groupdict()
    nxt = groups.get("next") is not None or groups.get("next_after") is not None
    edge = next((e for e in ("end", "mid") if groups.get(e) is not None), "start")
    if groups.get("week") is not None or groups.get("week2") is not None:
        monday = today - timedelta(days=today.weekday())
        if nxt:
            monday += timedelta(days=7)
        found = monday + timedelta(days={"start": 0, "mid": 2, "end": 4}[edge])
        # On a weekend, "the end of the week" is the coming one.
        return found + timedelta(days=7) if found < today and not nxt and edge == "end" else found
    year, month = today.year, today.month
    if nxt:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    if edge == "end":
        return _last_day(year, month)
    return date(year, month, 15 if edge == "mid" else 1)


def _last_day(year: int, month: int) -> date:
    first_next = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return first_next - timedelta(days=1)


def _next_weekday_day(today: date, weekday: int, day: int) -> date | None:
    """The next `day` of a month that falls on `weekday` ("Monday the 16th") within three
    months; else the writer got one of them wrong, and the day of the month wins."""
    first = found = _next_day_of_month(today, day)
    for _ in range(3):
        if found is None or found.weekday() == weekday:
            return found
        found = _next_day_of_month(found + timedelta(days=1), day)
    return first


def _next_day_of_month(today: date, day: int) -> date | None:
    """The first `day` of a month on or after today ("the 31st" skips months without one)."""
    year, month = today.year, today.month
    for _ in range(13):
        found = _safe_date(year, month, day)
        if found is not None and found >= today:
            return found
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return None


# Country codes (E.164, prefix-free) whose writers put the year first and vary on the rest.
_YEAR_FIRST_CODES = ("81", "82", "86", "886", "850", "976", "36", "98")


def day_first_for_phone(phone: str | None) -> bool | None:
    """How a lead writes "12/8", guessed from their E.164 number's country: month first in the
    North American plan (+1), unknown where dates start with the year, day first elsewhere."""
    number = (phone or "").strip()
    digits = number[1:]
    if not number.startswith("+") or not (digits.isascii() and digits.isdigit()):
        return None
    if digits.startswith("1"):
        return False
    if digits.startswith(_YEAR_FIRST_CODES):
        return None
    return True


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None
