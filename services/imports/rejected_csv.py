"""GET /api/imports/{id}/rejected.csv: the rejected rows as they were, plus why, streamed a
page at a time so ops can fix them and import the file again (the `reason` column is ignored
on re-import)."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator

from models.db import Database
from services.imports import queries

PAGE = 1000
REASON_COLUMN = "reason"


def _lines(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


async def stream(db: Database, import_id: uuid.UUID, header: list[str]) -> AsyncIterator[str]:
    width = len(header)
    yield _lines([[*header, REASON_COLUMN]])
    after = 0
    while True:
        async with db.session() as session:
            page = await queries.rejections(session, import_id, PAGE, after)
        if not page:
            return
        rows = []
        for r in page:
            cells = [str(c) for c in r.raw]
            # Short rows padded; a too-long row keeps its extra values so nothing is lost.
            cells += [""] * (width - len(cells))
            rows.append([*cells[:width], r.reason, *cells[width:]])
        yield _lines(rows)
        after = page[-1].id or after
