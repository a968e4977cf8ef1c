"""What a reply classifier and a drafter take in and hand back, shared by the offline and the
LLM paths.

Plain pydantic models without I/O, so a classification can cross a Temporal activity boundary and
be stored as it is.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field


class Intent(StrEnum):
    INTERESTED = "interested"
    NOT_INTERESTED = "not_interested"
    OUT_OF_OFFICE = "out_of_office"
    UNSUBSCRIBE = "unsubscribe"
    REFERRAL = "referral"
    QUESTION = "question"
    WRONG_PERSON = "wrong_person"
    AUTO_REPLY = "auto_reply"
    BOUNCE = "bounce"
    OTHER = "other"


class ReplyInput(BaseModel):
    """One inbound reply, as the channel received it."""

    text: str
    subject: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    # When the reply was received (timezone-aware); relative dates in it are resolved from here.
    sent_at: datetime | None = None
    # The lead's IANA timezone: "back Monday" means the lead's Monday, not the server's.
    timezone: str | None = None
    last_outbound: str | None = None
    # How the lead writes numeric dates, when their locale is known: True for 14/12, False for
    # 12/14 (US). It only decides dates that read both ways ("12/8"); None leaves it to the text.
    day_first: bool | None = None


class Referral(BaseModel):
    name: str | None = None
    email: str | None = None


class ReplyClassification(BaseModel):
    intent: Intent
    confidence: float = Field(ge=0.0, le=1.0)
    # First day the person is back, for out_of_office replies that say so.
    return_date: date | None = None
    referral: Referral | None = None
    # One line a human can check: which rule or phrase decided.
    reason: str
    source: Literal["offline", "llm"]
    # LLM path: the model, the messages sent and the raw output, kept in the event log so
    # "why did it decide that?" has an answer later.
    audit: dict[str, Any] | None = None


class Draft(BaseModel):
    subject: str | None = Field(None, description="Email subject line; null for other channels.")
    body: str = Field(description="The message text, plain text, no placeholders.")


class DraftRequest(BaseModel):
    lead: dict[str, str | int | float | None]
    # What the message should do and every fact it may use: sender, our product, proof points.
    brief: str
    channel: str
    max_chars: int = Field(gt=0)
    # The step's template, already rendered by the caller: what goes out if drafting fails.
    fallback: Draft
    language: str = "en"
