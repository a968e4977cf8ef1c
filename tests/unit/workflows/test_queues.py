"""Queues per concern: their names, `salespad worker --queues`, and the limits from settings."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from config.settings import Settings
from salespad.cli import app
from worker import QueueLimits, queue_limits
from workflows.queues import CONCERNS, parse_concerns, queue_name, send_concern


def test_queue_names_derive_from_the_main_queue() -> None:
    assert [queue_name("salespad", c) for c in CONCERNS] == [
        "salespad",
        "salespad-email",
        "salespad-messaging",
        "salespad-ai",
    ]
    assert queue_name("acme-prod", "ai") == "acme-prod-ai"


def test_sends_go_to_their_channels_queue() -> None:
    assert send_concern("EMAIL") == "email"
    assert (send_concern("SMS"), send_concern("WHATSAPP")) == ("messaging", "messaging")


def test_queues_parse_in_a_fixed_order_whatever_the_spelling() -> None:
    assert parse_concerns("ai, Email,main") == ("main", "email", "ai")
    assert parse_concerns("email,email") == ("email",)
    assert parse_concerns("main,email,messaging,ai") == CONCERNS


@pytest.mark.parametrize("text", ["sms", "main,smtp", "", " , "])
def test_an_unknown_queue_names_the_known_ones(text: str) -> None:
    with pytest.raises(ValueError, match="known: main, email, messaging, ai"):
        parse_concerns(text)


def test_worker_refuses_an_unknown_queue_in_one_line_with_exit_2() -> None:
    result = CliRunner().invoke(app, ["worker", "--queues", "email,sms"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert lines == [
        "salespad worker: --queues: unknown queue sms; known: main, email, messaging, ai"
    ]


def test_each_queue_has_its_own_limits_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SALESPAD_QUEUE_EMAIL_RATE", "10")
    monkeypatch.setenv("SALESPAD_QUEUE_EMAIL_CONCURRENCY", "4")
    monkeypatch.setenv("SALESPAD_QUEUE_AI_CONCURRENCY", "2")
    monkeypatch.setenv("SALESPAD_QUEUE_MESSAGING_RATE", "")  # empty: unset
    limits = queue_limits(Settings(_env_file=None))  # type: ignore[call-arg]
    assert limits == {
        "email": QueueLimits(rate=10.0, concurrency=4),
        "messaging": QueueLimits(),
        "ai": QueueLimits(rate=None, concurrency=2),
    }


@pytest.mark.parametrize(
    ("name", "value"), [("SALESPAD_QUEUE_EMAIL_RATE", "0"), ("SALESPAD_QUEUE_AI_CONCURRENCY", "0")]
)
def test_a_limit_must_be_positive(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=name.removeprefix("SALESPAD_").lower()):
        Settings(_env_file=None)  # type: ignore[call-arg]
