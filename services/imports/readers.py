"""Reading an uploaded table one row at a time: CSV in whatever encoding and delimiter a
spreadsheet or CRM export chose, or the first sheet of an XLSX workbook.

Nothing here holds the whole file: CSV is decoded through a text wrapper over the file on disk,
XLSX through openpyxl's read-only (streaming) mode.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Protocol

from services.errors import InvalidInput

CHUNK = 1 << 20
DELIMITERS = (",", ";", "\t")
# Quoted fields may hold long notes; a broken quote is still caught, just later.
csv.field_size_limit(16 * CHUNK)


class ImportFileError(Exception):
    """The file cannot be read on (a broken quote, a damaged workbook): the import fails."""


@dataclass(frozen=True)
class SourceRow:
    line: int  # the physical line (CSV) or sheet row (XLSX) the row starts on; header = 1
    cells: list[str]


class Table(Protocol):
    header: list[str]

    def rows(self) -> Iterator[SourceRow]: ...

    def progress(self) -> float: ...

    def close(self) -> None: ...


def open_table(path: Path, filename: str = "") -> Table:
    """The reader for this file, its header already read. InvalidInput when there is none."""
    with path.open("rb") as f:
        head = f.read(8)
    if not head:
        raise InvalidInput("the file is empty", [{"field": "file", "message": "no rows"}])
    name = filename.lower()
    if head.startswith(b"PK\x03\x04") or name.endswith((".xlsx", ".xlsm")):
        return XlsxTable(path)
    if head.startswith(b"\xd0\xcf\x11\xe0") or name.endswith(".xls"):
        raise InvalidInput(
            "old binary .xls workbooks are not supported",
            [{"field": "file", "message": "save it as .xlsx or .csv and upload that"}],
        )
    return CsvTable(path, detect_encoding(path))


def detect_encoding(path: Path) -> str:
    """A BOM decides; else UTF-8 if the whole file decodes as UTF-8, else cp1252 (Excel's
    "CSV" on Windows), else Latin-1, which decodes anything."""
    with path.open("rb") as f:
        head = f.read(4096)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if len(head) >= 4 and head.count(0) * 3 > len(head):  # UTF-16 without a BOM
        odd_nuls = head[1::2].count(0)
        return "utf-16-le" if odd_nuls > head[0::2].count(0) else "utf-16-be"
    for encoding in ("utf-8", "cp1252"):
        if _decodes(path, encoding):
            return encoding
    return "latin-1"


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with path.open("rb") as f:
            while chunk := f.read(CHUNK):
                decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def sniff_delimiter(first_line: str) -> str:
    """The delimiter the header uses most (comma on a tie or a one-column file)."""
    counts = {d: first_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def clean_header(cells: list[str]) -> list[str]:
    """Trimmed names, trailing empty columns dropped, blank names numbered."""
    names = [c.strip() for c in cells]
    while names and not names[-1]:
        names.pop()
    return [n or f"column {i + 1}" for i, n in enumerate(names)]


def _blank(cells: list[str]) -> bool:
    return not any(c.strip() for c in cells)


class CsvTable:
    def __init__(self, path: Path, encoding: str) -> None:
        self.encoding = encoding
        self._size = max(os.path.getsize(path), 1)
        self._raw = path.open("rb")
        self._text = io.TextIOWrapper(self._raw, encoding=encoding, newline="")
        self.delimiter = sniff_delimiter(_first_nonblank_line(path, encoding))
        self._reader = csv.reader(self._text, delimiter=self.delimiter)
        self._consumed = 0  # physical lines read so far
        header = self._next()
        if header is None:
            self.close()
            raise InvalidInput("the file has no header row", [{"field": "file", "message": ""}])
        self.header = clean_header(header.cells)

    def _next(self) -> SourceRow | None:
        """The next non-blank row with the line it starts on, or None at the end."""
        while True:
            start = self._consumed + 1
            try:
                cells = next(self._reader)
            except StopIteration:
                return None
            except csv.Error as exc:
                raise ImportFileError(f"line {start}: {exc}") from exc
            self._consumed = self._reader.line_num
            if not _blank(cells):
                return SourceRow(start, cells)

    def rows(self) -> Iterator[SourceRow]:
        while (row := self._next()) is not None:
            yield row

    def progress(self) -> float:
        return min(self._raw.tell() / self._size, 1.0) if not self._raw.closed else 1.0

    def close(self) -> None:
        self._text.close()


def _first_nonblank_line(path: Path, encoding: str) -> str:
    with path.open("r", encoding=encoding, newline="") as f:
        for line in f:
            if line.strip():
                return line
    return ""


class XlsxTable:
    """The workbook's first sheet, read lazily; a row's line is its sheet row number."""

    def __init__(self, path: Path) -> None:
        import openpyxl  # imported here: CSV imports never pay for it

        try:
            self._book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:
            raise InvalidInput(
                "the file is not a readable XLSX workbook", [{"field": "file", "message": str(exc)}]
            ) from exc
        sheet = self._book.worksheets[0]
        self._total = max(sheet.max_row or 1, 1)
        self._iter: Iterator[tuple[Any, ...]] = sheet.iter_rows(values_only=True)
        self._line = 0
        header = self._next()
        if header is None:
            self.close()
            raise InvalidInput("the workbook's first sheet is empty", None)
        self.header = clean_header(header.cells)

    def _next(self) -> SourceRow | None:
        for values in self._iter:
            self._line += 1
            cells = [cell_text(v) for v in values]
            if not _blank(cells):
                return SourceRow(self._line, cells)
        return None

    def rows(self) -> Iterator[SourceRow]:
        while (row := self._next()) is not None:
            yield row

    def progress(self) -> float:
        return min(self._line / self._total, 1.0)

    def close(self) -> None:
        self._book.close()


def cell_text(value: Any) -> str:
    """A cell as the text a CSV export would show: 4155550123, not 4155550123.0."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)
