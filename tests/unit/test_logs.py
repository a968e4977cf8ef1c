"""Logging: JSON lines with the request id, and no configured secret in any line."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from config.logs import REDACTED, build_handler, request_id, settings_secrets
from config.settings import OpenAISettings, SendGridSettings, Settings, TwilioSettings

SECRETS = {
    "api_key": "sp-api-key-4f1b9c0e",
    "secret_key": "unsubscribe-signing-secret-0123456789abcdef",
    "lead_capture_secret": "lead-capture-hmac-secret-0123456789abcdef",
    "metrics_token": "metrics-scrape-token-77aa",
    "sendgrid": "SG.sendgrid-key-abcdef123456",
    "sendgrid_inbound": "inbound-parse-token-99zz",
    "twilio": "twilio-auth-token-deadbeef",
    "twilio_shared": "twilio-shared-key-cafe0042",
    "openai": "sk-openai-key-0123456789",
    "db_password": "pg-pass-w0rd-x9",
}


def _settings() -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"postgresql+psycopg://salespad:{SECRETS['db_password']}@db:5432/salespad",
        api_key=SecretStr(SECRETS["api_key"]),
        secret_key=SecretStr(SECRETS["secret_key"]),
        lead_capture_secret=SecretStr(SECRETS["lead_capture_secret"]),
        metrics_token=SecretStr(SECRETS["metrics_token"]),
        sendgrid=SendGridSettings(
            api_key=SecretStr(SECRETS["sendgrid"]),
            inbound_token=SecretStr(SECRETS["sendgrid_inbound"]),
        ),
        twilio=TwilioSettings(
            auth_token=SecretStr(SECRETS["twilio"]),
            webhook_shared_key=SecretStr(SECRETS["twilio_shared"]),
        ),
        openai=OpenAISettings(api_key=SecretStr(SECRETS["openai"])),
    )


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger writing JSON lines through the handler `configure_logging` installs."""
    stream = io.StringIO()
    handler, _ = build_handler("json", settings_secrets(_settings()), stream)
    logger = logging.getLogger("salespad.test-logs")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)


def _lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_every_secret_setting_and_the_database_password_are_known() -> None:
    assert settings_secrets(_settings()) >= set(SECRETS.values())


def test_no_secret_reaches_a_log_line(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = captured
    for name, secret in SECRETS.items():
        logger.info("in the message: %s=" + secret, name)
        logger.warning("in the arguments: %s=%s", name, secret)
        logger.info({"a dict": secret})
        try:
            raise RuntimeError(f"provider said: bad key {secret}")
        except RuntimeError:
            logger.exception("in the exception of %s", name)
    settings = _settings()
    logger.error("the settings themselves: %r / %s", settings, settings.database_url)

    output = stream.getvalue()
    for secret in SECRETS.values():
        assert secret not in output
    lines = _lines(stream)
    assert len(lines) == 4 * len(SECRETS) + 1
    assert REDACTED in lines[0]["message"]  # type: ignore[operator]
    exceptions = [line for line in lines if "exception" in line]
    assert len(exceptions) == len(SECRETS)
    assert all("RuntimeError: provider said: bad key [REDACTED]" in str(e["exception"])
               for e in exceptions)  # fmt: skip


def test_a_json_line_has_time_level_logger_message_and_the_request_id(
    captured: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = captured
    logger.info("outside a request")
    token = request_id.set("req-42")
    try:
        logger.warning("inside %s", "one")
    finally:
        request_id.reset(token)
    outside, inside = _lines(stream)
    assert set(outside) == {"time", "level", "logger", "message"}
    assert inside["level"] == "WARNING"
    assert inside["logger"] == "salespad.test-logs"
    assert inside["message"] == "inside one"
    assert inside["request_id"] == "req-42"
    assert str(inside["time"]).endswith("+00:00")


def test_text_lines_carry_the_request_id_too() -> None:
    stream = io.StringIO()
    handler, _ = build_handler("text", [], stream)
    record = logging.LogRecord("salespad.x", logging.INFO, __file__, 1, "hello %s", ("you",), None)
    token = request_id.set("abc123")
    try:
        handler.handle(record)
    finally:
        request_id.reset(token)
    assert stream.getvalue().rstrip().endswith("INFO salespad.x [abc123] hello you")


def test_worker_metrics_address_must_be_host_and_port() -> None:
    with pytest.raises(ValueError, match="HOST:PORT"):
        Settings(_env_file=None, worker_metrics_address="9464")  # type: ignore[call-arg]
    assert Settings(_env_file=None, worker_metrics_address="").worker_metrics_address is None  # type: ignore[call-arg]
