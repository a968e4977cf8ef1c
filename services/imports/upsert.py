"""A batch of clean rows into `lead`, set-based: COPY into a temporary staging table, then a
handful of statements match, insert, update and log the whole batch at once.

A batch never holds two rows for the same email (else phone): the service keeps the first
row of the file for each and counts the others as skipped.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any, Literal

from psycopg import AsyncConnection, AsyncCursor
from sqlmodel.ext.asyncio.session import AsyncSession

from services.imports.validate import CleanRow, Rejection

OnDuplicate = Literal["update", "skip", "fill-empty"]
# The lead columns an import writes besides email (the match key, never rewritten).
FIELDS = ("name", "phone", "timezone", "company", "title", "owner", "preferred_channel")

STAGE = """
CREATE TEMP TABLE IF NOT EXISTS import_stage (
    line integer NOT NULL,
    email text, phone text, name text, company text, title text, timezone text, owner text,
    preferred_channel text,
    meta jsonb NOT NULL,
    new_id uuid NOT NULL DEFAULT gen_random_uuid(),
    lead_id uuid,
    outcome text,
    suppressed boolean NOT NULL DEFAULT false
) ON COMMIT DELETE ROWS
"""
COPY_STAGE = (
    "COPY import_stage (line, email, phone, name, company, title, timezone, owner,"
    " preferred_channel, meta) FROM STDIN"
)
SUPPRESSED = """
UPDATE import_stage s SET suppressed = true
WHERE (s.email IS NOT NULL AND EXISTS (SELECT 1 FROM suppression x WHERE lower(x.email) = s.email))
   OR (s.phone IS NOT NULL AND EXISTS (SELECT 1 FROM suppression x WHERE x.phone = s.phone))
   -- An erased person's suppression (migration 0009) holds hashes only.
   OR (s.email IS NOT NULL AND EXISTS (
        SELECT 1 FROM suppression x WHERE x.email_sha256 = salespad_pii_hash(s.email)))
   OR (s.phone IS NOT NULL AND EXISTS (
        SELECT 1 FROM suppression x WHERE x.phone_sha256 = salespad_pii_hash(s.phone)))
"""
# By email (case-insensitive), else an email-less lead with this phone: as POST /api/leads.
# Two statements, so each probes its own index (lower(email); phone).
MATCH = (
    """UPDATE import_stage s SET lead_id = l.id FROM lead l
    WHERE s.lead_id IS NULL AND s.email IS NOT NULL AND lower(l.email) = s.email""",
    """UPDATE import_stage s SET lead_id = l.id FROM lead l
    WHERE s.lead_id IS NULL AND s.email IS NULL AND l.email IS NULL AND l.phone = s.phone""",
)
INSERT = """
WITH ins AS (
    INSERT INTO lead (id, name, email, phone, timezone, company, title, owner, preferred_channel,
                      metadata, status, created_at, updated_at)
    SELECT new_id, COALESCE(name, email, phone), email, phone, timezone, company, title, owner,
           preferred_channel, meta, 'NEW', now(), now()
    FROM import_stage WHERE lead_id IS NULL
    ON CONFLICT DO NOTHING
    RETURNING id)
UPDATE import_stage s SET lead_id = s.new_id, outcome = 'created' FROM ins WHERE s.new_id = ins.id
"""
EVENTS = """
INSERT INTO event_log (lead_id, event_type, details)
SELECT lead_id,
       CASE outcome WHEN 'created' THEN 'LEAD_CREATED' ELSE 'LEAD_UPDATED' END,
       jsonb_build_object('source', 'import', 'import_id', %(import_id)s::text, 'line', line)
       || CASE WHEN suppressed THEN '{"suppressed": true}'::jsonb ELSE '{}'::jsonb END
FROM import_stage WHERE outcome IN ('created', 'updated')
"""
# Every lead the file names, whatever its outcome: a campaign "from this import" enrolls them.
LINK = """
INSERT INTO import_lead (import_id, lead_id)
SELECT %(import_id)s, lead_id FROM import_stage WHERE lead_id IS NOT NULL
ON CONFLICT DO NOTHING
"""
COUNTS = """
SELECT outcome, count(*), count(*) FILTER (WHERE suppressed) FROM import_stage GROUP BY outcome
"""
COPY_REJECTIONS = 'COPY import_rejection (import_id, line, "column", reason, raw) FROM STDIN'


def _update_sql(mode: OnDuplicate) -> str:
    """update: the file's non-empty values win; fill-empty: only empty lead fields are filled.
    Either way a lead counts as updated only when a value actually changes."""
    if mode == "update":
        new = {f: f"COALESCE(s.{f}, l.{f})" for f in FIELDS}
        meta = "l.metadata || s.meta"
    else:
        new = {f: f"COALESCE(NULLIF(l.{f}, ''), s.{f})" for f in FIELDS}
        meta = "s.meta || l.metadata"
    sets = ", ".join(f"{f} = {expr}" for f, expr in new.items())
    changed = " OR ".join(f"{expr} IS DISTINCT FROM l.{f}" for f, expr in new.items())
    return f"""
WITH upd AS (
    UPDATE lead l SET {sets}, metadata = {meta}, updated_at = now()
    FROM import_stage s
    WHERE s.lead_id = l.id AND s.outcome IS NULL AND ({changed} OR {meta} <> l.metadata)
    RETURNING l.id)
UPDATE import_stage s SET outcome = 'updated' FROM upd WHERE s.lead_id = upd.id
"""


@dataclass
class BatchCounts:
    created: int = 0
    updated: int = 0
    skipped: int = 0
    rejected: int = 0
    suppressed: int = 0

    @property
    def rows(self) -> int:
        return self.created + self.updated + self.skipped + self.rejected


async def driver_connection(session: AsyncSession) -> AsyncConnection[Any]:
    """The session's psycopg connection, inside the session's transaction (for COPY)."""
    conn = await session.connection()
    raw = await conn.get_raw_connection()
    driver: AsyncConnection[Any] = raw.driver_connection  # type: ignore[assignment]
    return driver


async def apply_batch(
    session: AsyncSession,
    import_id: uuid.UUID,
    rows: list[CleanRow],
    rejections: list[Rejection],
    mode: OnDuplicate,
) -> BatchCounts:
    """Upsert `rows`, record `rejections`, and return what happened (the caller commits)."""
    pg = await driver_connection(session)
    counts = BatchCounts(rejected=len(rejections))
    async with pg.cursor() as cur:
        if rejections:
            async with cur.copy(COPY_REJECTIONS) as copy:
                for r in rejections:
                    await copy.write_row(
                        (import_id, r.line, r.column, r.reason, json.dumps(r.cells))
                    )
        if rows:
            await _upsert(cur, import_id, rows, mode, counts)
    return counts


async def _upsert(
    cur: AsyncCursor[Any],
    import_id: uuid.UUID,
    rows: list[CleanRow],
    mode: OnDuplicate,
    counts: BatchCounts,
) -> None:
    await cur.execute(STAGE)
    await cur.execute("TRUNCATE import_stage")
    async with cur.copy(COPY_STAGE) as copy:
        for r in rows:
            await copy.write_row(
                (r.line, r.email, r.phone, r.name, r.company, r.title, r.timezone, r.owner,
                 r.preferred_channel, json.dumps(r.meta, ensure_ascii=False))
            )  # fmt: skip
    await cur.execute("ANALYZE import_stage")
    await cur.execute(SUPPRESSED)
    # Twice: a lead another writer created since the first match is matched, not lost.
    for _ in range(2):
        for match in MATCH:
            await cur.execute(match)
        await cur.execute(INSERT)
    if mode != "skip":
        await cur.execute(_update_sql(mode))
    await cur.execute("UPDATE import_stage SET outcome = 'skipped' WHERE outcome IS NULL")
    await cur.execute(EVENTS, {"import_id": str(import_id)})
    await cur.execute(LINK, {"import_id": import_id})
    await cur.execute(COUNTS)
    by_outcome: Counter[str] = Counter()
    for outcome, n, suppressed in await cur.fetchall():
        by_outcome[outcome] = n
        counts.suppressed += suppressed
    counts.created = by_outcome["created"]
    counts.updated = by_outcome["updated"]
    counts.skipped = by_outcome["skipped"]
