"""An empty environment variable counts as unset in every settings class, as it does for a
`${VAR:-}` in docker-compose.yml or a `VAR=` line copied from .env.example."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.settings import Settings, environment_variables
from services.channels.wiring import from_environment


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in environment_variables():
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env of the checkout


def test_an_empty_sendgrid_key_without_a_from_address_is_no_sendgrid(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SENDGRID_API_KEY", "")
    monkeypatch.setenv("SENDGRID_FROM_EMAIL", "")
    settings = Settings()
    assert settings.sendgrid.api_key is None
    assert from_environment(settings) == {}  # the outbox, not "set but no from-address"


def test_every_empty_variable_takes_its_default(monkeypatch: pytest.MonkeyPatch) -> None:
    defaults = Settings().model_dump()
    for name in environment_variables():
        monkeypatch.setenv(name, "")
    settings = Settings()
    assert settings.api_port == 8000
    assert settings.model_dump() == defaults


def test_empty_lines_in_a_dotenv_file_are_unset_too(monkeypatch: pytest.MonkeyPatch) -> None:
    Path(".env").write_text("SALESPAD_API_PORT=\nTWILIO_ACCOUNT_SID=\nSENDGRID_API_KEY=\n")
    settings = Settings()
    assert settings.api_port == 8000
    assert settings.twilio.account_sid is None
    assert from_environment(settings) == {}


def test_a_value_still_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SALESPAD_API_PORT", "9001")
    monkeypatch.setenv("SENDGRID_API_KEY", "SG.key")
    monkeypatch.setenv("SENDGRID_FROM_EMAIL", "")
    settings = Settings()
    assert settings.api_port == 9001
    with pytest.raises(ValueError, match="SENDGRID_FROM_EMAIL"):
        from_environment(settings)  # a real key without its from-address is still an error
