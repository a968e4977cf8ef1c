"""What a simulation takes and reports; shared by `salespad simulate` and the simulate route."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from services.leads.schemas import LeadCreate
from workflows.contracts import LeadSequenceResult
from workflows.spec import SequenceSpec

TaskAnswer = Literal["done", "skip", "ignore"]


def simulated_lead(**fields: str | None) -> LeadCreate:
    """The lead a simulation enrolls: Ada, in UTC, unless `fields` say otherwise."""
    defaults = {
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "company": "Analytical Engines",
        "timezone": "UTC",
    }
    return LeadCreate.model_validate(defaults | fields)


@dataclass
class Simulation:
    spec: SequenceSpec
    lead: LeadCreate = field(default_factory=simulated_lead)
    # step number -> reply text, arriving right after that step was sent
    replies: dict[int, str] = field(default_factory=dict)
    tasks: TaskAnswer = "done"
    max_days: int = 365
    # When the lead is enrolled (simulated clock); None: now. Only now or later.
    start: datetime | None = None


@dataclass
class TimelineRow:
    """One line of the timeline: a send (step, channel, subject or preview), a reply, or an
    event (label, detail)."""

    at: datetime
    kind: Literal["send", "reply", "event"]
    step: int | None = None
    channel: str | None = None
    subject: str | None = None
    preview: str | None = None
    event: str | None = None
    label: str | None = None
    detail: str | None = None

    @property
    def text(self) -> str:
        """The row as `salespad simulate` prints it (after the time)."""
        if self.kind == "reply":
            return f"reply     {self.preview or ''}"
        if self.kind == "send":
            what = f'"{self.subject}"' if self.subject else (self.preview or "")
            return f"step {self.step:<3} {self.channel or '':9} {what}".rstrip()
        return f"          {self.label}{f': {self.detail}' if self.detail else ''}"


@dataclass
class SimulationRun:
    rows: list[TimelineRow]
    result: LeadSequenceResult


class ReplyAt(BaseModel):
    model_config = ConfigDict(extra="forbid")

    step: int = Field(ge=1, description="The reply arrives right after this step was sent")
    content: str = Field(min_length=1, max_length=10_000, description="The reply's text")

    @field_validator("content")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the reply's text is empty")
        return value.strip()


class SimulateRequest(BaseModel):
    """Everything `salespad simulate` accepts; all optional."""

    model_config = ConfigDict(extra="forbid")

    replies: list[ReplyAt] = Field(default_factory=list, max_length=50)
    timezone: str = Field(default="UTC", description="The lead's IANA timezone")
    start: AwareDatetime | None = Field(
        default=None, description="When the lead is enrolled (ISO 8601 with offset); default now"
    )
    name: str = "Ada Lovelace"
    email: str | None = "ada@example.com"
    phone: str | None = Field(default=None, description="Give the lead a phone (E.164)")
    company: str | None = "Analytical Engines"
    tasks: TaskAnswer = Field(default="done", description="What the human does with tasks")
    preferred_channel: str | None = Field(
        default=None, description="The lead's preferred channel (EMAIL, WHATSAPP, SMS)"
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA timezone {value!r}") from None
        return value


class TimelineEntry(BaseModel):
    at: datetime = Field(description="UTC")
    local: str = Field(description="The same instant in the lead's timezone, ISO 8601")
    local_display: str = Field(description="e.g. 'Tue 2026-12-15 09:00 CET'")
    kind: Literal["send", "reply", "event"]
    step: int | None = None
    channel: str | None = None
    subject: str | None = None
    preview: str | None = None
    event: str | None = Field(default=None, description="The event type, for kind=event")
    label: str | None = None
    detail: str | None = None
    text: str = Field(description="The line as `salespad simulate` prints it")


class SimulationOutcome(BaseModel):
    outcome: str
    sends: int
    last_step: int | None = None
    reason: str = ""
    days: float = Field(description="From the first to the last timeline entry")


class SimulationReport(BaseModel):
    sequence: str
    version: str
    timezone: str
    lead: str
    timeline: list[TimelineEntry]
    ended: SimulationOutcome
