"""The deterministic reply classifier used when no LLM is configured.

Rules run in a fixed order of precedence and the first that fires decides, so every result can
be explained by one phrase:

    bounce > unsubscribe > out_of_office > referral > wrong_person > auto_reply
           > not_interested > interested > question > other

Why this order: a bounce is not a person; an unsubscribe must be honoured whatever else the
reply says; someone away cannot be "interested" yet (the sequence must wait for the return date);
a handover names the person to write to next, even inside an automatic "has left" notice;
negative phrases are checked before positive ones, so "not interested" never reads as interested.
Anything weaker than CONFIDENCE_THRESHOLD becomes `other`, for a human to look at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from adapters.llm import phrases
from adapters.llm.text import find_return_date, fold, strip_reply
from adapters.llm.types import Intent, Referral, ReplyClassification, ReplyInput

CONFIDENCE_THRESHOLD = 0.6


@dataclass(frozen=True)
class _Rule:
    lang: str
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class _Hit:
    lang: str
    start: int
    end: int
    phrase: str


def _compile(pattern: str) -> re.Pattern[str]:
    source = "".join(c if c.isascii() else fold(c) for c in pattern).replace(" ", r"\s+")
    return re.compile(rf"(?<!\w)(?:{source})(?!\w)", re.MULTILINE)


def compile_table(table: phrases.Table) -> tuple[_Rule, ...]:
    return tuple(_Rule(lang, _compile(p)) for lang, group in table.items() for p in group)


def _hits(rules: tuple[_Rule, ...], text: str, *, negatable: bool = False) -> list[_Hit]:
    found = [
        _Hit(rule.lang, m.start(), m.end(), m.group(0))
        for rule in rules
        for m in rule.pattern.finditer(text)
        if not (negatable and _NEGATION.search(text, max(0, m.start() - 30), m.start()))
    ]
    return sorted(found, key=lambda h: h.start)


_BOUNCE = compile_table(phrases.BOUNCE)
_UNSUBSCRIBE = compile_table(phrases.UNSUBSCRIBE)
_STOP_ALONE = _compile(phrases.STOP_ALONE)
_OOO = compile_table(phrases.OUT_OF_OFFICE)
_AUTO = compile_table(phrases.AUTO_REPLY)
_WRONG = compile_table(phrases.WRONG_PERSON)
_REFERRAL = compile_table(phrases.REFERRAL)
_REFERRAL_CONTACT = compile_table(phrases.REFERRAL_CONTACT)
_NOT_INTERESTED = compile_table(phrases.NOT_INTERESTED)
_INTERESTED = compile_table(phrases.INTERESTED)
_PRICING = compile_table(phrases.PRICING)
_QUESTION_WORDS = compile_table(phrases.QUESTION_WORDS)
_AFFIRMATIVE = _compile(phrases.AFFIRMATIVE)
# Not via _compile: it must end exactly where the phrase starts, not on a word boundary.
_NEGATION = re.compile(
    "(?<!\\w)"
    + "".join(c if c.isascii() else fold(c) for c in phrases.NEGATION).replace(" ", r"\s+")
)
_STOPWORDS = compile_table(phrases.STOPWORDS)

# "Re:", "AW:", "RE: Fwd:" ... in front of a subject: the lead did not write them.
_SUBJECT_PREFIX = re.compile(r"^\s*((re|aw|sv|wg|fw|fwd|tr|rv|r|res|enc|rif|i)\s*:\s*)+", re.I)
_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
# A capitalised name part: "Jane", "O'Brien", "Jean-Luc"; never "I'm" or "CEO".
_CAP = r"[A-ZÀ-ÖØ-Þ](?:[a-zà-öø-ÿ]+|['’][A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ]+)(?:-[A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ]+)?"
_TITLE = (
    r"(?:(?:Herrn|Herr|Frau|Mr|Mrs|Ms|Dr|M|Mme|Sr|Sra|Sig|Sig\.ra|Dott|Dott\.ssa)\.?[ \t]+){0,2}"
)
_PARTICLE = r"(?:[ \t]+(?:de|da|do|dos|van|von|di|del|du|le))?"
_NAME = rf"{_TITLE}{_CAP}(?:{_PARTICLE}[ \t]+{_CAP}){{0,2}}"
_NAME_AFTER = re.compile(rf"[ \t]*[:,–-]?[ \t]*({_NAME})")
_NAME_BEFORE_EMAIL = re.compile(rf"({_NAME})[ \t]*[:(<\[]?[ \t]*$")
_NAME_BEFORE = re.compile(rf"({_NAME})[ \t]*(?:[(<\[][^)>\]\n]*[)>\]])?[ \t]*,?[ \t]*$")
_NOT_NAMES = {"She", "He", "They", "We", "Sie", "Er", "Elle", "Il", "Ella", "Ele", "Ela", "Lei"}
# Verbs that put the name in front of the phrase: "Jane is the right person".
_NAME_FIRST = re.compile(r"^(is|would|who|he|she|they|ist|wäre|est|serait|es|sería|é|seria|è)\b")


class OfflineClassifier:
    """Pure and deterministic: the same reply always gets the same classification."""

    def classify(self, reply: ReplyInput) -> ReplyClassification:
        headers = {k.lower(): v.strip().lower() for k, v in reply.headers.items()}
        body = strip_reply(reply.text)
        text = fold(body)
        subject = _SUBJECT_PREFIX.sub("", reply.subject or "")
        subj = fold(subject)
        replied = bool(_SUBJECT_PREFIX.match(reply.subject or ""))
        lang = _language(text)

        def result(intent: Intent, confidence: float, reason: str) -> ReplyClassification:
            return ReplyClassification(
                intent=intent, confidence=confidence, reason=reason, source="offline"
            )

        if bounce := _bounce(headers, subj, text):
            return result(Intent.BOUNCE, 0.97, bounce)

        if hit := _first(_UNSUBSCRIBE, text, negatable=True):
            return result(Intent.UNSUBSCRIBE, 0.95, _why("unsubscribe", hit))
        if _STOP_ALONE.search(text):
            return result(Intent.UNSUBSCRIBE, 0.9, "the reply is just 'STOP'")
        # A subject the lead typed themselves (no "Re:") counts; our own subjects do not.
        if not replied and (
            hit := _first(_UNSUBSCRIBE, subj, negatable=True) or _hit_of(_STOP_ALONE, subj)
        ):
            return result(Intent.UNSUBSCRIBE, 0.9, _why("unsubscribe", hit, "in subject"))

        auto = _auto_header(headers)
        referral = _referral(body, text)
        if hit := _first(_OOO, text) or _first(_OOO, subj):
            today = _local_day(reply)
            # The lead's locale decides "12/8" when known; else the other five languages all
            # write the day first, and English leaves it to the nearer reading.
            day_first = reply.day_first if reply.day_first is not None else (lang != "en" or None)
            back = find_return_date(text + "\n" + subj, today, day_first=day_first)
            out = result(Intent.OUT_OF_OFFICE, 0.95 if auto else 0.9, _why("out-of-office", hit))
            return out.model_copy(update={"return_date": back, "referral": referral[1]})

        # "Not the right person" only becomes a referral when it names who is.
        wrong = _first(_WRONG, text)
        ref_hit, ref = referral
        if ref_hit is not None and (ref is not None or wrong is None):
            out = result(Intent.REFERRAL, 0.9 if ref else 0.75, _why("referral", ref_hit))
            return out.model_copy(update={"referral": ref})
        if wrong:
            return result(Intent.WRONG_PERSON, 0.85, _why("wrong-person", wrong))

        if auto:
            return result(
                Intent.AUTO_REPLY, 0.9, f"auto-reply header {auto}, no out-of-office text"
            )
        if hit := _first(_AUTO, text) or _first(_AUTO, subj):
            return result(Intent.AUTO_REPLY, 0.8, _why("auto-reply", hit))

        if hit := _first(_NOT_INTERESTED, text):
            return result(Intent.NOT_INTERESTED, 0.85, _why("not-interested", hit))
        if hits := _hits(_INTERESTED, text, negatable=True):
            conf = 0.9 if len(hits) > 1 else 0.85
            return result(Intent.INTERESTED, conf, _why("interested", hits[0]))
        if hit := _first(_INTERESTED, text):
            return result(Intent.NOT_INTERESTED, 0.7, _why("negated interested", hit))

        asked = "?" in text or "¿" in text
        if hit := _first(_PRICING, text):
            conf = 0.85 if asked else 0.7
            return result(Intent.QUESTION, conf, _why("pricing question", hit))
        if asked and (hit := _first(_QUESTION_WORDS, text)):
            return result(Intent.QUESTION, 0.75, _why("question", hit, "with '?'"))

        weak = _weak_guess(text, reply.last_outbound, asked)
        if weak and weak[1] >= CONFIDENCE_THRESHOLD:
            return result(*weak)
        guess = f"; best guess {weak[0]} at {weak[1]:.2f} ({weak[2]})" if weak else ""
        return result(
            Intent.OTHER, 0.5, f"no rule matched with confidence ≥ {CONFIDENCE_THRESHOLD}{guess}"
        )


def _first(rules: tuple[_Rule, ...], text: str, *, negatable: bool = False) -> _Hit | None:
    found = _hits(rules, text, negatable=negatable)
    return found[0] if found else None


def _hit_of(pattern: re.Pattern[str], text: str) -> _Hit | None:
    m = pattern.search(text)
    return _Hit("any", m.start(), m.end(), m.group(0)) if m else None


def _why(what: str, hit: _Hit, where: str = "") -> str:
    phrase = " ".join(hit.phrase.split())
    return f"{what} phrase '{phrase}' ({hit.lang}){' ' + where if where else ''}"


def _language(text: str) -> str:
    counts = {lang: 0 for lang in phrases.LANGS}
    for hit in _hits(_STOPWORDS, text):
        counts[hit.lang] += 1
    # Ties go to the first language in LANGS (English), the lingua franca of cold email.
    return max(phrases.LANGS, key=lambda lang: counts[lang])


def _bounce(headers: dict[str, str], subj: str, text: str) -> str | None:
    sender = headers.get("from", "") + " " + headers.get("return-path", "")
    if "mailer-daemon" in sender or "postmaster" in sender:
        return "sent by the mailer daemon"
    if "x-failed-recipients" in headers or "delivery-status" in headers.get("content-type", ""):
        return "delivery status report headers"
    if hit := _first(_BOUNCE, subj) or _first(_BOUNCE, text):
        return _why("bounce", hit)
    return None


def _auto_header(headers: dict[str, str]) -> str | None:
    auto_submitted = headers.get("auto-submitted")
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}"
    for name in ("x-autoreply", "x-autorespond"):
        if name in headers:
            return name.title()
    if headers.get("precedence") in ("bulk", "auto_reply", "junk"):
        return f"Precedence: {headers['precedence']}"
    return None


def _local_day(reply: ReplyInput) -> date | None:
    if reply.sent_at is None:
        return None
    sent = reply.sent_at if reply.sent_at.tzinfo else reply.sent_at.replace(tzinfo=UTC)
    try:
        zone = ZoneInfo(reply.timezone) if reply.timezone else UTC
    except (ZoneInfoNotFoundError, ValueError):
        zone = UTC
    return sent.astimezone(zone).date()


def _referral(body: str, text: str) -> tuple[_Hit | None, Referral | None]:
    """The handover phrase and whom it names; a bare "contact ..." needs a name or address."""
    strong = _hits(_REFERRAL, text)
    hits = strong + _hits(_REFERRAL_CONTACT, text)
    # Each phrase may carry a different part: "I've forwarded your email to Mark Chen ... cc'd".
    names = [n for h in hits if (n := _name_near(body, h))]
    for hit in hits:
        email = _email_near(body, hit, names[0] if names else None)
        if email or names:
            name = names[0] if names else _name_before_email(body, email)
            return hit, Referral(name=name, email=email)
    return (strong[0], None) if strong else (None, None)


def _name_before_email(body: str, email: str | None) -> str | None:
    if email is None:
        return None
    at = body.find(email)
    m = _NAME_BEFORE_EMAIL.search(body, 0, at)
    return m.group(1) if m and m.group(1).split()[0] not in _NOT_NAMES else None


def _name_near(body: str, hit: _Hit) -> str | None:
    m = _NAME_AFTER.match(body, hit.end)
    if (not m or not m.group(1)) and _NAME_FIRST.match(hit.phrase):
        m = _NAME_BEFORE.search(body, 0, hit.start)
    if m and m.group(1) and m.group(1).split()[0] not in _NOT_NAMES:
        return m.group(1)
    return None


def _email_near(body: str, hit: _Hit, name: str | None) -> str | None:
    # Same line as the phrase, or the next one; further away it is likely the lead's signature,
    # unless the address visibly belongs to the person just named.
    line_start = body.rfind("\n", 0, hit.start) + 1
    nl = body.find("\n", hit.end)
    next_end = body.find("\n", nl + 1) if nl != -1 else -1
    near = body[line_start : len(body) if next_end == -1 else next_end]
    emails = _EMAIL.findall(near)
    if emails:
        after = [e for e in emails if near.find(e) >= hit.start - line_start]
        return str((after or emails)[0])
    tokens = [fold(t) for t in (name or "").split() if len(t) > 2]
    for e in _EMAIL.findall(body):
        if any(t in fold(e.split("@")[0]) for t in tokens):
            return str(e)
    return None


def _weak_guess(
    text: str, last_outbound: str | None, asked: bool
) -> tuple[Intent, float, str] | None:
    if _AFFIRMATIVE.search(text) and len(text.split()) <= 6:
        if last_outbound and "?" in last_outbound:
            return Intent.INTERESTED, 0.7, "short yes to our question"
        return Intent.INTERESTED, 0.5, "short yes, but our last message asked nothing"
    if asked:
        return Intent.QUESTION, 0.5, "a '?' without a question word"
    return None
