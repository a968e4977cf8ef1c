"""API keys: create, list, revoke, and check a presented key.

Why SHA-256 and not bcrypt or argon2: a slow hash protects guessable secrets (passwords) when
the hashes leak, by making each guess expensive. These keys are 32 random bytes (256 bits) made
here, never chosen by a person, so there is nothing to guess: at any speed of hashing, finding
a key from its hash is out of reach. A fast, unsalted hash also lets a request find its key
with one indexed lookup (`key_hash = sha256(presented)`) instead of trying every stored key
with a slow function, and the lookup's timing reveals nothing an attacker can use (it would
have to choose inputs whose hashes share a prefix). The key itself is never stored or logged.

Revocation takes effect at once: every request reads the key's row (no cache), and the
dashboard's sessions signed in with a key are checked against that row too (api.sessions).
`last_used_at` is written at most once a minute per key (LAST_USED_EVERY), not per request.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import secrets
import uuid
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.api_keys import ApiKey
from models.tables import utcnow
from services.api_keys.schemas import ActiveKey, ApiKeyCreated, ApiKeyPublic, Scope
from services.errors import Conflict, InvalidInput, NotFound

KEY_PREFIX = "sp_"
# `sp_` + 8 characters of the random part: enough to tell keys apart, nothing to guess with.
DISPLAY_CHARS = 11
LAST_USED_EVERY = timedelta(minutes=1)
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._@:/-]{0,99}")
_KEY = re.compile(r"sp_[A-Za-z0-9_-]{43}")


def new_key() -> str:
    """`sp_` + 32 random bytes, base64url (43 characters)."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()


def looks_like_key(offered: str) -> bool:
    return _KEY.fullmatch(offered) is not None


def to_public(row: ApiKey) -> ApiKeyPublic:
    return ApiKeyPublic.model_validate(row, from_attributes=True)


async def create(session: AsyncSession, name: str, scope: str) -> ApiKeyCreated:
    """A new key named `name` with `scope`; the result holds the key, which nothing keeps."""
    name = name.strip()
    if not _NAME.fullmatch(name):
        raise InvalidInput(
            "name: 1 to 100 characters, letters, digits and . _ @ : / - or spaces, "
            "starting with a letter or digit"
        )
    key = new_key()
    row = ApiKey(
        name=name, scope=scope_of(scope), prefix=key[:DISPLAY_CHARS], key_hash=hash_key(key)
    )
    session.add(row)
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise Conflict(
            f"an API key named {name!r} exists already (revoked keys keep their names): "
            "choose another name"
        ) from None
    await session.refresh(row)
    return ApiKeyCreated(key=key, api_key=to_public(row))


async def list_keys(session: AsyncSession) -> list[ApiKeyPublic]:
    rows = await session.exec(select(ApiKey).order_by(col(ApiKey.created_at), col(ApiKey.name)))
    return [to_public(row) for row in rows]


async def find(session: AsyncSession, name_or_id: str) -> ApiKey:
    """The key with this id, else this name."""
    row: ApiKey | None = None
    with contextlib.suppress(ValueError):
        row = await session.get(ApiKey, uuid.UUID(name_or_id))
    if row is None:
        row = (await session.exec(select(ApiKey).where(ApiKey.name == name_or_id))).first()
    if row is None:
        raise NotFound(f"no API key with the name or id {name_or_id!r}")
    return row


async def revoke(session: AsyncSession, name_or_id: str) -> ApiKeyPublic:
    """Revoke a key (at once, for its sessions too). Revoking it again changes nothing."""
    row = await find(session, name_or_id)
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
        await session.commit()
        await session.refresh(row)
    return to_public(row)


async def authenticate(session: AsyncSession, offered: str) -> ActiveKey | None:
    """The active key `offered` is, or None (unknown, malformed or revoked); notes its use."""
    if not looks_like_key(offered):
        return None
    row = (await session.exec(select(ApiKey).where(ApiKey.key_hash == hash_key(offered)))).first()
    if row is None or row.revoked_at is not None:
        return None
    await _note_use(session, row)
    return ActiveKey(id=row.id, name=row.name, scope=row.scope)


async def active(session: AsyncSession, key_id: uuid.UUID) -> ActiveKey | None:
    """The key `key_id` if it is still active (a dashboard session's key); notes its use."""
    row = await session.get(ApiKey, key_id)
    if row is None or row.revoked_at is not None:
        return None
    await _note_use(session, row)
    return ActiveKey(id=row.id, name=row.name, scope=row.scope)


async def _note_use(session: AsyncSession, row: ApiKey) -> None:
    """last_used_at, written only when it is over a minute old: one write a minute per key,
    whatever the request rate (the WHERE keeps concurrent requests from writing twice)."""
    now = utcnow()
    if row.last_used_at is not None and now - row.last_used_at < LAST_USED_EVERY:
        return
    stale = col(ApiKey.last_used_at).is_(None) | (col(ApiKey.last_used_at) < now - LAST_USED_EVERY)
    await session.exec(
        update(ApiKey).where(col(ApiKey.id) == row.id, stale).values(last_used_at=now)
    )
    await session.commit()


def scope_of(value: str) -> Scope:
    if value not in ("read", "write", "ops"):
        raise InvalidInput(f"scope: one of read, write, ops (got {value!r})")
    return value  # type: ignore[return-value]
