"""The compiled form of a sequence: JSON-serialisable, hashed, snapshotted by each campaign.

The workflow interprets a `SequenceSpec`; ops write sequences with the DSL in `sequences/`,
which compiles to this. Editing a sequence in code therefore never changes a lead in flight.
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

SendChannel = Literal["EMAIL", "WHATSAPP", "SMS"]
TaskType = Literal["linkedin", "manual"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# 00:00 to 23:59: a window that can never open is refused when the sequence is compiled.
CLOCK_PATTERN = r"^(?:[01]\d|2[0-3]):[0-5]\d$"


def _not_bool(value: object) -> object:
    if isinstance(value, bool):  # JSON true is not Monday
        raise ValueError("must be an ISO weekday number, 1 = Monday ... 7 = Sunday")
    return value


IsoWeekday = Annotated[int, Field(ge=1, le=7), BeforeValidator(_not_bool)]


class SendWindow(_Frozen):
    """Local business hours: `days` are ISO weekdays (1 = Monday ... 7 = Sunday)."""

    start: str = Field(default="09:00", pattern=CLOCK_PATTERN)
    end: str = Field(default="17:00", pattern=CLOCK_PATTERN)
    days: tuple[IsoWeekday, ...] = Field(default=(1, 2, 3, 4, 5), min_length=1)


class Variant(_Frozen):
    """One arm of an A/B test on a send step."""

    name: str
    weight: float = Field(default=1.0, gt=0)
    subject: str | None = None
    body: str


class AIDraftSpec(_Frozen):
    """An LLM writes the message from the lead's data and the brief; the step's template is
    the fallback, so an AI step always has something safe to send."""

    brief: str = Field(
        min_length=1,
        pattern=r"\S",
        description="What the message should do and every fact it may use",
    )
    max_chars: int = Field(gt=0)
    # A human approves, edits or rejects the draft before it goes out.
    approve: bool = False
    # No answer by then: the template goes out.
    approval_timeout_seconds: float = Field(default=86_400, gt=0)


class ChannelBody(_Frozen):
    """A Message step's body for a channel other than its default one."""

    channel: SendChannel
    subject: str | None = None
    body: str
    content_sid: str | None = None


class _Step(_Frozen):
    id: str = Field(min_length=1, description="Unique step name inside the sequence")


class SendStep(_Step):
    kind: Literal["send"] = "send"
    channel: SendChannel
    subject: str | None = None
    body: str
    # Follow-ups reply in the thread of the first email of the enrollment.
    thread: bool = False
    variants: tuple[Variant, ...] = ()
    # WhatsApp: the approved template to send outside the 24 h session window.
    content_sid: str | None = None
    ai: AIDraftSpec | None = None
    # A Message step: bodies for other channels. The send activity uses the lead's preferred
    # channel when there is a body for it and the lead can receive it there, else `channel`.
    alternatives: tuple[ChannelBody, ...] = ()

    @property
    def channels(self) -> tuple[SendChannel, ...]:
        """Every channel this step has a body for, its default first."""
        return (self.channel, *(a.channel for a in self.alternatives))

    def on(self, channel: str) -> SendStep:
        """This step as a plain send on `channel` (its default channel: itself)."""
        for alt in self.alternatives:
            if alt.channel == channel and channel != self.channel:
                return self.model_copy(
                    update={
                        "channel": alt.channel,
                        "subject": alt.subject,
                        "body": alt.body,
                        "content_sid": alt.content_sid,
                        "variants": (),
                        "alternatives": (),
                    }
                )
        return self


class WaitStep(_Step):
    kind: Literal["wait"] = "wait"
    seconds: float = Field(gt=0)
    window: SendWindow | None = None


class TaskStep(_Step):
    """A human does it (LinkedIn has no messaging API for this): the workflow waits."""

    kind: Literal["task"] = "task"
    task_type: TaskType
    action: str = Field(description="connect, message, view_profile, call, ...")
    instructions: str
    due_seconds: float = Field(gt=0)


class HasPhone(_Frozen):
    type: Literal["has_phone"] = "has_phone"


class HasEmail(_Frozen):
    type: Literal["has_email"] = "has_email"


class ReplyIntentIs(_Frozen):
    type: Literal["reply_intent"] = "reply_intent"
    intents: tuple[str, ...]


class ArmIs(_Frozen):
    type: Literal["ab_arm"] = "ab_arm"
    arm: str


class LeadField(_Frozen):
    """`metadata.<key>` or a lead column; `equals=None` means "is set and not empty"."""

    type: Literal["lead_field"] = "lead_field"
    field: str
    equals: str | None = None


Condition = Annotated[
    HasPhone | HasEmail | ReplyIntentIs | ArmIs | LeadField, Field(discriminator="type")
]


class BranchStep(_Step):
    kind: Literal["branch"] = "branch"
    when: Condition
    then: str
    otherwise: str | None = Field(default=None, description="None: the next step")


class EndStep(_Step):
    kind: Literal["end"] = "end"


Step = Annotated[SendStep | WaitStep | TaskStep | BranchStep | EndStep, Field(discriminator="kind")]


def _hashed(step: Step) -> dict[str, object]:
    data = step.model_dump(mode="json")
    # Fields added later are left out while unset, so a sequence nobody edited keeps its version.
    if isinstance(step, SendStep):
        if step.ai is None:
            data.pop("ai")
        if not step.alternatives:
            data.pop("alternatives")
    return data


class SequenceSpec(_Frozen):
    name: str
    description: str = ""
    steps: tuple[Step, ...]
    version: str = Field(description="Content hash of name + steps: changes whenever they do")

    @staticmethod
    def content_hash(name: str, description: str, steps: tuple[Step, ...]) -> str:
        payload = json.dumps(
            {
                "name": name,
                "description": description,
                "steps": [_hashed(s) for s in steps],
            },
            sort_keys=True,
            separators=(",", ":"),
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:12]

    @classmethod
    def build(cls, name: str, steps: tuple[Step, ...], description: str = "") -> SequenceSpec:
        return cls(
            name=name,
            description=description,
            steps=steps,
            version=cls.content_hash(name, description, steps),
        )

    def index_of(self, step_id: str) -> int:
        for index, step in enumerate(self.steps):
            if step.id == step_id:
                return index
        raise KeyError(step_id)

    @property
    def send_steps(self) -> int:
        return sum(1 for s in self.steps if isinstance(s, SendStep))
