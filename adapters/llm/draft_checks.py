"""Guardrails for LLM drafts: too long, leftover placeholders, facts nobody gave the model.

"Facts" are what a reader would take as claims about them or us: numbers (percentages, money,
dates, counts), links, email addresses and proper names. A fact passes when it appears in the
lead's fields, the brief or the step's own template (ops wrote and approved that text);
anything else is treated as invented. So whatever a draft may mention - the sender's name, our
company and product, a case study - belongs in the brief.

The checks are heuristics, and they lean strict: a false alarm costs one retry or the template,
an invented "we cut Globex's costs by 40%" costs the lead's trust. Known limits, on purpose:
- numbers are compared by their digits ("1,200" matches "1200"), and number words ("three")
  are not checked; durations in minutes ("a 15-minute call") are an ask, not a fact, and pass;
- names are capitalised words; at the start of a sentence or line a common word ("Thanks",
  "Curious") passes, anywhere else only the lead data, the brief and a short list (weekdays,
  months, job titles) do; a subject may be Title Case, so each of its words is treated as a
  sentence start;
- the name check only runs for English (`language="en"`): German capitalises every noun, and
  other languages need their own word lists. Numbers, links and addresses are checked always.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from adapters.llm.types import Draft, DraftRequest

_PLACEHOLDERS: tuple[re.Pattern[str], ...] = (
    re.compile(r"\{\{.{0,60}?\}\}|\{%.{0,60}?%\}|\{\{|\}\}|\{%|%\}"),
    re.compile(r"(?<!\{)\{\s*[A-Za-z_][\w.]*\s*\}(?!\})"),
    # "[Name]", "[Your company]"; not a markdown link "[text](url)".
    re.compile(r"\[[A-Za-z][\w .'/-]{0,40}\](?!\()"),
    # "<company>", "<first name>"; an address or link in brackets has "@" or ":" and is skipped.
    re.compile(r"<[A-Za-z][\w .'-]{0,40}>"),
    re.compile(r"\bX{3,}\b|\b(?:TODO|TBD|FIXME|INSERT|PLACEHOLDER)\b|lorem ipsum", re.IGNORECASE),
)
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>()\"']+", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_DOMAIN = re.compile(
    r"\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\."
    r"(?:com|net|org|io|ai|co|dev|app|de|fr|es|it|pt|uk|us|eu|ch|nl|be|at|se)\b",
    re.IGNORECASE,
)
# With its currency and unit, so the problem quotes "$2M" or "42%", not "2" or "42".
_NUMBER = re.compile(r"(?<![^\W\d_])[$€£]?\d+(?:[.,:/]\d+)*(?:\s?%|[kKmM]\b|bn\b)?")
_MINUTES = re.compile(r"\s?-?\s?(?:minutes?|mins?)\b", re.IGNORECASE)
_WORD = re.compile(r"[^\W_][\w'’&-]*")
_PART_SPLIT = re.compile(r"['’&-]+")
_POSSESSIVE = re.compile(r"['’]s$", re.IGNORECASE)
_OPENERS = " \t\"'“‘(*•-–>"


def _wordlist(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Capitalised anywhere without being a name.
_ALWAYS_OK = _wordlist(
    """
    i i'm i'd i'll i've ok okay ps p.s fyi asap re fw fwd
    monday tuesday wednesday thursday friday saturday sunday
    january february march april may june july august september october november december
    ceo cto cfo coo cmo cro cio ciso vp svp evp md gm head director manager founder
    sdr bdr ae am csm hr it ops revops saas b2b b2c crm erp api ai ml
    mr mrs ms dr inc ltd llc gmbh corp co
    """
)
# Common words that start sentences and lines in sales emails: openers, imperatives, sign-offs.
_COMMON_STARTS = _wordlist(
    """
    a about after again all also although an and any anyway are as ask at based be because
    before being best book both but by call can cheers check click come congrats
    congratulations consider could curious dear details did do does don't each either else
    even ever every feel few find first following for free from get give glad go good got
    grab great had happy has have having hello here hey hi hope how however if imagine in
    instead interested is it it's its just keep kind know last learn let let's like likely
    look looking lots love make many maybe meanwhile might mind more most much my need
    never next no nor not note nothing noticed now of often on once one only open or other
    otherwise our out over per perhaps pick picture please plus question quick quickly
    rather reach read really regards reply right saw see seeing send share short should
    simply since sincerely so some sometimes sorry start still such sure take talk tell
    thank thanks that that's the their them then there these they think thinking this
    those though thought three through to today together too totally try two typically
    unless until usually want wanted warm warmly was we we'd we'll we're we've well were
    what what's when where whether which while who why will with wondering worth would
    write yes yet you you'd you'll you're you've your yours
    """
)


def check_draft(draft: Draft, request: DraftRequest) -> list[str]:
    """The problems a human would point out, one line each; empty means the draft may go."""
    problems: list[str] = []
    body = draft.body.strip()
    if not body:
        problems.append("the body is empty")
    if len(draft.body) > request.max_chars:
        problems.append(
            f"the body is {len(draft.body)} characters; the limit for {request.channel} "
            f"is {request.max_chars}"
        )
    if (
        request.channel == "email"
        and request.fallback.subject
        and not (draft.subject or "").strip()
    ):
        problems.append("the email has no subject")
    texts = [draft.body] + ([draft.subject] if draft.subject else [])
    found = _dedupe(m.group(0) for text in texts for p in _PLACEHOLDERS for m in p.finditer(text))
    if found:
        problems.append(f"leftover placeholders: {', '.join(found)}")
    problems.extend(_unsupported_facts(draft, request))
    return problems


def _unsupported_facts(draft: Draft, request: DraftRequest) -> list[str]:
    sources = "\n".join(_source_texts(request))
    lowered = sources.casefold()
    known_numbers = {_digits(m.group(0)) for m in _NUMBER.finditer(sources)}
    known_words = _words(sources)

    links: list[str] = []
    addresses: list[str] = []
    numbers: list[str] = []
    names: list[str] = []
    for text, title_case in ((draft.body, False), (draft.subject or "", True)):
        for m in _EMAIL.finditer(text):
            if m.group(0).casefold() not in lowered:
                addresses.append(m.group(0))
        for pattern in _PLACEHOLDERS:
            text = pattern.sub(" ", text)
        text = _EMAIL.sub(" ", text)
        for m in [*_URL.finditer(text), *_DOMAIN.finditer(_URL.sub(" ", text))]:
            link = m.group(0).rstrip(".,;:!?)")
            if _bare_link(link) not in lowered:
                links.append(link)
        text = _DOMAIN.sub(" ", _URL.sub(" ", text))
        for m in _NUMBER.finditer(text):
            if _MINUTES.match(text, m.end()):
                continue
            if _digits(m.group(0)) not in known_numbers:
                numbers.append(m.group(0))
        if request.language == "en":
            names.extend(_unknown_names(text, known_words, title_case))

    problems = []
    for label, items in (
        ("numbers", numbers),
        ("names", names),
        ("links", links),
        ("email addresses", addresses),
    ):
        if items:
            problems.append(f"{label} not in the lead data or brief: {', '.join(_dedupe(items))}")
    return problems


def _source_texts(request: DraftRequest) -> list[str]:
    texts = [request.brief, request.fallback.body, request.fallback.subject or ""]
    texts += [str(v) for v in request.lead.values() if v is not None]
    return texts


def _unknown_names(text: str, known: set[str], title_case: bool) -> list[str]:
    lower_elsewhere = {w.casefold() for w in _WORD.findall(text) if w[0].islower()}
    unknown: list[str] = []
    for m in _WORD.finditer(text):
        token = _POSSESSIVE.sub("", m.group(0)).rstrip("'’&-")
        # Single letters are initials or "P.S.": the name they belong to is checked on its own.
        if len(token) < 2 or not token[0].isupper():
            continue
        start = title_case or _sentence_start(text, m.start())
        parts = [p for p in _PART_SPLIT.split(token) if p and p[0].isupper()]
        for part in parts:
            key = part.casefold()
            if key in known or key in _ALWAYS_OK or token.casefold() in _ALWAYS_OK:
                continue
            if start and (key in _COMMON_STARTS or key in lower_elsewhere):
                continue
            unknown.append(token)
            break
    return unknown


def _sentence_start(text: str, index: int) -> bool:
    before = text[:index].rstrip(_OPENERS)
    return not before or before[-1] in ".!?:;\n…"


def _words(text: str) -> set[str]:
    words: set[str] = set()
    for w in _WORD.findall(text):
        folded = _POSSESSIVE.sub("", w.casefold())
        words.add(folded)
        words.update(p for p in _PART_SPLIT.split(folded) if p)
    return words


def _digits(number: str) -> str:
    return re.sub(r"\D", "", number)


def _bare_link(link: str) -> str:
    bare = re.sub(r"^(?:https?://)?(?:www\.)?", "", link.casefold())
    return bare.rstrip("/")


def _dedupe(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))
