"""`salespad apikey create | list | revoke`: API keys straight in the database (no API needed).

The database is SALESPAD_DATABASE_URL, else the one `salespad dev` runs in this directory."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

from config.settings import Settings
from models.db import Database
from salespad.local import database_url_for
from services.api_keys import service
from services.api_keys.schemas import ApiKeyCreated, ApiKeyPublic

T = TypeVar("T")


class NoDatabase(Exception):
    """Neither SALESPAD_DATABASE_URL nor a `salespad dev` stack here."""


async def with_session(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    url = database_url_for(settings)
    if url is None:
        raise NoDatabase("no database: start `salespad dev` here, or set SALESPAD_DATABASE_URL")
    db = Database(url, pool_size=1)
    try:
        async with db.session() as session:
            return await work(session)
    finally:
        await db.dispose()


async def create(settings: Settings, name: str, scope: str) -> ApiKeyCreated:
    return await with_session(settings, lambda s: service.create(s, name, scope))


async def revoke(settings: Settings, name_or_id: str) -> ApiKeyPublic:
    return await with_session(settings, lambda s: service.revoke(s, name_or_id))


async def list_keys(settings: Settings) -> list[ApiKeyPublic]:
    return await with_session(settings, service.list_keys)


def _when(at: datetime | None) -> str:
    return at.astimezone().strftime("%Y-%m-%d %H:%M") if at else "-"


def render_created(created: ApiKeyCreated) -> tuple[str, str]:
    """(the key, the note about it): the key alone on stdout, so `$(salespad apikey create
    ...)` captures it; the note on stderr."""
    key = created.api_key
    note = (
        f"created API key {key.name!r}: scope {key.scope}, id {key.id}, prefix {key.prefix}\n"
        "Store it now: it is shown only this once (SalesPad keeps only its SHA-256). "
        "Send it as `Authorization: Bearer <key>`, or sign in to the dashboard with it."
    )
    return created.key, note


def render_list(keys: list[ApiKeyPublic]) -> str:
    if not keys:
        return "no API keys yet: `salespad apikey create --name NAME --scope read|write|ops`"
    rows = [("NAME", "SCOPE", "PREFIX", "CREATED", "LAST USED", "REVOKED", "ID")]
    rows += [
        (
            k.name,
            k.scope,
            k.prefix,
            _when(k.created_at),
            _when(k.last_used_at),
            _when(k.revoked_at),
            str(k.id),
        )
        for k in keys
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )
