"""The sequence DSL and the sequences ops ship. Add yours to REGISTRY."""

from __future__ import annotations

from sequences.cold_outbound import COLD_OUTBOUND
from sequences.demo import DEMO
from sequences.dsl import (
    SMS,
    AIDraft,
    Email,
    EmailBody,
    End,
    Message,
    Sequence,
    SequenceError,
    Wait,
    WhatsApp,
)
from sequences.multichannel import MULTICHANNEL

REGISTRY: dict[str, Sequence] = {seq.name: seq for seq in (DEMO, COLD_OUTBOUND, MULTICHANNEL)}


def get_sequence(name: str) -> Sequence | None:
    return REGISTRY.get(name)


__all__ = [
    "REGISTRY",
    "SMS",
    "AIDraft",
    "Email",
    "EmailBody",
    "End",
    "Message",
    "Sequence",
    "SequenceError",
    "Wait",
    "WhatsApp",
    "get_sequence",
]
