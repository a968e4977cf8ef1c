"""Messy files as spreadsheets and CRMs write them: encodings, delimiters, quoting, XLSX."""

from __future__ import annotations

import codecs
from pathlib import Path

import openpyxl
import pytest

from services.errors import InvalidInput
from services.imports.readers import CsvTable, open_table


def read(
    path: Path, data: bytes, name: str = "leads.csv"
) -> tuple[list[str], list[tuple[int, list[str]]]]:
    path.write_bytes(data)
    table = open_table(path, name)
    try:
        return table.header, [(r.line, r.cells) for r in table.rows()]
    finally:
        table.close()


def test_utf8_bom_semicolons_crlf_blank_lines_and_multiline_quotes(tmp_path: Path) -> None:
    text = (
        "Name;Email;Notes\r\n"
        "\r\n"
        'Ada;ada@example.com;"met at\r\nthe fair; twice"\r\n'
        "\r\n"
        "Bob;bob@example.com;\r\n"
    )
    header, rows = read(tmp_path / "a.csv", codecs.BOM_UTF8 + text.encode())
    assert header == ["Name", "Email", "Notes"]  # no BOM left on the first name
    assert rows == [
        (3, ["Ada", "ada@example.com", "met at\r\nthe fair; twice"]),
        (6, ["Bob", "bob@example.com", ""]),  # line 6: the quoted newline took line 4
    ]


def test_utf16_with_bom_is_excels_tab_separated_unicode_text(tmp_path: Path) -> None:
    text = "Full Name\tE-mail\r\nJosé Núñez\tjose@example.com\r\n"
    for encoding in ("utf-16-le", "utf-16-be"):
        bom = codecs.BOM_UTF16_LE if encoding == "utf-16-le" else codecs.BOM_UTF16_BE
        header, rows = read(tmp_path / f"{encoding}.txt", bom + text.encode(encoding))
        assert header == ["Full Name", "E-mail"]
        assert rows == [(2, ["José Núñez", "jose@example.com"])]


def test_cp1252_falls_back_when_the_file_is_not_utf8(tmp_path: Path) -> None:
    data = "name,email\nJosé Müller – CEO,jose@example.com\n".encode("cp1252")
    path = tmp_path / "win.csv"
    path.write_bytes(data)
    table = open_table(path, "win.csv")
    assert isinstance(table, CsvTable) and table.encoding == "cp1252"
    assert [r.cells for r in table.rows()] == [["José Müller – CEO", "jose@example.com"]]
    table.close()


def test_comma_and_tab_are_sniffed_and_trailing_empty_columns_dropped(tmp_path: Path) -> None:
    header, rows = read(tmp_path / "c.csv", b"Email,Phone,,\nA@x.io,+14155550123,,\n")
    assert header == ["Email", "Phone"]
    assert rows == [(2, ["A@x.io", "+14155550123", "", ""])]
    header, _ = read(tmp_path / "t.tsv", b"Email\tPhone\ta,b\n")
    assert header == ["Email", "Phone", "a,b"]


def test_empty_and_header_only_files(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="empty"):
        read(tmp_path / "e.csv", b"")
    with pytest.raises(InvalidInput, match="no header"):
        read(tmp_path / "b.csv", b"\r\n\r\n")
    assert read(tmp_path / "h.csv", b"email\n") == (["email"], [])


def test_xlsx_first_sheet_read_lazily_with_sheet_row_numbers(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["First Name", "Last Name", "Email", "Mobile Phone"])
    sheet.append(["Ada", "Lovelace", "ada@example.com", 4155550123])
    sheet.append([None, None, None, None])
    sheet.append(["Bob", None, "bob@example.com", None])
    path = tmp_path / "leads.xlsx"
    book.save(path)
    table = open_table(path, "leads.xlsx")
    assert table.header == ["First Name", "Last Name", "Email", "Mobile Phone"]
    rows = [(r.line, r.cells) for r in table.rows()]
    table.close()
    assert rows == [
        (2, ["Ada", "Lovelace", "ada@example.com", "4155550123"]),
        (4, ["Bob", "", "bob@example.com", ""]),
    ]
    assert table.progress() == 1.0


def test_old_xls_is_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="xls"):
        read(tmp_path / "old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "old.xls")
