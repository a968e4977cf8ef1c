"""What each reply intent does to the lead and to its sequence: one table, used by the
process_reply activity (database side) and the interpreter (workflow side)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

Action = Literal["stop", "pause", "continue"]


@dataclass(frozen=True)
class IntentRule:
    action: Action
    lead_status: str | None  # None: leave the status as it is
    notify_owner: bool = False
    ask_human: bool = False
    suppress: bool = False


RULES: dict[str, IntentRule] = {
    "interested": IntentRule("stop", "REPLIED", notify_owner=True),
    "question": IntentRule("stop", "REPLIED", notify_owner=True),
    "referral": IntentRule("stop", "REPLIED", notify_owner=True),
    "not_interested": IntentRule("stop", "REPLIED"),
    "wrong_person": IntentRule("stop", "REPLIED", notify_owner=True),
    "out_of_office": IntentRule("pause", None),
    "auto_reply": IntentRule("continue", None),
    "unsubscribe": IntentRule("stop", "UNSUBSCRIBED", suppress=True),
    "bounce": IntentRule("stop", "BOUNCED", suppress=True),
    # Low confidence never guesses: a person reads it.
    "other": IntentRule("stop", "REPLIED", notify_owner=True, ask_human=True),
}

# An OOO reply without a return date pauses this long.
DEFAULT_OOO_PAUSE = timedelta(days=7)


def rule_for(intent: str) -> IntentRule:
    return RULES.get(intent, RULES["other"])
