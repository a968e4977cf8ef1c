"""Text helpers for reply classification: cut quoted history and signatures, fold accents.

Both are deliberately line- and character-based rather than clever: a reply that is cut a little
too early costs less than our own footer ("unsubscribe here") being read as the lead's words.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import date, timedelta

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


def _alternation(words: Iterable[str]) -> str:
    # Longest first, so "mars" is not read as "mar" + "s".
    return "|".join(sorted(set(words), key=len, reverse=True))


_MONTH = _alternation(_MONTHS)
_ORD = r"(?:st|nd|rd|th|er|o|°|\.)?"
_CALENDAR: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("iso", re.compile(r"(?<![\d.])(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")),
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
    ("num", re.compile(r"(?<![\d./])(\d{1,2})([./])(\d{1,2})(?:\2(\d{4}|\d{2}))?\.?(?![\d/])")),
)
_RELATIVE: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("weekday", re.compile(rf"\b({_alternation(_WEEKDAYS)})(?:-feira)?\b")),
    ("tomorrow", re.compile(rf"\b({'|'.join(_TOMORROW)})\b")),
    # "until the 14th": a day of the month without one, the next such day. English ordinals
    # only; a bare number ("back in 2 weeks", "room 14") is never a date.
    ("day_of_month", re.compile(r"\b(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)\b")),
)

# Words right before a date that make it the last day away ("until 14 March"): back the day after.
_UNTIL = re.compile(
    r"(?:-|–|(?<!\w)(?:until|till|til|through|thru|to|after|bis|bis einschlie(?:ss|s)lich|nach dem"
    r"|jusqu'(?:au|a|a ce)|au|apres le|hasta|al|despues del|ate|ao|a|depois de|fino al|fino a"
    r"|dopo il|incluso))"
    r"\s*(?:(?:the|le|el|o|il|dem|zum|den|einschlie(?:ss|s)lich|inclusive|including)\s+)*$"
)
# Words near a date that make it the first day back ("back on 16 March", "ab 16.03. wieder").
_RETURN_BEFORE = re.compile(
    r"\b(?:back|return|returning|returns|zuruck|wieder|retour|reviens|reviendrai|rentre"
    r"|rentrerai|reprendrai|regreso|regresare|vuelvo|volvere|de vuelta|reincorporo|retorno"
    r"|retornarei|volto|voltarei|de volta|regressarei|rientro|rientrero|ritorno|tornero|torno)\b"
)
_RETURN_AFTER = re.compile(r"^[^.!?\n]{0,40}\b(?:wieder|zuruck)\b")


def find_return_date(folded: str, today: date | None, day_first: bool = True) -> date | None:
    """The first day back that a folded out-of-office text announces, or None.

    `today` is the day the reply was sent, in the lead's timezone: year-less dates that already
    passed mean next year, and weekdays mean the next such day. Numeric dates are day-first, except
    that with `day_first=False` (English) "03/16" is read month-first when the second number cannot
    be a month; when both could be, day-first wins, because most of our languages write it so.
    """
    returns: list[date] = []
    untils: list[date] = []
    taken: list[tuple[int, int]] = []
    # Weekdays only count when no calendar date is given: "back Monday 16 March" means the 16th.
    for kinds in (_CALENDAR, _RELATIVE):
        for kind, pattern in kinds:
            for m in pattern.finditer(folded):
                if any(m.start() < end and start < m.end() for start, end in taken):
                    continue
                found = _to_date(kind, m, today, day_first)
                if found is None or (today is not None and found < today):
                    continue
                taken.append((m.start(), m.end()))
                before = folded[max(0, m.start() - 40) : m.start()]
                if _UNTIL.search(before):
                    untils.append(found + timedelta(days=1))
                elif _RETURN_BEFORE.search(before) or _RETURN_AFTER.search(folded[m.end() :]):
                    returns.append(found)
                else:
                    # "Out of office on 3 March": a lone date is a day away.
                    untils.append(found + timedelta(days=1))
        if taken:
            break
    if returns:
        return min(returns)
    return max(untils, default=None)


def _to_date(kind: str, m: re.Match[str], today: date | None, day_first: bool) -> date | None:
    g = m.groups()
    if kind == "iso":
        return _safe_date(int(g[0]), int(g[1]), int(g[2]))
    if kind in ("weekday", "tomorrow", "day_of_month"):
        if today is None:
            return None
        if kind == "tomorrow":
            return today + timedelta(days=1)
        if kind == "day_of_month":
            return _next_day_of_month(today, int(g[0]))
        return today + timedelta(days=(_WEEKDAYS[g[0]] - today.weekday()) % 7 or 7)
    if kind == "dmy":
        day, month, year = int(g[0]), _MONTHS[g[1]], g[2]
    elif kind == "mdy":
        day, month, year = int(g[1]), _MONTHS[g[0]], g[2]
    else:
        a, b, year = int(g[0]), int(g[2]), g[3]
        day, month = (b, a) if (not day_first and b > 12 and a <= 12) else (a, b)
    if year is not None:
        full = int(year) + (2000 if len(year) == 2 else 0)
        return _safe_date(full, month, day)
    if today is None:
        return None
    found = _safe_date(today.year, month, day)
    if found is not None and found < today:
        found = _safe_date(today.year + 1, month, day)
    return found


def _next_day_of_month(today: date, day: int) -> date | None:
    """The first `day` of a month on or after today ("the 31st" skips months without one)."""
    year, month = today.year, today.month
    for _ in range(13):
        found = _safe_date(year, month, day)
        if found is not None and found >= today:
            return found
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return None


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None
