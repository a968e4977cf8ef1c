"""What `GET /api/leads` filters on, and its cursor.

Leads are listed newest first, ordered by (created_at, id). A cursor is that pair for the last
lead of a page, base64-encoded; the next page is everything strictly after it in that order,
so leads created while a client pages (they sort before the cursor) never shift a later page:
every lead that existed when paging began comes exactly once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator

from services.leads.schemas import check_storable
from services.paging import NOT_A_CURSOR, pack, token_check, unpack

MAX_LIMIT = 500
# Deep offsets make PostgreSQL walk every skipped row; past this, page with the cursor.
MAX_OFFSET = 1_000_000
MAX_TEXT = 200


@dataclass(frozen=True)
class LeadCursor:
    created_at: datetime
    id: uuid.UUID

    def encode(self) -> str:
        return pack(self.created_at.isoformat(), self.id)

    @classmethod
    def decode(cls, token: str) -> LeadCursor:
        """Raises ValueError for anything `encode` did not make."""
        key, lead_id = unpack(token)
        try:
            at = datetime.fromisoformat(key)
        except (TypeError, ValueError):
            raise ValueError(NOT_A_CURSOR) from None
        if at.tzinfo is None:
            raise ValueError(NOT_A_CURSOR)
        return cls(created_at=at, id=lead_id)


# Query-parameter types: checked where the request is parsed, so a bad value is a 422 that
# names the parameter.
CursorToken = Annotated[str, token_check(LeadCursor.decode)]
FilterText = Annotated[str, AfterValidator(check_storable)]


@dataclass(frozen=True)
class LeadFilter:
    """Every condition is ANDed; an empty filter lists every lead."""

    statuses: tuple[str, ...] = ()
    campaign_id: uuid.UUID | None = None
    owner: str | None = None  # exact, case-insensitive
    company: str | None = None  # exact, case-insensitive
    q: str | None = None  # substring of name, email or company, case-insensitive
    email: str | None = None  # exact, case-insensitive
    created_after: datetime | None = None  # inclusive
    created_before: datetime | None = None  # exclusive

    def __post_init__(self) -> None:
        # A time without a zone is taken as UTC, as every stored timestamp is.
        for name in ("created_after", "created_before"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                object.__setattr__(self, name, value.replace(tzinfo=UTC))
