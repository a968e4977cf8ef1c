"""`salespad erase EMAIL`: the same erasure as DELETE /api/leads/{id}, run in this process
against the database and Temporal (no API needed)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from config.settings import Settings
from models.db import Database
from salespad import importer
from salespad.local import database_url_for
from services.erasure import service
from services.errors import SalesPadError
from services.gateway import LeadWorkflowGateway


class EraseFailed(Exception):
    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


# How the erasure reaches Temporal; the tests put the recording gateway here.
workflows_factory: Callable[[Settings], LeadWorkflowGateway] = importer.temporal_workflows


def erase_email(settings: Settings, email: str) -> str:
    """Erase the lead with this email; the one-line summary to print. EraseFailed else."""
    url = database_url_for(settings)
    if url is None:
        raise EraseFailed("no database: start `salespad dev` here, or set SALESPAD_DATABASE_URL", 2)
    if "@" not in email:
        raise EraseFailed(f"not an email address: {email!r}", 2)
    return asyncio.run(_erase(url, settings, email))


async def _erase(url: str, settings: Settings, email: str) -> str:
    db = Database(url, pool_size=2)
    try:
        async with db.session() as session:
            lead_id = await service.find_lead_by_email(session, email)
            if lead_id is None:
                if await service.erased_before(session, email):
                    return "already erased: that address is suppressed (hashed); nothing left"
                raise EraseFailed("no lead with that email", 1)
            result = await service.erase_lead(session, workflows_factory(settings), lead_id)
        return result.summary()
    except SalesPadError as exc:
        raise EraseFailed(exc.message) from None
    finally:
        await db.dispose()
