"""The compiled form of a sequence: JSON-serialisable, hashed, snapshotted by each campaign.

The workflow interprets a `SequenceSpec`; ops write sequences with the DSL in `sequences/`,
which compiles to this. Editing a sequence in code therefore never changes a lead in flight.
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

SendChannel = Literal["EMAIL", "WHATSAPP", "SMS"]


class _Step(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, description="Unique step name inside the sequence")


class SendStep(_Step):
    kind: Literal["send"] = "send"
    channel: SendChannel
    subject: str | None = None
    body: str
    # Follow-ups reply in the thread of the first email of the enrollment.
    thread: bool = False


class WaitStep(_Step):
    kind: Literal["wait"] = "wait"
    seconds: float = Field(gt=0)


class EndStep(_Step):
    kind: Literal["end"] = "end"


Step = Annotated[SendStep | WaitStep | EndStep, Field(discriminator="kind")]


class SequenceSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

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
                "steps": [s.model_dump(mode="json") for s in steps],
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

    @property
    def send_steps(self) -> int:
        return sum(1 for s in self.steps if isinstance(s, SendStep))
