"""The DSL compiles to a hashed spec, and invalid sequences are refused naming the step."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from salespad.cli import app
from sequences import REGISTRY, SMS, Email, End, Sequence, SequenceError, Wait
from sequences.dsl import Branch, BusinessHours, HasPhone
from sequences.templating import TemplateError, lead_context, render
from workflows.spec import SendWindow


def test_demo_compiles_with_waits_of_ten_seconds() -> None:
    spec = REGISTRY["demo"].compile()
    assert [s.kind for s in spec.steps] == ["send", "wait", "send", "wait", "send"]
    assert [s.seconds for s in spec.steps if s.kind == "wait"] == [10, 10]
    assert spec.send_steps == 3


def test_version_is_a_content_hash() -> None:
    a = Sequence("s", Email("e", subject="Hi", body="one"))
    b = Sequence("s", Email("e", subject="Hi", body="one"))
    c = Sequence("s", Email("e", subject="Hi", body="two"))
    assert a.compile().version == b.compile().version
    assert a.compile().version != c.compile().version


@pytest.mark.parametrize(
    ("sequence", "message"),
    [
        (Sequence("empty"), "has no steps"),
        (
            Sequence("s", Email("e", subject="Hi", body="  ")),
            "step 1 ('e'): body: the body is empty",
        ),
        (Sequence("s", Email("e", body="x")), "step 1 ('e'): an email that starts a thread"),
        (
            Sequence(
                "s",
                Email("a", subject="x", body="x"),
                Wait(seconds=1),
                Email("a", body="y", thread=True),
            ),
            "step 3: step id 'a' is used twice",
        ),
        (Sequence("s", Wait(seconds=0), End()), "step 1: a wait must be longer than zero"),
        (
            Sequence("s", Email("e", subject="Hi", body="{{ lead.first_name ")),
            "step 1 ('e'): body: line 1",
        ),
    ],
)
def test_invalid_sequences_name_the_step(sequence: Sequence, message: str) -> None:
    with pytest.raises(SequenceError, match=None) as info:
        sequence.compile()
    assert message in str(info.value)


def test_jump_to_a_missing_step_names_the_branch() -> None:
    seq = Sequence(
        "s",
        Email("a", subject="x", body="x"),
        Branch(when=HasPhone(), then="sms", otherwise="nowhere", id="route"),
        SMS("sms", body="hi"),
    )
    with pytest.raises(SequenceError) as info:
        seq.compile()
    assert "step 2 ('route'): jumps to 'nowhere'" in str(info.value)


@pytest.mark.parametrize(
    ("body", "unknown"),
    [("Hi {{ lead.frist_name }}", "lead.frist_name"), ("Hi {{ customer }}", "customer")],
)
def test_unknown_template_variables_are_refused(body: str, unknown: str) -> None:
    seq = Sequence("s", Email("intro", subject="Hi", body=body))
    with pytest.raises(SequenceError) as info:
        seq.compile()
    assert "step 1 ('intro'): body: unknown variable" in str(info.value)
    assert unknown in str(info.value)


def test_cold_outbound_is_valid_and_branches_on_phone() -> None:
    spec = REGISTRY["cold-outbound"].compile()
    kinds = [s.kind for s in spec.steps]
    assert kinds.count("send") == 4
    assert "task" in kinds
    branch = next(s for s in spec.steps if s.kind == "branch")
    assert (branch.then, branch.otherwise) == ("wa", "li")
    waits = [s for s in spec.steps if s.kind == "wait"]
    assert waits[0].seconds == 2 * 86400
    assert waits[0].window is not None and waits[0].window.days == (1, 2, 3, 4, 5)


def test_business_hours_days() -> None:
    assert BusinessHours(days="mon-fri").days == (1, 2, 3, 4, 5)
    assert BusinessHours(days="mon,wed,fri").days == (1, 3, 5)
    assert BusinessHours(days="fri-mon").days == (1, 5, 6, 7)


@pytest.mark.parametrize(
    "window",
    [
        {"start": "99:99"},
        {"end": "24:00"},
        {"start": "9:00"},
        {"days": (0, 1)},
        {"days": (8,)},
        {"days": ()},
    ],
)
def test_a_window_that_could_never_open_is_refused(window: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        SendWindow.model_validate(window)
    assert SendWindow.model_validate({"start": "00:00", "end": "23:59", "days": (7,)})


def _ctx(name: str = "Ada Lovelace") -> dict[str, object]:
    return lead_context(
        name=name,
        email="a@x.io",
        phone=None,
        company="AE",
        title=None,
        owner=None,
        timezone=None,
        metadata={"industry": "compute"},
    )


def test_render_uses_lead_fields() -> None:
    out = render(
        "Hi {{ lead.first_name }} at {{ lead.company }} ({{ lead.metadata.industry }})", _ctx()
    )
    assert out == "Hi Ada at AE (compute)"


def test_lead_fields_are_data_not_templates() -> None:
    # A hostile lead name is rendered as text, never evaluated.
    out = render("Hi {{ lead.name }}", _ctx("{{ ''.__class__.__mro__ }}"))
    assert out == "Hi {{ ''.__class__.__mro__ }}"


def test_sandbox_refuses_attribute_escapes_and_unknown_variables() -> None:
    with pytest.raises(TemplateError, match="sandbox"):
        render("{{ ''.__class__.__mro__[1].__subclasses__() }}", _ctx())
    with pytest.raises(TemplateError, match="unknown variable"):
        render("{{ lead.nickname }}", _ctx())


def test_cli_lists_and_validates() -> None:
    runner = CliRunner()
    listed = runner.invoke(app, ["sequences", "list"])
    assert listed.exit_code == 0
    assert "demo" in listed.output
    assert runner.invoke(app, ["sequences", "validate"]).exit_code == 0
    unknown = runner.invoke(app, ["sequences", "validate", "nope"])
    assert unknown.exit_code == 1
    shown = runner.invoke(app, ["sequences", "show", "demo"])
    assert shown.exit_code == 0
    assert '"version"' in shown.output


def test_whatsapp_takes_ab_variants_and_validates_each_one() -> None:
    from sequences.dsl import Variant, WhatsApp

    arms = (Variant(name="a", body="Hi {{ lead.first_name }}"), Variant(name="b", body="Yo"))
    step = Sequence("wa", WhatsApp("wa", body="Hello", variants=arms)).compile().steps[0]
    assert step.kind == "send" and step.channel == "WHATSAPP"
    assert [v.name for v in step.variants] == ["a", "b"]
    bad = Sequence("wa", WhatsApp("wa", body="Hello", variants=(Variant(name="a", body=" "),)))
    with pytest.raises(SequenceError, match=r"step 1 \('wa'\): variant 'a': the body is empty"):
        bad.compile()
