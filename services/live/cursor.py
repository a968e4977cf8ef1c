"""The stream's resume cursor: the (inserting transaction, event id) pair of the last event a
client received, written `<xact>-<id>`. Clients treat it as opaque; a plain event id (what the
stream sent before the cursor existed) is accepted too and resolved to its event's pair."""

from __future__ import annotations

import re
from typing import NamedTuple

# At most 18 digits each: any such number fits PostgreSQL's bigint (and xid8), so a value the
# pattern admits never becomes a database error.
CURSOR_PATTERN = r"^(\d{1,18}-)?\d{1,18}$"
_CURSOR = re.compile(CURSOR_PATTERN)


class Cursor(NamedTuple):
    """A position in commit order: events after it sort above (xact, id)."""

    xact: int
    id: int

    def __str__(self) -> str:
        return f"{self.xact}-{self.id}"


START = Cursor(0, 0)


def parse(value: str) -> Cursor | int:
    """A `<xact>-<id>` cursor, or a bare event id (int) still to be resolved."""
    if not _CURSOR.fullmatch(value):
        raise ValueError(f"not a stream cursor (`<xact>-<id>` or an event id): {value!r}")
    xact, sep, event_id = value.partition("-")
    return Cursor(int(xact), int(event_id)) if sep else int(xact)
