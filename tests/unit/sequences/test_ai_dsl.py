"""AI-drafted steps in the DSL: what they compile to, what is refused, and old specs unchanged."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta

import pytest
from pydantic import ValidationError

from sequences import SMS, AIDraft, Email, Sequence, SequenceError, WhatsApp
from workflows.spec import AIDraftSpec, SendStep, SequenceSpec


def test_ai_steps_compile_with_the_template_kept_as_the_fallback() -> None:
    spec = Sequence(
        "ai",
        Email(
            "e",
            subject="Hi",
            body="template",
            ai=AIDraft(brief="b", approve=True, approval_timeout=timedelta(hours=4)),
        ),
        SMS("s", body="sms template", ai=AIDraft(brief="b", max_chars=140)),
        WhatsApp("w", body="wa template", ai=AIDraft(brief="b")),
    ).compile()
    email, sms, wa = spec.steps
    assert isinstance(email, SendStep) and isinstance(sms, SendStep) and isinstance(wa, SendStep)
    assert email.body == "template"
    assert email.ai == AIDraftSpec(
        brief="b", max_chars=1200, approve=True, approval_timeout_seconds=4 * 3600
    )
    assert sms.ai is not None and (sms.ai.max_chars, sms.ai.approve) == (140, False)
    assert wa.ai is not None and wa.ai.max_chars == 1000


@pytest.mark.parametrize(
    ("ai", "message"),
    [
        (AIDraft(brief="  "), "step 1 ('e'): the AI brief is empty"),
        (AIDraft(brief="b", max_chars=0), "step 1 ('e'): the AI draft's max_chars must be more"),
        (
            AIDraft(brief="b", approve=True, approval_timeout=timedelta(0)),
            "step 1 ('e'): the approval timeout must be longer than zero",
        ),
    ],
)
def test_invalid_ai_steps_are_refused_naming_the_step(ai: AIDraft, message: str) -> None:
    with pytest.raises(SequenceError, match=re.escape(message)):
        Sequence("s", Email("e", subject="Hi", body="x", ai=ai)).compile()


def test_the_spec_refuses_an_empty_brief_too() -> None:
    with pytest.raises(ValidationError):
        AIDraftSpec(brief=" \n", max_chars=10)
    with pytest.raises(ValidationError):
        AIDraftSpec(brief="b", max_chars=0)


def test_specs_without_ai_keep_their_version_and_old_snapshots_still_load() -> None:
    spec = Sequence("s", Email("e", subject="Hi", body="one")).compile()
    # The hash campaigns recorded before `ai` (and `alternatives`) existed: the same steps,
    # without the new keys.
    old_steps = [s.model_dump(mode="json") for s in spec.steps]
    for step in old_steps:
        step.pop("ai")
        step.pop("alternatives")
    payload = json.dumps(
        {"name": "s", "description": "", "steps": old_steps}, sort_keys=True, separators=(",", ":")
    )
    assert spec.version == hashlib.sha256(payload.encode()).hexdigest()[:12]
    snapshot = {"name": "s", "description": "", "steps": old_steps, "version": spec.version}
    assert SequenceSpec.model_validate(snapshot) == spec

    with_ai = Sequence("s", Email("e", subject="Hi", body="one", ai=AIDraft(brief="b"))).compile()
    assert with_ai.version != spec.version
