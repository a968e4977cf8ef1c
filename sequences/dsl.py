"""The sequence DSL ops write in Python; `Sequence.compile()` gives the workflow's SequenceSpec.

DEMO = Sequence(
    "demo",
    Email("intro", subject="Hi {{ lead.first_name }}", body="..."),
    Wait(seconds=10),
    Email("bump", body="...", thread=True),
)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sequences.templating import TemplateError, check_syntax
from workflows.spec import EndStep, SendStep, SequenceSpec, Step, WaitStep


class SequenceError(ValueError):
    """An invalid sequence; the message names the sequence and the step."""


@dataclass(frozen=True)
class Email:
    id: str
    body: str
    subject: str | None = None
    thread: bool = False

    def compile(self) -> SendStep:
        return SendStep(
            id=self.id, channel="EMAIL", subject=self.subject, body=self.body, thread=self.thread
        )


@dataclass(frozen=True)
class SMS:
    id: str
    body: str

    def compile(self) -> SendStep:
        return SendStep(id=self.id, channel="SMS", body=self.body)


@dataclass(frozen=True)
class WhatsApp:
    id: str
    body: str

    def compile(self) -> SendStep:
        return SendStep(id=self.id, channel="WHATSAPP", body=self.body)


@dataclass(frozen=True)
class Wait:
    days: float = 0
    hours: float = 0
    minutes: float = 0
    seconds: float = 0
    id: str | None = None

    @property
    def total_seconds(self) -> float:
        return ((self.days * 24 + self.hours) * 60 + self.minutes) * 60 + self.seconds

    def compile(self, index: int) -> WaitStep:
        return WaitStep(id=self.id or f"wait-{index}", seconds=self.total_seconds)


@dataclass(frozen=True)
class End:
    id: str = "end"

    def compile(self) -> EndStep:
        return EndStep(id=self.id)


DslStep = Email | SMS | WhatsApp | Wait | End


@dataclass(frozen=True)
class Sequence:
    name: str
    steps: tuple[DslStep, ...] = field(default=())
    description: str = ""

    def __init__(self, name: str, *steps: DslStep, description: str = "") -> None:
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "steps", tuple(steps))
        object.__setattr__(self, "description", description)

    def compile(self) -> SequenceSpec:
        """Validate and compile; raises SequenceError naming the step at fault."""
        if not self.steps:
            raise SequenceError(f"sequence {self.name!r} has no steps")
        compiled: list[Step] = []
        seen: set[str] = set()
        for index, step in enumerate(self.steps, start=1):
            label = f"sequence {self.name!r}, step {index}"
            if isinstance(step, Wait):
                if step.total_seconds <= 0:
                    raise SequenceError(f"{label}: a wait must be longer than zero")
                out: Step = step.compile(index)
            else:
                out = step.compile()
                if isinstance(out, SendStep):
                    _check_send(label, out)
            if out.id in seen:
                raise SequenceError(f"{label}: step id {out.id!r} is used twice")
            seen.add(out.id)
            compiled.append(out)
        return SequenceSpec.build(self.name, tuple(compiled), self.description)


def _check_send(label: str, step: SendStep) -> None:
    label = f"{label} ({step.id!r})"
    if not step.body.strip():
        raise SequenceError(f"{label}: the body is empty")
    if step.channel == "EMAIL" and not step.thread and not (step.subject or "").strip():
        raise SequenceError(f"{label}: an email that starts a thread needs a subject")
    for part, source in (("subject", step.subject), ("body", step.body)):
        if source is None:
            continue
        try:
            check_syntax(source)
        except TemplateError as exc:
            raise SequenceError(f"{label}: {part}: {exc}") from exc
