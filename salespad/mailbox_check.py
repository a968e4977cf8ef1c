"""`salespad mailbox check NAME_OR_DOMAIN`: a sending domain's SPF, DKIM and DMARC in DNS.

NAME_OR_DOMAIN is a mailbox's name or address (looked up in the database: SALESPAD_DATABASE_URL,
else the one `salespad dev` runs here), an email address, or a domain. Exit codes:
0 every record ok (warnings allowed), 1 a record FAILs, 2 the mailbox or domain is unknown or
an option is wrong, 3 the check was skipped because no DNS server answered.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from config.settings import Settings
from salespad.apikeys import NoDatabase, with_session
from services.mailboxes.dns_check import (
    DnsUnreachable,
    DomainReport,
    TxtLookup,
    check_domain,
    domain_of,
    mailbox_sender,
)

OK, FAILED, UNKNOWN, SKIPPED = 0, 1, 2, 3


@dataclass(frozen=True)
class Target:
    domain: str
    provider: str | None = None
    mailbox: str | None = None


class UnknownTarget(Exception):
    pass


def run(
    settings: Settings,
    name_or_domain: str,
    selectors: Sequence[str],
    nameserver: str | None,
    timeout: float,
) -> tuple[int, str]:
    """(exit code, what to print)."""
    try:
        target = resolve(settings, name_or_domain)
    except UnknownTarget as exc:
        return UNKNOWN, f"salespad mailbox check: {exc}"
    server = nameserver or settings.dns_nameserver
    try:
        lookup = TxtLookup(server, timeout)
        report = check_domain(lookup, target.domain, selectors, provider=target.provider)
    except DnsUnreachable as exc:
        return SKIPPED, (
            f"DNS check of {target.domain} skipped: {exc}; nothing was checked "
            "(--nameserver HOST[:PORT] asks another server)"
        )
    except ValueError as exc:  # a --nameserver that is not HOST[:PORT]
        return UNKNOWN, f"salespad mailbox check: bad nameserver {server!r}: {exc}"
    return (FAILED if report.failed else OK), render(report, target)


def resolve(settings: Settings, name_or_domain: str) -> Target:
    """A mailbox by name or address when the database has one, else the domain given."""
    given = name_or_domain.strip()
    try:
        mailbox = asyncio.run(with_session(settings, lambda s: mailbox_sender(s, given)))
    except NoDatabase:
        mailbox = None
    except Exception as exc:  # the database is down: a plain domain still gets checked
        if not _looks_like_domain(domain_of(given)):
            raise UnknownTarget(f"cannot look up mailbox {given!r}: {exc}") from exc
        mailbox = None
    if mailbox is not None:
        return Target(domain_of(mailbox.address), mailbox.provider, mailbox.name)
    domain = domain_of(given)
    if not _looks_like_domain(domain):
        raise UnknownTarget(f"no mailbox named {given!r}, and it is not a domain")
    return Target(domain)


def _looks_like_domain(value: str) -> bool:
    labels = value.split(".")
    return len(labels) >= 2 and all(
        label and len(label) <= 63 and label.replace("-", "").replace("_", "").isalnum()
        for label in labels
    )


def render(report: DomainReport, target: Target) -> str:
    head = f"{report.domain}" + (f" (mailbox {target.mailbox})" if target.mailbox else "")
    lines = [head, *(f"  {c.status:<5} {c.record:<6} {c.message}" for c in report.checks)]
    return "\n".join(lines)
