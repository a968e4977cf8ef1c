"""One row in, a clean lead or the reasons it was refused out: emails checked by
email-validator, phones made E.164 by phonenumbers, time zones checked against the IANA
database (or inferred from a phone whose country has a single zone)."""

from __future__ import annotations

import functools
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from phonenumbers import timezone as phone_timezones

from models.enums import PREFERABLE_CHANNELS
from services.imports.columns import ColumnPlan
from services.imports.readers import SourceRow
from services.leads.schemas import check_metadata_size

MAX_TEXT = 200


@dataclass
class CleanRow:
    line: int
    email: str | None
    phone: str | None
    name: str | None = None
    company: str | None = None
    title: str | None = None
    timezone: str | None = None
    owner: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    preferred_channel: str | None = None

    def key(self) -> str:
        """What this row is matched on: its email, else its phone (as POST /api/leads)."""
        return f"e:{self.email}" if self.email else f"p:{self.phone}"


@dataclass
class Rejection:
    line: int
    column: str | None
    reason: str
    cells: list[str]


def _email(value: str) -> str:
    try:
        return validate_email(value, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from None


@functools.lru_cache(maxsize=65536)
def _domain(domain: str) -> str:
    """A domain checked once per file, not once per row: its UTS-46 check is most of the cost
    of validating an address, and lists repeat their domains."""
    return _email(f"x@{domain}").partition("@")[2]


def clean_email(value: str) -> str:
    """Lower-cased and checked for syntax only (no DNS): ValueError names the problem."""
    local, at, domain = value.rpartition("@")
    if not at or '"' in value or "[" in domain or len(value) > 254:
        return _email(value)  # quoted, IP literal, missing @ or too long: the full check says
    try:
        checked_domain = _domain(domain)
    except ValueError:
        return _email(value)  # the library's own message for the whole address
    # The local part against a known-good domain: the same rules, a fraction of the work.
    return f"{_email(f'{local}@a.co').partition('@')[0]}@{checked_domain}"


def clean_phone(value: str, region: str) -> tuple[str, int]:
    """(E.164, calling code); a number without a country code is read as `region`'s."""
    try:
        number = phonenumbers.parse(value.lstrip("'"), region)
    except phonenumbers.NumberParseException:
        raise ValueError("not a phone number") from None
    # Valid for the default region implies valid; the full check tries every region sharing
    # the calling code (about 25 for +1), so it runs only for the rest.
    if not (
        phonenumbers.is_valid_number_for_region(number, region)
        or phonenumbers.is_valid_number(number)
    ):
        raise ValueError(f"not a valid phone number (read with default region {region})")
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return e164, number.country_code or 0


@functools.cache
def _zones_by_folded_name() -> dict[str, str]:
    return {z.lower(): z for z in zoneinfo.available_timezones()}


def clean_timezone(value: str) -> str:
    zone = _zones_by_folded_name().get(value.strip().lower())
    if zone is None:
        raise ValueError(f"unknown IANA time zone {value!r}")
    return zone


@functools.cache
def zone_of_country_code(country_code: int) -> str | None:
    """The zone of a calling code whose country has exactly one (e.g. 49 -> Europe/Berlin)."""
    data: dict[str, tuple[str, ...]] = phone_timezones.TIMEZONE_DATA  # type: ignore[attr-defined]
    zones = data.get(str(country_code), ())
    return zones[0] if len(zones) == 1 and zones[0] != "Etc/Unknown" else None


def validate_row(plan: ColumnPlan, row: SourceRow, region: str) -> CleanRow | Rejection:
    cells = row.cells
    problems: list[tuple[str | None, str]] = []
    width = len(plan.header)
    if len(cells) > width and any(c.strip() for c in cells[width:]):
        problems.append((None, f"the row has {len(cells)} values, the header {width} columns"))

    def cell(index: int) -> str:
        return cells[index].strip() if index < len(cells) else ""

    def text(field_name: str) -> str | None:
        index = plan.single.get(field_name)
        value = cell(index) if index is not None else ""
        if len(value) > MAX_TEXT:
            problems.append((plan.header[index or 0], f"longer than {MAX_TEXT} characters"))
            return None
        return value or None

    email = None
    if (index := plan.single.get("email")) is not None and (raw := cell(index)):
        try:
            email = clean_email(raw)
        except ValueError as exc:
            problems.append((plan.header[index], f"invalid email: {exc}"))
    phone, country_code = None, 0
    meta: dict[str, Any] = {}
    phone_index = next((i for i in plan.phones if cell(i)), None)
    if phone_index is not None:
        try:
            phone, country_code = clean_phone(cell(phone_index), region)
        except ValueError as exc:
            problems.append((plan.header[phone_index], f"invalid phone: {exc}"))
    for i in plan.phones:
        if i != phone_index and cell(i):
            meta[plan.header[i]] = cell(i)
    zone = None
    if (index := plan.single.get("timezone")) is not None and (raw := cell(index)):
        try:
            zone = clean_timezone(raw)
        except ValueError as exc:
            problems.append((plan.header[index], str(exc)))
    elif phone:
        zone = zone_of_country_code(country_code)
    name = text("name")
    if name is None:
        parts = [p for p in (text("first_name"), text("last_name")) if p]
        name = " ".join(parts)[:MAX_TEXT] or None
    company, title, owner = text("company"), text("title"), text("owner")
    channel = None
    if (index := plan.single.get("preferred_channel")) is not None and (raw := cell(index)):
        channel = raw.upper()
        if channel not in PREFERABLE_CHANNELS:
            choices = ", ".join(sorted(PREFERABLE_CHANNELS))
            problems.append((plan.header[index], f"preferred channel must be one of {choices}"))
    for i, key in plan.meta:
        if value := cell(i):
            meta[key] = value
    try:
        check_metadata_size(meta)
    except ValueError as exc:
        problems.append((None, f"the extra columns are too big: {exc}"))
    if not problems and not email and not phone:
        problems.append((None, "no email or phone"))
    if problems:
        reason = "; ".join(reason for _, reason in problems)
        column = next((c for c, _ in problems if c is not None), None)
        return Rejection(row.line, column, reason, list(cells))
    return CleanRow(row.line, email, phone, name, company, title, zone, owner, meta, channel)
