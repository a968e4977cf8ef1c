"""How fast a CSV import runs next to a bare COPY of the same rows.

Run: .venv/bin/python bench/import_csv.py [rows]   (default 100,000)
Starts its own embedded PostgreSQL (removed afterwards), generates a CSV with realistic noise
(mixed-case emails, formatted phones, extra columns, a few bad rows), then times
  1. a raw psycopg COPY of the same rows into a scratch table (the floor), and
  2. the full import (parse, validate emails/phones/zones, dedupe, COPY to staging,
     set-based upsert, events, progress counts).
Prints rows/s for both and the ratio (the target is >= 0.3 of COPY). It never asserts.
"""

from __future__ import annotations

import asyncio
import csv
import random
import sys
import tempfile
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from models.db import Database  # noqa: E402
from models.migrate import upgrade  # noqa: E402
from salespad.local import EmbeddedPostgres  # noqa: E402
from services.imports import service  # noqa: E402

HEADER = ["First Name", "Last Name", "Email", "Phone Number", "Company Name", "Job Title",
          "Lead Source", "Notes"]  # fmt: skip


AREA_CODES = (212, 312, 415, 512, 617, 646, 702, 713, 808, 917)


def generate(path: Path, n: int) -> list[list[str]]:
    rnd = random.Random(7)
    rows = []
    for i in range(n):
        email = f"Lead.{i}@Company{i % 997}.example.com"
        if i % 500 == 0:
            email = f"broken-{i}@"  # rejected
        area = rnd.choice(AREA_CODES)
        phone = f"({area}) {rnd.randint(200, 999)}-{i % 10000:04d}" if i % 3 else ""
        rows.append([f"First{i}", f"Last{i}", email, phone, f"Company {i % 997}", "VP Sales",
                     "webinar", f"note {i}"])  # fmt: skip
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        w.writerows(rows)
    return rows


def raw_copy(libpq: str, rows: list[list[str]]) -> float:
    with psycopg.connect(libpq) as conn:
        conn.execute(
            "CREATE TABLE scratch (first text, last text, email text, phone text, company text,"
            " title text, source text, notes text)"
        )
        start = time.perf_counter()
        with conn.cursor() as cur, cur.copy("COPY scratch FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        conn.commit()
        return time.perf_counter() - start


async def full_import(url: str, path: Path) -> tuple[float, str]:
    db = Database(url)
    try:
        options = service.parse_options("update", None, None)
        start = time.perf_counter()
        prepared = service.prepare(path, path.name, options, delete_after=False)
        record = await service.create_record(db, prepared)
        await service.run(db, record.id, prepared, "US")
        elapsed = time.perf_counter() - start
        async with db.session() as session:
            r = await service.import_detail(session, record.id)
        summary = (
            f"{r.status}: {r.rows} rows, {r.created} created, {r.updated} updated, "
            f"{r.skipped} skipped, {r.rejected} rejected"
        )
        return elapsed, summary
    finally:
        await db.dispose()


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    work = Path(tempfile.mkdtemp(prefix="salespad-bench-"))
    csv_path = work / "leads.csv"
    rows = generate(csv_path, n)
    print(f"{n:,} rows, {csv_path.stat().st_size / 1e6:.1f} MB CSV")
    pg = EmbeddedPostgres(work / "pg", delete_on_stop=True).start()
    try:
        url = pg.url("bench")
        upgrade(url)
        libpq = url.replace("postgresql+psycopg://", "postgresql://", 1)
        copy_s = raw_copy(libpq, rows)
        import_s, summary = asyncio.run(full_import(url, csv_path))
    finally:
        pg.stop()
    print(f"raw COPY     {copy_s:7.2f} s  {n / copy_s:10,.0f} rows/s")
    print(f"full import  {import_s:7.2f} s  {n / import_s:10,.0f} rows/s  ({summary})")
    print(f"ratio        {copy_s / import_s:.2f} of COPY (target >= 0.3)")


if __name__ == "__main__":
    main()
