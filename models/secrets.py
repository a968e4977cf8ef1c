"""Provider secrets in Channel.config are encrypted at rest (Fernet: AES-128-CBC + HMAC-SHA256),
with a key derived from SALESPAD_SECRET_KEY. They are decrypted only inside the worker that
builds the adapter, never returned by the API and never logged."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

PREFIX = "enc:v1:"
# Config keys that hold secrets; everything else (sender address, host) is plain config.
SECRET_FIELDS = frozenset({"api_key", "auth_token", "password", "account_sid_secret"})
REDACTED = "********"


class SecretError(ValueError):
    """A stored secret that cannot be decrypted (wrong or rotated SALESPAD_SECRET_KEY)."""


def _fernet(secret_key: str) -> Fernet:
    digest = hashlib.sha256(b"salespad/channel-config/v1:" + secret_key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(config: dict[str, Any], secret_key: str) -> dict[str, Any]:
    """Encrypt the secret fields of a channel config (already sealed values stay as they are)."""
    fernet = _fernet(secret_key)
    out = dict(config)
    for field in SECRET_FIELDS & out.keys():
        value = out[field]
        if isinstance(value, str) and value and not value.startswith(PREFIX):
            out[field] = PREFIX + fernet.encrypt(value.encode()).decode()
    return out


def unseal(config: dict[str, Any], secret_key: str) -> dict[str, Any]:
    fernet = _fernet(secret_key)
    out = dict(config)
    for field in SECRET_FIELDS & out.keys():
        value = out[field]
        if isinstance(value, str) and value.startswith(PREFIX):
            try:
                out[field] = fernet.decrypt(value[len(PREFIX) :].encode()).decode()
            except InvalidToken:
                raise SecretError(
                    f"cannot decrypt channel secret {field!r}: was SALESPAD_SECRET_KEY changed?"
                ) from None
    return out


def redact(config: dict[str, Any]) -> dict[str, Any]:
    return {k: (REDACTED if k in SECRET_FIELDS and v else v) for k, v in config.items()}
