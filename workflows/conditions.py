"""Branch conditions, evaluated on lead facts loaded by an activity (deterministic here)."""

from __future__ import annotations

from workflows.contracts import LeadFacts, SequenceState
from workflows.spec import ArmIs, Condition, HasEmail, HasPhone, LeadField, ReplyIntentIs


def evaluate(condition: Condition, facts: LeadFacts, state: SequenceState) -> bool:
    if isinstance(condition, HasPhone):
        return facts.has_phone
    if isinstance(condition, HasEmail):
        return facts.has_email
    if isinstance(condition, ReplyIntentIs):
        return state.last_intent in condition.intents
    if isinstance(condition, ArmIs):
        return state.arm == condition.arm
    if isinstance(condition, LeadField):
        value = facts.fields.get(condition.field, "")
        return bool(value) if condition.equals is None else value == condition.equals
    raise TypeError(f"unknown condition {condition!r}")
