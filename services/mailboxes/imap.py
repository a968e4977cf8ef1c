"""A mailbox's IMAP settings: flat `imap_*` keys in `mailbox.config`, the password sealed at
rest (models/secrets.py). A mailbox has IMAP when `imap_host` is set."""

from __future__ import annotations

from typing import Any, cast

from adapters.channels.imap import ImapConfig, Security
from models.mailboxes import Mailbox
from models.secrets import unseal_value

_SECURITY = ("ssl", "starttls", "none")
_DEFAULT_PORTS = {"ssl": 993, "starttls": 143, "none": 143}


class ImapSettingsError(ValueError):
    """The mailbox's imap_* keys cannot be used as they are (said without the password)."""


def has_imap(config: dict[str, Any]) -> bool:
    return bool(str(config.get("imap_host") or "").strip())


def wants_poller(mailbox: Mailbox) -> bool:
    """Whether the mailbox should have a reply poller running: IMAP set, not disabled."""
    return mailbox.state != "disabled" and has_imap(mailbox.config)


def imap_config(mailbox: Mailbox, secret_key: str) -> ImapConfig:
    """The settings to read `mailbox` with. Raises ImapSettingsError, or SecretError when the
    password was sealed with another SALESPAD_SECRET_KEY."""
    config = mailbox.config
    security = str(config.get("imap_security") or "ssl").lower()
    if security not in _SECURITY:
        raise ImapSettingsError(f"imap_security must be one of {', '.join(_SECURITY)}")
    try:
        port = int(config.get("imap_port") or _DEFAULT_PORTS[security])
    except (TypeError, ValueError):
        raise ImapSettingsError("imap_port must be a number") from None
    username = str(config.get("imap_username") or mailbox.address)
    password = unseal_value(
        str(config.get("imap_password") or ""), secret_key, name="the mailbox's imap_password"
    )
    move_to = config.get("imap_move_to")
    return ImapConfig(
        host=str(config["imap_host"]).strip(),
        port=port,
        username=username,
        password=password,
        security=cast(Security, security),
        folder=str(config.get("imap_folder") or "INBOX"),
        mark_seen=_flag(config.get("imap_mark_seen")),
        move_to=str(move_to) if move_to else None,
    )


def _flag(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes", "on")
    return value is True
