"""What an API key is to its callers: a scope, a public description, and, once, the key."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel

Scope = Literal["read", "write", "ops"]
# Each scope allows everything the ones before it allow.
SCOPE_ORDER: tuple[Scope, ...] = ("read", "write", "ops")


def allows(held: Scope, needed: Scope) -> bool:
    return SCOPE_ORDER.index(held) >= SCOPE_ORDER.index(needed)


class ApiKeyPublic(BaseModel):
    """Everything about a key except the key: safe to list and to log."""

    id: uuid.UUID
    name: str
    scope: Scope
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(BaseModel):
    """A new key: `key` is shown this once and stored nowhere."""

    key: str
    api_key: ApiKeyPublic


class ActiveKey(BaseModel):
    """A key that may be used now: who it is and what it may do."""

    id: uuid.UUID
    name: str
    scope: Scope
