"""Logging for `salespad api` and `salespad worker`: text (dev) or JSON lines (production),
the request id of the HTTP request being served, and secrets redacted from every record.

Standard library logging only. `configure_logging` installs one stderr handler on the root
logger with two filters: `RequestIdFilter` stamps each record with the current request id
(a contextvar the API's middleware sets), and `SecretRedactor` replaces every configured
secret's value in the record's message, arguments, exception and stack text. Filters sit on
the handler, not on a logger, so records from every library (uvicorn, httpx, temporalio) pass
through them.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, SecretStr
from sqlalchemy.engine import make_url

from config.settings import Settings

# The id of the HTTP request being served; None outside a request (the worker, start-up).
request_id: ContextVar[str | None] = ContextVar("salespad_request_id", default=None)

REDACTED = "[REDACTED]"
# Shorter values are not secrets worth the name, and replacing them would mangle text.
MIN_SECRET_LENGTH = 6
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s%(request_suffix)s %(message)s"


def settings_secrets(settings: BaseModel) -> set[str]:
    """Every secret the settings hold: each SecretStr field, nested sections included (so a
    secret setting added later is redacted without touching this), and the database password."""
    found: set[str] = set()

    def walk(model: BaseModel) -> None:
        for name in type(model).model_fields:
            value = getattr(model, name)
            if isinstance(value, SecretStr):
                found.add(value.get_secret_value())
            elif isinstance(value, BaseModel):
                walk(value)

    walk(settings)
    url = getattr(settings, "database_url", None)
    if isinstance(url, str) and url:
        try:
            password = make_url(url).password
        except Exception:  # not a URL SQLAlchemy reads: nothing to take from it
            password = None
        if password:
            found.add(str(password))
    return {s for s in found if len(s) >= MIN_SECRET_LENGTH}


class SecretRedactor(logging.Filter):
    """Replaces known secret values wherever a record carries text: the message with its
    arguments merged in, the exception's text and the stack text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets: list[str] = []
        self.add(*secrets)

    def add(self, *secrets: str) -> None:
        """Secrets learned after start-up (e.g. a channel's key read from the database)."""
        merged = set(self._secrets) | {s for s in secrets if len(s) >= MIN_SECRET_LENGTH}
        # Longest first, so a secret containing another is replaced whole.
        self._secrets = sorted(merged, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep the raw parts, redacted
            message = f"{record.msg} {record.args!r}"
        record.msg = self.redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


class RequestIdFilter(logging.Filter):
    """Stamps `request_id` (None outside a request) and `request_suffix` (for text lines)."""

    def filter(self, record: logging.LogRecord) -> bool:
        rid = request_id.get()
        record.request_id = rid
        record.request_suffix = f" [{rid}]" if rid else ""
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id (in a request) and
    exception (when the record carries one)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = getattr(record, "request_id", None)
        if rid:
            entry["request_id"] = rid
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False, default=str)


def build_handler(
    fmt: str, secrets: Iterable[str], stream: Any = None
) -> tuple[logging.Handler, SecretRedactor]:
    """A stderr (or `stream`) handler in `fmt` ("json" or "text") with both filters."""
    handler = logging.StreamHandler(stream or sys.stderr)
    redactor = SecretRedactor(secrets)
    handler.addFilter(RequestIdFilter())
    handler.addFilter(redactor)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    return handler, redactor


_installed: SecretRedactor | None = None


def configure_logging(settings: Settings, level: int | str = logging.INFO) -> SecretRedactor:
    """Route every logger through one handler on the root logger (replacing any there), in
    SALESPAD_LOG_FORMAT, with the settings' secrets redacted. Returns the redactor, to which
    secrets learned later can be added (see `redact_also`)."""
    global _installed
    handler, redactor = build_handler(settings.log_format, settings_secrets(settings))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    # Libraries that bring their own handlers would bypass ours: send them to the root.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    _installed = redactor
    return redactor


def redact_also(*secrets: str) -> None:
    """Add secrets to the process's redactor (no-op before configure_logging)."""
    if _installed is not None:
        _installed.add(*secrets)
