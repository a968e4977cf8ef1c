"""Configuration checks that need no server: the settings load, and each configured channel's
credentials have the right shape. `salespad doctor` prints them; the worker, the API and
`salespad dev` run them at start and stop on a FAIL with one line (`start_settings`).

Shapes only: no provider is called. A secret's value is never part of a line.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, NoReturn

from pydantic import ValidationError
from pydantic_settings import BaseSettings

from config.settings import OpenAISettings, SendGridSettings, Settings, TwilioSettings

Status = Literal["ok", "warn", "FAIL"]

# `salespad dev` recognises a child's configuration error by this in its one stderr line
# (and exit code CONFIG_ERROR_EXIT): such a child is not restarted, the stack stops.
CONFIG_ERROR_MARKER = ": configuration error: "
CONFIG_ERROR_EXIT = 2

SENDGRID_DEFAULT_HOST = "https://api.sendgrid.com"
OPENAI_DEFAULT_URLS = ("https://api.openai.com/v1", "https://api.openai.com")
EMAIL = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\".]+$")
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
TWILIO_ACCOUNT_SID = re.compile(r"^AC[0-9a-fA-F]{32}$")
TWILIO_SERVICE_SID = re.compile(r"^MG[0-9a-fA-F]{32}$")
URL = re.compile(r"^https?://[^\s/]+")


@dataclass(frozen=True)
class Check:
    status: Status
    what: str  # what was checked: an env var or a part ("database", "SendGrid")
    detail: str  # what was found; on a FAIL or warn, what to do

    def line(self) -> str:
        return f"{self.status:<4}  {self.what}: {self.detail}"


def config_error_line(process: str, checks: list[Check]) -> str:
    problems = "; ".join(f"{c.what}: {c.detail}" for c in checks)
    return f"salespad {process}{CONFIG_ERROR_MARKER}{problems}"


def exit_on_config_error(process: str, checks: list[Check]) -> NoReturn:
    """One line on stderr, exit code 2: no traceback, and `salespad dev` stops at once."""
    print(config_error_line(process, checks), file=sys.stderr, flush=True)
    raise SystemExit(CONFIG_ERROR_EXIT)


# -- settings ----------------------------------------------------------------------------------


def _sections() -> dict[str, type[BaseSettings]]:
    """Settings' nested sections by field name (sendgrid -> SendGridSettings)."""
    found = {}
    for name, info in Settings.model_fields.items():
        kind = info.annotation
        if isinstance(kind, type) and issubclass(kind, BaseSettings):
            found[name] = kind
    return found


def validation_checks(exc: ValidationError, prefix: str) -> list[Check]:
    """One FAIL per bad field, named by its environment variable; never the value given."""
    checks = []
    for error in exc.errors(include_input=False, include_url=False):
        loc = [str(part) for part in error["loc"] if not isinstance(part, int)]
        message = error["msg"].removeprefix("Value error, ")
        if not loc:  # a rule across fields: its message names the variables
            checks.append(Check("FAIL", "settings", message))
            continue
        var = (prefix + "_".join(loc)).upper()
        checks.append(Check("FAIL", var, f"{message}; fix or unset {var}"))
    return checks


def load_settings(**overrides: Any) -> tuple[Settings | None, list[Check]]:
    """Settings, or every bad field at once: each section is read on its own first, so a bad
    SALESPAD_WEBHOOK_* value does not hide a bad SALESPAD_API_PORT."""
    env_file = {k: v for k, v in overrides.items() if k == "_env_file"}
    problems: list[Check] = []
    stand_ins: dict[str, BaseSettings] = {}
    for name, kind in _sections().items():
        if name in overrides:
            continue
        try:
            kind(**env_file)
        except ValidationError as exc:
            problems += validation_checks(exc, kind.model_config.get("env_prefix") or "")
            stand_ins[name] = kind.model_construct()
    try:
        settings = Settings(**{**stand_ins, **overrides})
    except ValidationError as exc:
        problems += validation_checks(exc, Settings.model_config.get("env_prefix") or "")
    if problems:
        return None, problems
    return settings, [Check("ok", "settings", f"loaded (SALESPAD_ENV={settings.env})")]


# -- channels (environment) ----------------------------------------------------------------


def _stand_in(host: str | None, defaults: tuple[str, ...]) -> bool:
    """A custom provider URL (a proxy or a test double): a key's shape is then only a warning."""
    return bool(host) and (host or "").rstrip("/") not in defaults


def sendgrid_checks(sg: SendGridSettings, *, prod: bool = False) -> list[Check]:
    key = sg.api_key.get_secret_value().strip() if sg.api_key is not None else ""
    if not key:
        if sg.from_email:
            return [
                Check(
                    "warn",
                    "SENDGRID_API_KEY",
                    "not set while SENDGRID_FROM_EMAIL is: email goes to the outbox (nothing "
                    "leaves); set SENDGRID_API_KEY to send through SendGrid",
                )
            ]
        return [
            Check(
                "warn" if prod else "ok",
                "email",
                "no SENDGRID_API_KEY: the outbox records email, nothing leaves",
            )
        ]
    checks = []
    if not key.startswith("SG."):
        custom = _stand_in(sg.api_host, (SENDGRID_DEFAULT_HOST,))
        checks.append(
            Check(
                "warn" if custom else "FAIL",
                "SENDGRID_API_KEY",
                "does not look like a SendGrid API key (they start with 'SG.'); create one "
                "at https://app.sendgrid.com/settings/api_keys",
            )
        )
    if not URL.match(sg.api_host):
        checks.append(
            Check("FAIL", "SENDGRID_API_HOST", f"{sg.api_host!r} is not an http(s) URL; unset it")
        )
    if not sg.from_email:
        checks.append(
            Check(
                "FAIL",
                "SENDGRID_FROM_EMAIL",
                "not set while SENDGRID_API_KEY is; set it to a sender verified at SendGrid, "
                "e.g. SENDGRID_FROM_EMAIL=sales@yourdomain.com",
            )
        )
    elif not EMAIL.match(sg.from_email.strip()):
        checks.append(
            Check(
                "FAIL",
                "SENDGRID_FROM_EMAIL",
                f"{sg.from_email!r} is not an email address; set a sender verified at "
                "SendGrid, e.g. sales@yourdomain.com",
            )
        )
    if not any(c.status == "FAIL" for c in checks):
        checks.append(Check("ok", "SendGrid", f"API key set, sends from {sg.from_email}"))
    return checks


def _sender(value: str, *, whatsapp: bool) -> bool:
    value = value.strip()
    if TWILIO_SERVICE_SID.match(value):
        return True
    if whatsapp:
        value = value.removeprefix("whatsapp:")
    return bool(E164.match(value))


def twilio_checks(tw: TwilioSettings, *, prod: bool = False) -> list[Check]:
    token = tw.auth_token.get_secret_value().strip() if tw.auth_token is not None else ""
    sid = (tw.account_sid or "").strip()
    if not sid and not token:
        if tw.sms_from or tw.whatsapp_from:
            return [
                Check(
                    "warn",
                    "TWILIO_ACCOUNT_SID",
                    "a Twilio sender is set but no credentials: SMS and WhatsApp go to the "
                    "outbox; set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN to send",
                )
            ]
        return [
            Check(
                "warn" if prod else "ok",
                "SMS/WhatsApp",
                "no TWILIO_ACCOUNT_SID: the outbox records SMS and WhatsApp, nothing leaves",
            )
        ]
    checks = []
    where = "copy it from https://console.twilio.com (Account Info)"
    if not sid:
        checks.append(
            Check("FAIL", "TWILIO_ACCOUNT_SID", f"not set while TWILIO_AUTH_TOKEN is; {where}")
        )
    elif not TWILIO_ACCOUNT_SID.match(sid):
        checks.append(
            Check(
                "warn" if _stand_in(tw.base_url, ()) else "FAIL",
                "TWILIO_ACCOUNT_SID",
                f"does not look like an Account SID ('AC' and 32 hex digits); {where}",
            )
        )
    if not token:
        checks.append(
            Check("FAIL", "TWILIO_AUTH_TOKEN", f"not set while TWILIO_ACCOUNT_SID is; {where}")
        )
    if not (tw.sms_from or tw.whatsapp_from):
        checks.append(
            Check(
                "FAIL",
                "TWILIO_SMS_FROM",
                "neither TWILIO_SMS_FROM nor TWILIO_WHATSAPP_FROM is set; set a sender, e.g. "
                "TWILIO_SMS_FROM=+14155550100 or TWILIO_WHATSAPP_FROM=whatsapp:+14155550100",
            )
        )
    if tw.sms_from and not _sender(tw.sms_from, whatsapp=False):
        checks.append(
            Check(
                "FAIL",
                "TWILIO_SMS_FROM",
                f"{tw.sms_from!r} is not an E.164 number (+ and country code, e.g. "
                "+14155550100) or a Messaging Service SID (MG...)",
            )
        )
    if tw.whatsapp_from and not _sender(tw.whatsapp_from, whatsapp=True):
        checks.append(
            Check(
                "FAIL",
                "TWILIO_WHATSAPP_FROM",
                f"{tw.whatsapp_from!r} is not a WhatsApp sender: whatsapp:+ and the number in "
                "E.164 (e.g. whatsapp:+14155550100), or a Messaging Service SID (MG...)",
            )
        )
    if not any(c.status == "FAIL" for c in checks):
        senders = [s for s in (tw.sms_from, tw.whatsapp_from) if s]
        checks.append(Check("ok", "Twilio", f"credentials set, sends from {', '.join(senders)}"))
    return checks


def openai_checks(oa: OpenAISettings) -> list[Check]:
    key = oa.api_key.get_secret_value().strip() if oa.api_key is not None else ""
    checks = []
    if oa.base_url and not URL.match(oa.base_url):
        checks.append(
            Check(
                "FAIL", "OPENAI_BASE_URL", f"{oa.base_url!r} is not an http(s) URL; fix or unset it"
            )
        )
    if not key:
        what = (
            "OPENAI_BASE_URL is set but OPENAI_API_KEY is not, so the endpoint is not used"
            if oa.base_url
            else "not set"
        )
        checks.append(
            Check(
                "warn",
                "OPENAI_API_KEY",
                f"{what}: replies are classified offline and drafts use the step templates; "
                "set OPENAI_API_KEY (any value for a local server that needs none)",
            )
        )
    elif not _stand_in(oa.base_url, OPENAI_DEFAULT_URLS) and not key.startswith("sk-"):
        checks.append(
            Check(
                "warn",
                "OPENAI_API_KEY",
                "does not look like an OpenAI key (they start with 'sk-'); check it at "
                "https://platform.openai.com/api-keys",
            )
        )
    else:
        checks.append(Check("ok", "LLM", f"API key set, endpoint {oa.base_url or 'OpenAI'}"))
    return checks


def channel_checks(settings: Settings) -> list[Check]:
    prod = settings.env == "prod"
    return (
        sendgrid_checks(settings.sendgrid, prod=prod)
        + twilio_checks(settings.twilio, prod=prod)
        + openai_checks(settings.openai)
    )


def temporal_connection_checks(settings: Settings) -> list[Check]:
    """The TLS and API-key settings for Temporal (files exist, are PEM, a certificate has its
    key): what `connect` would refuse, said before anything starts."""
    from config.temporal import TemporalConfigError, connect_options

    try:
        options = connect_options(settings)
    except TemporalConfigError as exc:
        return [Check("FAIL", "Temporal connection", str(exc))]
    how = "API key" if options.api_key else "no API key"
    tls = {None: "TLS off", False: "TLS off", True: "TLS (system roots)"}.get(
        options.tls if isinstance(options.tls, bool) or options.tls is None else None,
        "TLS (configured certificates)",
    )
    if options.tls is None and options.api_key:
        tls = "TLS (SDK default with an API key)"
    return [Check("ok", "Temporal connection", f"{tls}, {how}")]


def local_checks(**overrides: Any) -> tuple[Settings | None, list[Check]]:
    """Everything checkable without a server: settings, the Temporal connection settings,
    then the channels they configure."""
    settings, checks = load_settings(**overrides)
    if settings is not None:
        checks += temporal_connection_checks(settings)
        checks += channel_checks(settings)
    return settings, checks


def start_settings(
    process: str, *, requires: Callable[[Settings], list[Check]] | None = None
) -> Settings:
    """The settings a long-running process starts with, or exit 2 with one line saying why."""
    settings, checks = local_checks()
    if settings is not None and requires is not None:
        checks += requires(settings)
    failed = [c for c in checks if c.status == "FAIL"]
    if failed or settings is None:
        exit_on_config_error(process, failed)
    return settings


def needs_database(settings: Settings) -> list[Check]:
    if settings.database_url:
        return []
    return [
        Check(
            "FAIL",
            "SALESPAD_DATABASE_URL",
            "not set; set it to e.g. postgresql+psycopg://user:pass@host:5432/salespad "
            "(`salespad dev` starts a PostgreSQL for you)",
        )
    ]


# -- channels configured over the API (rows, decrypted by the caller) ----------------------


def row_checks(
    channel_type: str,
    provider: str,
    config: dict[str, Any],
    *,
    what: str | None = None,
    fix: str = "fix it with POST /api/channels",
) -> list[Check]:
    """A Channel row's config (POST /api/channels) checked as its environment twin would be;
    a mailbox's own credentials likewise (`what`, `fix`)."""
    what = what or f"channel {channel_type}/{provider}"
    problems: list[str] = []
    if provider == "sendgrid":
        if not str(config.get("api_key") or "").startswith("SG."):
            problems.append("api_key does not look like a SendGrid key ('SG.')")
        if not EMAIL.match(str(config.get("from_email") or "")):
            problems.append("from_email is missing or not an email address")
    elif provider == "smtp":
        if not str(config.get("host") or "").strip():
            problems.append("host is missing")
        port = config.get("port", 587)
        if not (str(port).isdigit() and 0 < int(port) < 65536):
            problems.append(f"port {port!r} is not a TCP port (587, 465 or 25)")
        if not EMAIL.match(str(config.get("from_email") or "")):
            problems.append("from_email is missing or not an email address")
    elif provider == "twilio":
        if not TWILIO_ACCOUNT_SID.match(str(config.get("account_sid") or "")):
            problems.append("account_sid is not 'AC' and 32 hex digits")
        if not str(config.get("auth_token") or "").strip():
            problems.append("auth_token is missing")
        sender = str(config.get("from_number") or "")
        if not _sender(sender, whatsapp=channel_type == "WHATSAPP"):
            problems.append("from_number is not an E.164 number (whatsapp:+... for WhatsApp)")
    if problems:
        return [Check("FAIL", what, "; ".join(problems) + f"; {fix}")]
    return [Check("ok", what, "config has the right shape")]
