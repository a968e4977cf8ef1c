"""The checks `salespad doctor`, the worker and the API share: one line per problem, naming the
environment variable and what to set, never a secret's value."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.checks import (
    CONFIG_ERROR_EXIT,
    Check,
    local_checks,
    needs_database,
    row_checks,
    start_settings,
)

pytestmark = pytest.mark.unit

SID = "AC" + "0123456789abcdef" * 2
SECRET = "SG.very-secret-value-123"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Only what a test sets: no SALESPAD_/provider variables, no .env of the checkout."""
    import os

    for name in list(os.environ):
        if name.startswith(("SALESPAD_", "SENDGRID_", "TWILIO_", "OPENAI_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def lines(checks: list[Check]) -> list[str]:
    return [c.line() for c in checks]


def failures(checks: list[Check]) -> list[Check]:
    return [c for c in checks if c.status == "FAIL"]


def test_a_fresh_checkout_has_no_failure() -> None:
    settings, checks = local_checks()
    assert settings is not None
    assert not failures(checks)
    assert lines(checks)[0].startswith("ok    settings")
    assert any(c.what == "OPENAI_API_KEY" and c.status == "warn" for c in checks)


def test_sendgrid_key_without_from_address_is_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SENDGRID_API_KEY", SECRET)
    _, checks = local_checks()
    [fail] = failures(checks)
    assert fail.what == "SENDGRID_FROM_EMAIL"
    assert "SENDGRID_FROM_EMAIL=" in fail.detail  # what to set
    assert "\n" not in fail.line()
    assert SECRET not in "\n".join(lines(checks))


@pytest.mark.parametrize(
    ("env", "var"),
    [
        ({"SENDGRID_API_KEY": "not-a-key", "SENDGRID_FROM_EMAIL": "a@b.co"}, "SENDGRID_API_KEY"),
        ({"SENDGRID_API_KEY": SECRET, "SENDGRID_FROM_EMAIL": "sales at b"}, "SENDGRID_FROM_EMAIL"),
        (
            {
                "TWILIO_ACCOUNT_SID": "AC123",
                "TWILIO_AUTH_TOKEN": "t",
                "TWILIO_SMS_FROM": "+14155550100",
            },
            "TWILIO_ACCOUNT_SID",
        ),
        ({"TWILIO_ACCOUNT_SID": SID, "TWILIO_SMS_FROM": "+14155550100"}, "TWILIO_AUTH_TOKEN"),
        ({"TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": "t"}, "TWILIO_SMS_FROM"),
        (
            {"TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": "t", "TWILIO_SMS_FROM": "0415 555"},
            "TWILIO_SMS_FROM",
        ),
        (
            {
                "TWILIO_ACCOUNT_SID": SID,
                "TWILIO_AUTH_TOKEN": "t",
                "TWILIO_WHATSAPP_FROM": "whatsapp:14155550100",
            },
            "TWILIO_WHATSAPP_FROM",
        ),
        ({"OPENAI_API_KEY": "sk-x", "OPENAI_BASE_URL": "localhost:11434"}, "OPENAI_BASE_URL"),
        ({"SALESPAD_API_PORT": "eighty"}, "SALESPAD_API_PORT"),
        ({"SALESPAD_WEBHOOK_CONCURRENCY": "0"}, "SALESPAD_WEBHOOK_CONCURRENCY"),
    ],
)
def test_each_bad_value_fails_on_its_variable(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], var: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    _, checks = local_checks()
    assert [c.what for c in failures(checks)] == [var], lines(checks)


def test_every_bad_setting_is_named_at_once_without_its_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SALESPAD_API_PORT", "secret-port-value")
    monkeypatch.setenv("SALESPAD_WEBHOOK_TIMEOUT_SECONDS", "-1")
    settings, checks = local_checks()
    assert settings is None
    assert {c.what for c in failures(checks)} == {
        "SALESPAD_API_PORT",
        "SALESPAD_WEBHOOK_TIMEOUT_SECONDS",
    }
    assert "secret-port-value" not in "\n".join(lines(checks))


def test_a_rule_across_settings_keeps_its_own_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SALESPAD_ENV", "prod")
    _, checks = local_checks()
    assert [c.line() for c in failures(checks)] == [
        "FAIL  settings: SALESPAD_API_KEY must be a real secret when SALESPAD_ENV=prod"
    ]


def test_good_credentials_pass_without_showing_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {
        "SENDGRID_API_KEY": SECRET,
        "SENDGRID_FROM_EMAIL": "sales@example.com",
        "TWILIO_ACCOUNT_SID": SID,
        "TWILIO_AUTH_TOKEN": "twilio-token-value",
        "TWILIO_SMS_FROM": "+14155550100",
        "TWILIO_WHATSAPP_FROM": "whatsapp:+14155550101",
        "OPENAI_API_KEY": "sk-openai-secret",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    _, checks = local_checks()
    # settings, the Temporal connection, SendGrid, Twilio, the LLM
    assert [c.status for c in checks] == ["ok"] * 5, lines(checks)
    out = "\n".join(lines(checks))
    for secret in (SECRET, "twilio-token-value", "sk-openai-secret"):
        assert secret not in out
    assert "sales@example.com" in out and "+14155550100" in out


def test_a_stand_in_provider_url_turns_key_shape_into_a_warning(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SENDGRID_API_KEY", "fake-key")
    monkeypatch.setenv("SENDGRID_FROM_EMAIL", "a@b.co")
    monkeypatch.setenv("SENDGRID_API_HOST", "http://127.0.0.1:9999")
    _, checks = local_checks()
    assert not failures(checks)
    assert any(c.what == "SENDGRID_API_KEY" and c.status == "warn" for c in checks)


@pytest.mark.parametrize(
    ("channel_type", "provider", "config", "fails"),
    [
        ("EMAIL", "smtp", {"host": "mail.example.com", "port": 587, "from_email": "a@b.co"}, False),
        ("EMAIL", "smtp", {"host": "", "port": 587, "from_email": "a@b.co"}, True),
        (
            "EMAIL",
            "smtp",
            {"host": "mail.example.com", "port": 70000, "from_email": "a@b.co"},
            True,
        ),
        ("EMAIL", "sendgrid", {"api_key": SECRET, "from_email": "a@b.co"}, False),
        ("EMAIL", "sendgrid", {"api_key": SECRET}, True),
        (
            "WHATSAPP",
            "twilio",
            {"account_sid": SID, "auth_token": "t", "from_number": "whatsapp:+14155550100"},
            False,
        ),
        ("SMS", "twilio", {"account_sid": SID, "auth_token": "t", "from_number": "555"}, True),
    ],
)
def test_channel_rows_are_checked_like_the_environment(
    channel_type: str, provider: str, config: dict[str, object], fails: bool
) -> None:
    [check] = row_checks(channel_type, provider, config)
    assert (check.status == "FAIL") is fails
    assert check.what == f"channel {channel_type}/{provider}"
    assert SECRET not in check.line()


def test_start_settings_exits_2_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SENDGRID_API_KEY", SECRET)
    with pytest.raises(SystemExit) as exited:
        start_settings("worker", requires=needs_database)
    assert exited.value.code == CONFIG_ERROR_EXIT
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("salespad worker: configuration error: SENDGRID_FROM_EMAIL: ")
    assert "SALESPAD_DATABASE_URL: not set" in err
    assert SECRET not in err


def test_start_settings_returns_the_settings_when_all_is_well(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SALESPAD_DATABASE_URL", "postgresql://u@h/db")
    assert start_settings("api", requires=needs_database).database_url == "postgresql://u@h/db"


def test_a_temporal_certificate_that_is_not_there_is_one_fail_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SALESPAD_TEMPORAL_TLS_CA", str(tmp_path / "missing-ca.pem"))
    _, checks = local_checks()
    [temporal] = [c for c in checks if c.what == "Temporal connection"]
    assert temporal.status == "FAIL"
    assert "SALESPAD_TEMPORAL_TLS_CA: no file at" in temporal.detail
