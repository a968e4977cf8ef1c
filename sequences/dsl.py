"""The sequence DSL ops write in Python; `Sequence.compile()` gives the workflow's SequenceSpec.

COLD = Sequence(
    "cold",
    Email("intro", subject="Hi {{ lead.first_name }}", body="..."),
    Wait(days=2, window=BusinessHours("09:00", "17:00", days="mon-fri")),
    Email("bump", body="...", thread=True, ai=AIDraft(brief="...", approve=True)),
    Branch(when=HasPhone(), then="wa", otherwise="li"),
    WhatsApp("wa", body="..."),
    Message("nudge", email=EmailBody(subject="...", body="..."), whatsapp="...", sms="..."),
    LinkedInTask("li", action="connect", note="...", due=timedelta(days=2)),
    End(),
)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sequences.templating import TemplateError, check_syntax, check_variables
from workflows.spec import (
    AIDraftSpec,
    ArmIs,
    BranchStep,
    ChannelBody,
    Condition,
    EndStep,
    HasEmail,
    HasPhone,
    LeadField,
    ReplyIntentIs,
    SendStep,
    SendWindow,
    SequenceSpec,
    Step,
    TaskStep,
    Variant,
    WaitStep,
)

__all__ = [
    "SMS",
    "AIDraft",
    "ArmIs",
    "Branch",
    "BusinessHours",
    "Email",
    "EmailBody",
    "End",
    "HasEmail",
    "HasPhone",
    "LeadField",
    "LinkedInTask",
    "ManualTask",
    "Message",
    "ReplyIntentIs",
    "Sequence",
    "SequenceError",
    "Variant",
    "Wait",
    "WhatsApp",
]

_DAYS = {"mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7}


class SequenceError(ValueError):
    """An invalid sequence; the message names the sequence and the step."""


def BusinessHours(start: str = "09:00", end: str = "17:00", days: str = "mon-fri") -> SendWindow:
    """`days` as "mon-fri", "mon,wed,fri" or "sat-sun"."""
    numbers: list[int] = []
    for part in days.lower().split(","):
        first, _, last = part.strip().partition("-")
        a, b = _DAYS[first], _DAYS[last or first]
        numbers.extend(range(a, b + 1) if a <= b else [*range(a, 8), *range(1, b + 1)])
    return SendWindow(start=start, end=end, days=tuple(sorted(set(numbers))))


# An AI draft's default length per channel: one SMS segment pair, a short email.
_DEFAULT_MAX_CHARS = {"EMAIL": 1200, "SMS": 320, "WHATSAPP": 1000}


@dataclass(frozen=True)
class AIDraft:
    """An LLM drafts the step from the lead's data and `brief` (every fact it may use); the
    step's template is what goes out when drafting fails, the checks fail or a human rejects."""

    brief: str
    max_chars: int | None = None  # None: the channel's default
    approve: bool = False
    approval_timeout: timedelta = timedelta(days=1)

    def compile(self, channel: str) -> AIDraftSpec:
        return AIDraftSpec(
            brief=self.brief,
            max_chars=_DEFAULT_MAX_CHARS[channel] if self.max_chars is None else self.max_chars,
            approve=self.approve,
            approval_timeout_seconds=self.approval_timeout.total_seconds(),
        )


@dataclass(frozen=True)
class Email:
    id: str
    body: str
    subject: str | None = None
    thread: bool = False
    variants: tuple[Variant, ...] = ()
    ai: AIDraft | None = None

    def compile(self) -> SendStep:
        return SendStep(
            id=self.id,
            channel="EMAIL",
            subject=self.subject,
            body=self.body,
            thread=self.thread,
            variants=self.variants,
            ai=self.ai.compile("EMAIL") if self.ai else None,
        )


@dataclass(frozen=True)
class SMS:
    id: str
    body: str
    variants: tuple[Variant, ...] = ()
    ai: AIDraft | None = None

    def compile(self) -> SendStep:
        return SendStep(
            id=self.id,
            channel="SMS",
            body=self.body,
            variants=self.variants,
            ai=self.ai.compile("SMS") if self.ai else None,
        )


@dataclass(frozen=True)
class WhatsApp:
    id: str
    body: str
    content_sid: str | None = None  # approved template for outside the 24 h window
    variants: tuple[Variant, ...] = ()
    ai: AIDraft | None = None

    def compile(self) -> SendStep:
        return SendStep(
            id=self.id,
            channel="WHATSAPP",
            body=self.body,
            content_sid=self.content_sid,
            variants=self.variants,
            ai=self.ai.compile("WHATSAPP") if self.ai else None,
        )


@dataclass(frozen=True)
class EmailBody:
    """The email version of a Message step."""

    body: str
    subject: str | None = None


_MESSAGE_CHANNELS = ("EMAIL", "WHATSAPP", "SMS")


@dataclass(frozen=True)
class Message:
    """One send, written for several channels. It goes out on the lead's preferred channel when
    this step has a body for it and the lead can receive it there (an address, not suppressed);
    otherwise on `default`. `thread` applies when it goes out by email."""

    id: str
    email: EmailBody | None = None
    whatsapp: str | None = None
    sms: str | None = None
    default: str = "EMAIL"
    thread: bool = False
    whatsapp_content_sid: str | None = None  # approved template for outside the 24 h window

    def bodies(self) -> dict[str, ChannelBody]:
        """The channels this step has a body for, in EMAIL, WHATSAPP, SMS order."""
        out: dict[str, ChannelBody] = {}
        if self.email is not None:
            out["EMAIL"] = ChannelBody(
                channel="EMAIL", subject=self.email.subject, body=self.email.body
            )
        if self.whatsapp is not None:
            out["WHATSAPP"] = ChannelBody(
                channel="WHATSAPP", body=self.whatsapp, content_sid=self.whatsapp_content_sid
            )
        if self.sms is not None:
            out["SMS"] = ChannelBody(channel="SMS", body=self.sms)
        return out

    def compile(self) -> SendStep:
        bodies = self.bodies()
        main = bodies.pop(self.default)
        return SendStep(
            id=self.id,
            channel=main.channel,
            subject=main.subject,
            body=main.body,
            thread=self.thread,
            content_sid=main.content_sid,
            alternatives=tuple(bodies.values()),
        )


@dataclass(frozen=True)
class Wait:
    days: float = 0
    hours: float = 0
    minutes: float = 0
    seconds: float = 0
    window: SendWindow | None = None
    id: str | None = None

    @property
    def total_seconds(self) -> float:
        return ((self.days * 24 + self.hours) * 60 + self.minutes) * 60 + self.seconds


@dataclass(frozen=True)
class LinkedInTask:
    id: str
    action: str  # connect, message, view_profile
    note: str
    due: timedelta = timedelta(days=2)

    def compile(self) -> TaskStep:
        return TaskStep(
            id=self.id,
            task_type="linkedin",
            action=self.action,
            instructions=self.note,
            due_seconds=self.due.total_seconds(),
        )


@dataclass(frozen=True)
class ManualTask:
    id: str
    instructions: str
    action: str = "manual"
    due: timedelta = timedelta(days=1)

    def compile(self) -> TaskStep:
        return TaskStep(
            id=self.id,
            task_type="manual",
            action=self.action,
            instructions=self.instructions,
            due_seconds=self.due.total_seconds(),
        )


@dataclass(frozen=True)
class Branch:
    when: Condition
    then: str
    otherwise: str | None = None
    id: str | None = None


@dataclass(frozen=True)
class End:
    id: str = "end"


DslStep = Email | SMS | WhatsApp | Message | Wait | LinkedInTask | ManualTask | Branch | End


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
            out = _compile_step(step, index, label)
            if out.id in seen:
                raise SequenceError(f"{label}: step id {out.id!r} is used twice")
            seen.add(out.id)
            compiled.append(out)
        _check_threads(self.name, compiled)
        for index, out in enumerate(compiled, start=1):
            if isinstance(out, BranchStep):
                for target in (out.then, out.otherwise):
                    if target is not None and target not in seen:
                        raise SequenceError(
                            f"sequence {self.name!r}, step {index} ({out.id!r}): "
                            f"jumps to {target!r}, which is not a step of this sequence"
                        )
        return SequenceSpec.build(self.name, tuple(compiled), self.description)


def _compile_step(step: DslStep, index: int, label: str) -> Step:
    if isinstance(step, Wait):
        if step.total_seconds <= 0:
            raise SequenceError(f"{label}: a wait must be longer than zero")
        return WaitStep(
            id=step.id or f"wait-{index}", seconds=step.total_seconds, window=step.window
        )
    if isinstance(step, Branch):
        return BranchStep(
            id=step.id or f"branch-{index}",
            when=step.when,
            then=step.then,
            otherwise=step.otherwise,
        )
    if isinstance(step, End):
        return EndStep(id=step.id)
    if isinstance(step, Email | SMS | WhatsApp) and step.ai is not None:
        _check_ai(f"{label} ({step.id!r})", step.ai)
    if isinstance(step, Message):
        _check_message(f"{label} ({step.id!r})", step)
    out = step.compile()
    if isinstance(out, SendStep):
        _check_send(label, out)
    else:
        _check_template(f"{label} ({out.id!r})", "instructions", out.instructions)
    return out


def _check_message(label: str, step: Message) -> None:
    if step.default not in _MESSAGE_CHANNELS:
        raise SequenceError(
            f"{label}: default must be one of {', '.join(_MESSAGE_CHANNELS)}, not {step.default!r}"
        )
    if step.default not in step.bodies():
        raise SequenceError(
            f"{label}: no body for its default channel {step.default} "
            f"(give it {step.default.lower()}=...)"
        )
    if step.email is not None and not (step.email.subject or "").strip():
        # Earlier steps may have gone out by text, so there may be no thread to take one from.
        raise SequenceError(f"{label}: email body: a Message step's email needs a subject")


def _check_send(label: str, step: SendStep) -> None:
    label = f"{label} ({step.id!r})"
    # A Message step names each body by its channel, so ops know which one is at fault.
    main = f"{step.channel.lower()} body" if step.alternatives else "body"
    bodies = (
        [(step.channel, main, step.subject, step.body)]
        + [
            (step.channel, f"variant {v.name!r}", v.subject or step.subject, v.body)
            for v in step.variants
        ]
        + [(a.channel, f"{a.channel.lower()} body", a.subject, a.body) for a in step.alternatives]
    )
    for channel, part, subject, body in bodies:
        if not body.strip():
            raise SequenceError(f"{label}: {part}: the body is empty")
        if channel == "EMAIL" and not step.thread and not (subject or "").strip():
            raise SequenceError(f"{label}: an email that starts a thread needs a subject")
        _check_template(label, f"{part} subject", subject)
        _check_template(label, part, body)


def _check_threads(name: str, steps: list[Step]) -> None:
    """A threaded email without a subject takes "Re: <first subject>"; after Message steps that
    may all have gone out by text there may be no first email, so it needs one of its own."""
    email_before = message_before = False
    for index, step in enumerate(steps, start=1):
        if not isinstance(step, SendStep):
            continue
        if step.alternatives:
            message_before = True
        elif step.channel == "EMAIL":
            if step.thread and not step.subject and message_before and not email_before:
                raise SequenceError(
                    f"sequence {name!r}, step {index} ({step.id!r}): a threaded email after "
                    "Message steps needs a subject (or an Email step before it): the Message "
                    "steps may have gone out by text"
                )
            email_before = True


def _check_ai(label: str, ai: AIDraft) -> None:
    # Checked here so ops get the step's name, not a pydantic error about AIDraftSpec.
    if not ai.brief.strip():
        raise SequenceError(f"{label}: the AI brief is empty")
    if ai.max_chars is not None and ai.max_chars <= 0:
        raise SequenceError(f"{label}: the AI draft's max_chars must be more than zero")
    if ai.approve and ai.approval_timeout <= timedelta(0):
        raise SequenceError(f"{label}: the approval timeout must be longer than zero")


def _check_template(label: str, part: str, source: str | None) -> None:
    if source is None:
        return
    try:
        check_syntax(source)
        check_variables(source)
    except TemplateError as exc:
        raise SequenceError(f"{label}: {part}: {exc}") from exc
