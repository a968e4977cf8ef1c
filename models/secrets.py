"""Provider secrets in Channel.config, and the signing secrets of webhook subscriptions, are
encrypted at rest (Fernet: AES-128-CBC + HMAC-SHA256) with a key derived from
SALESPAD_SECRET_KEY. They are decrypted only inside the worker that uses them (to build an
adapter, to sign a webhook), never returned by the API and never logged."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

PREFIX = "enc:v1:"
# Config keys that hold secrets; everything else (sender address, host) is plain config.
SECRET_FIELDS = frozenset(
    {"api_key", "auth_token", "password", "account_sid_secret", "imap_password"}
)
REDACTED = "********"


class SecretError(ValueError):
    """A stored secret that cannot be decrypted (wrong or rotated SALESPAD_SECRET_KEY)."""


def _fernet(secret_key: str) -> Fernet:
    digest = hashlib.sha256(b"salespad/channel-config/v1:" + secret_key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal_value(value: str, secret_key: str) -> str:
    """One secret, encrypted (a value already sealed is returned as it is)."""
    if not value or value.startswith(PREFIX):
        return value
    return PREFIX + _fernet(secret_key).encrypt(value.encode()).decode()


def unseal_value(stored: str, secret_key: str, *, name: str = "secret") -> str:
    """The plain secret of a sealed value (a value that was never sealed passes through)."""
    if not stored.startswith(PREFIX):
        return stored
    try:
        return _fernet(secret_key).decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken:
        raise SecretError(f"cannot decrypt {name}: was SALESPAD_SECRET_KEY changed?") from None


def seal(config: dict[str, Any], secret_key: str) -> dict[str, Any]:
    """Encrypt the secret fields of a channel config (already sealed values stay as they are)."""
    out = dict(config)
    for field in SECRET_FIELDS & out.keys():
        if isinstance(out[field], str):
            out[field] = seal_value(out[field], secret_key)
    return out


def unseal(config: dict[str, Any], secret_key: str) -> dict[str, Any]:
    out = dict(config)
    for field in SECRET_FIELDS & out.keys():
        if isinstance(out[field], str):
            out[field] = unseal_value(out[field], secret_key, name=f"channel secret {field!r}")
    return out


def redact(config: dict[str, Any]) -> dict[str, Any]:
    return {k: (REDACTED if k in SECRET_FIELDS and v else v) for k, v in config.items()}
