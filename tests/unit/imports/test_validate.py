"""Row validation: emails, E.164 phones, IANA zones, names, metadata and the reasons given."""

from __future__ import annotations

from services.imports.columns import plan_columns
from services.imports.readers import SourceRow
from services.imports.validate import CleanRow, Rejection, validate_row

HEADER = ["First Name", "Last Name", "Email", "Phone", "Time Zone", "Company", "Twitter"]
PLAN = plan_columns(HEADER)


def check(*cells: str, region: str = "US") -> CleanRow | Rejection:
    return validate_row(PLAN, SourceRow(7, list(cells)), region)


def test_a_clean_row_is_normalised() -> None:
    row = check("José", "Núñez", " JOSE@Example.COM ", "(415) 555-2671", "", "ACME", "@jose")
    assert row == CleanRow(
        line=7,
        email="jose@example.com",
        phone="+14155552671",
        name="José Núñez",
        company="ACME",
        timezone=None,  # the US has many zones: none is guessed
        meta={"Twitter": "@jose"},
    )


def test_timezone_checked_case_insensitively_or_inferred_from_a_one_zone_country() -> None:
    row = check("A", "", "a@example.com", "", "europe/london", "", "")
    assert isinstance(row, CleanRow) and row.timezone == "Europe/London"
    row = check("A", "", "", "030 123456", "", "", "", region="DE")
    assert isinstance(row, CleanRow)
    assert (row.phone, row.timezone) == ("+4930123456", "Europe/Berlin")


def test_rejections_name_the_column_and_every_reason() -> None:
    bad = check("A", "", "ada@", "12345", "Mars/Olympus", "", "")
    assert isinstance(bad, Rejection)
    assert bad.line == 7 and bad.column == "Email"
    assert bad.reason == (
        "invalid email: There must be something after the @-sign.; "
        "invalid phone: not a valid phone number (read with default region US); "
        "unknown IANA time zone 'Mars/Olympus'"
    )
    assert bad.cells == ["A", "", "ada@", "12345", "Mars/Olympus", "", ""]


def test_a_row_without_email_or_phone_is_rejected() -> None:
    bad = check("Nobody", "", "", "", "", "ACME", "")
    assert isinstance(bad, Rejection)
    assert (bad.column, bad.reason) == (None, "no email or phone")


def test_extra_values_beyond_the_header_reject_the_row_but_extra_blanks_do_not() -> None:
    assert isinstance(check("A", "", "a@example.com", "", "", "", "", "", ""), CleanRow)
    bad = check("A", "", "a@example.com", "", "", "", "", "oops")
    assert isinstance(bad, Rejection)
    assert bad.reason == "the row has 8 values, the header 7 columns"


def test_overlong_text_is_rejected_not_truncated() -> None:
    bad = check("A", "", "a@example.com", "", "", "x" * 201, "")
    assert isinstance(bad, Rejection)
    assert (bad.column, bad.reason) == ("Company", "longer than 200 characters")


def test_the_per_domain_shortcut_agrees_with_email_validator() -> None:
    from email_validator import EmailNotValidError, validate_email

    from services.imports.validate import clean_email

    cases = ["Ada@Example.COM", "a..b@example.com", "a@-bad.com", "a@localhost", "a@x.test",
             "ünï@bücher.de", '"quoted"@example.com', "a@[127.0.0.1]", "a@b", "a b@example.com",
             ".a@example.com", "a@example..com", f"{'x' * 65}@example.com"]  # fmt: skip
    for case in cases:
        try:
            expected: str | None = validate_email(case, check_deliverability=False).normalized
        except EmailNotValidError:
            expected = None
        try:
            got: str | None = clean_email(case)
        except ValueError:
            got = None
        assert got == (expected.lower() if expected else None), case
