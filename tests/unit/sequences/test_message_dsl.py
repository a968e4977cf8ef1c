"""The Message step: one send written for several channels, compiled without disturbing the
versions of sequences that do not use it."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from salespad.cli import app
from sequences import REGISTRY, Email, EmailBody, Message, Sequence, SequenceError
from workflows.contracts import SendStepResult
from workflows.spec import ChannelBody, SendStep, SequenceSpec

INTRO = Message(
    "intro",
    email=EmailBody(subject="Hi {{ lead.first_name }}", body="Email for {{ lead.name }}"),
    whatsapp="WhatsApp for {{ lead.first_name }}",
    sms="SMS for {{ lead.first_name }}",
)


def test_shipped_sequences_keep_the_versions_campaigns_recorded() -> None:
    # The versions of `demo` and `cold-outbound` before Message steps existed: campaigns
    # snapshot them, so a change here would look like a new sequence to every dashboard.
    assert REGISTRY["demo"].compile().version == "c04b232b7f8e"
    assert REGISTRY["cold-outbound"].compile().version == "edac3e946927"


def test_a_spec_snapshot_without_alternatives_still_loads_with_its_version() -> None:
    spec = REGISTRY["demo"].compile()
    old = spec.model_dump(mode="json")
    for step in old["steps"]:
        step.pop("alternatives", None)
    loaded = SequenceSpec.model_validate(old)
    assert loaded == spec
    assert SequenceSpec.content_hash(loaded.name, loaded.description, loaded.steps) == spec.version


def test_a_message_compiles_to_one_send_step_with_a_body_per_channel() -> None:
    spec = Sequence("s", INTRO).compile()
    [step] = spec.steps
    assert isinstance(step, SendStep)
    assert (step.channel, step.subject, step.body) == (
        "EMAIL",
        "Hi {{ lead.first_name }}",
        "Email for {{ lead.name }}",
    )
    assert step.alternatives == (
        ChannelBody(channel="WHATSAPP", body="WhatsApp for {{ lead.first_name }}"),
        ChannelBody(channel="SMS", body="SMS for {{ lead.first_name }}"),
    )
    assert step.channels == ("EMAIL", "WHATSAPP", "SMS")
    whatsapp = step.on("WHATSAPP")
    assert (whatsapp.channel, whatsapp.subject, whatsapp.body) == (
        "WHATSAPP",
        None,
        "WhatsApp for {{ lead.first_name }}",
    )
    assert step.on("EMAIL") is step


def test_the_default_channel_decides_the_step_s_own_body() -> None:
    msg = Message(
        "m",
        email=EmailBody(subject="Hi", body="email"),
        whatsapp="wa",
        default="WHATSAPP",
        whatsapp_content_sid="HX" + "a" * 32,
    )
    [step] = Sequence("s", msg).compile().steps
    assert isinstance(step, SendStep)
    assert (step.channel, step.body, step.content_sid) == ("WHATSAPP", "wa", "HX" + "a" * 32)
    assert [a.channel for a in step.alternatives] == ["EMAIL"]


def test_a_message_step_changes_the_version_and_each_body_counts() -> None:
    plain = Sequence("s", Email("intro", subject="Hi {{ lead.first_name }}", body="x")).compile()
    with_message = Sequence("s", INTRO).compile()
    other_sms = Sequence(
        "s",
        Message("intro", email=INTRO.email, whatsapp=INTRO.whatsapp, sms="Another SMS"),
    ).compile()
    assert len({plain.version, with_message.version, other_sms.version}) == 3


@pytest.mark.parametrize(
    ("step", "message"),
    [
        (Message("m", whatsapp="hi"), "step 1 ('m'): no body for its default channel EMAIL"),
        (
            Message("m", email=EmailBody(subject="s", body="b"), default="SMS"),
            "step 1 ('m'): no body for its default channel SMS",
        ),
        (
            Message("m", email=EmailBody(subject="s", body="b"), default="FAX"),
            "step 1 ('m'): default must be one of EMAIL, WHATSAPP, SMS",
        ),
        (
            Message("m", email=EmailBody(subject="s", body="b"), whatsapp="Hi {{ lead.frist }}"),
            "step 1 ('m'): whatsapp body: unknown variable: lead.frist",
        ),
        (
            Message("m", email=EmailBody(subject="s", body="b"), sms="Hi {{ customer }}"),
            "step 1 ('m'): sms body: unknown variable: customer",
        ),
        (
            Message("m", whatsapp="x", email=EmailBody(subject="{{ lead.nick }}", body="b")),
            "step 1 ('m'): email body subject: unknown variable: lead.nick",
        ),
        (
            Message("m", email=EmailBody(subject="s", body="b"), sms="  "),
            "step 1 ('m'): sms body: the body is empty",
        ),
        (
            Message("m", email=EmailBody(body="b"), whatsapp="x", thread=True),
            "step 1 ('m'): email body: a Message step's email needs a subject",
        ),
    ],
)
def test_invalid_message_steps_name_the_step_and_the_body(step: Message, message: str) -> None:
    with pytest.raises(SequenceError) as info:
        Sequence("s", step).compile()
    assert message in str(info.value)


def test_a_threaded_email_after_only_message_steps_needs_a_subject() -> None:
    seq = Sequence("s", INTRO, Email("bump", body="Bumping", thread=True))
    with pytest.raises(SequenceError) as info:
        seq.compile()
    assert "step 2 ('bump'): a threaded email after Message steps needs a subject" in str(
        info.value
    )
    Sequence("s", INTRO, Email("bump", subject="Re: hi", body="Bumping", thread=True)).compile()
    Sequence(
        "s",
        Email("first", subject="Hi", body="x"),
        INTRO.__class__("m", email=INTRO.email, sms="y"),
        Email("bump", body="Bumping", thread=True),
    ).compile()


def test_validate_command_fails_naming_the_message_step(monkeypatch: pytest.MonkeyPatch) -> None:
    bad = Sequence(
        "bad-message",
        Email("first", subject="Hi", body="Hello"),
        Message("nudge", email=EmailBody(subject="s", body="b"), sms="Hi {{ lead.nickname }}"),
    )
    monkeypatch.setitem(REGISTRY, "bad-message", bad)
    res = CliRunner().invoke(app, ["sequences", "validate", "bad-message"])
    assert res.exit_code == 1
    assert "step 2 ('nudge'): sms body: unknown variable: lead.nickname" in res.output
    assert CliRunner().invoke(app, ["sequences", "validate", "multichannel"]).exit_code == 0


def test_a_send_result_recorded_before_channel_existed_still_decodes() -> None:
    old = SendStepResult.model_validate({"status": "sent", "lead_status": "OUTREACHED"})
    assert old.channel is None
