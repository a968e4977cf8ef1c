"""A sending domain's authentication records in DNS: SPF, DKIM and DMARC, each judged ok, warn
or FAIL with what to add (`salespad mailbox check`).

What is checked, after RFC 7208 (SPF), RFC 6376 (DKIM) and RFC 7489 (DMARC) and the bulk-sender
rules of Gmail and Yahoo (2024: SPF and DKIM, and a DMARC record, for anyone sending in bulk):
- SPF: exactly one TXT record starting `v=spf1` at the domain (two are a permanent error for
  receivers); `+all` (anyone may send as the domain) fails, `?all` or no `all` at all warns.
- DKIM: a TXT record with a public key (`p=`) at `<selector>._domainkey.<domain>`. Selectors
  are the provider's own (SendGrid s1/s2, Google `google`, Microsoft selector1/2, ...): without
  `--dkim-selector` the common ones are tried, and finding none only warns, since the real
  selector may be another; a selector named on the command line without a key fails.
- DMARC: one TXT record starting `v=DMARC1` at `_dmarc.<domain>` (else at the parent domain,
  whose `sp=` / `p=` then covers it), with a policy: `none` only monitors and warns.

A lookup that no DNS server answers, or a server that does not resolve internet names at all
(it denies even the root zone, as a sandbox's resolver does), raises `DnsUnreachable`: the
check is then skipped, not failed (this says nothing about the domain).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import dns.exception
import dns.resolver
from sqlalchemy import func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.mailboxes import Mailbox

Status = Literal["ok", "warn", "FAIL"]

COMMON_DKIM_SELECTORS = ("s1", "s2", "google", "selector1", "selector2", "default", "k1")
# SPF allows at most 10 mechanisms that cost a DNS lookup (RFC 7208 4.6.4).
_SPF_LOOKUP_TERMS = ("include:", "a", "a:", "a/", "mx", "mx:", "mx/", "ptr", "exists:", "redirect=")
_SPF_LOOKUP_LIMIT = 10


class DnsUnreachable(Exception):
    """No DNS server answered (no network, a wrong --nameserver, a resolver that is down)."""


@dataclass(frozen=True)
class RecordCheck:
    record: Literal["SPF", "DKIM", "DMARC"]
    status: Status
    # What was found, or what is missing and what to add.
    message: str


@dataclass
class DomainReport:
    domain: str
    checks: list[RecordCheck] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(c.status == "FAIL" for c in self.checks)


class TxtLookup:
    """TXT lookups through one resolver: the given nameserver (HOST or HOST:PORT, [v6]:PORT),
    else the system's."""

    def __init__(self, nameserver: str | None = None, timeout: float = 3.0) -> None:
        try:
            self._resolver = dns.resolver.Resolver(configure=nameserver is None)
        except dns.resolver.NoResolverConfiguration as exc:
            raise DnsUnreachable(f"no DNS server is configured on this machine ({exc})") from exc
        if nameserver is not None:
            host, port = parse_nameserver(nameserver)
            self._resolver.nameservers = [host]
            self._resolver.port = port
        self._resolver.timeout = timeout
        self._resolver.lifetime = timeout
        self.server = nameserver or ", ".join(str(n) for n in self._resolver.nameservers)

    def probe(self) -> None:
        """Ask for the root zone's name servers, which always exist on the internet. A server
        that says it does not exist resolves no internet names (a sandbox's or a captive
        network's resolver): its "no such record" answers would be false FAILs."""
        try:
            self._resolver.resolve(".", "NS")
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer) as exc:
            raise DnsUnreachable(
                f"the DNS server at {self.server} does not resolve internet names "
                "(it says the root zone does not exist)"
            ) from exc
        except dns.resolver.NoNameservers as exc:
            raise DnsUnreachable(f"no DNS server at {self.server} answered") from exc
        except dns.exception.Timeout as exc:
            raise DnsUnreachable(f"the DNS server at {self.server} did not answer in time") from exc

    def txt(self, name: str) -> list[str]:
        """The name's TXT records, each one string (its parts joined); [] when there are none."""
        try:
            answer = self._resolver.resolve(name, "TXT", raise_on_no_answer=False)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return []
        except dns.resolver.NoNameservers as exc:
            raise DnsUnreachable(f"no DNS server at {self.server} answered for {name}") from exc
        except dns.exception.Timeout as exc:
            raise DnsUnreachable(f"the DNS server at {self.server} did not answer in time") from exc
        return [b"".join(rdata.strings).decode(errors="replace") for rdata in answer]


def parse_nameserver(value: str) -> tuple[str, int]:
    """HOST, HOST:PORT or [IPv6]:PORT -> (IP address, port); a host name is resolved."""
    host, port = value, 53
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        port = int(rest.removeprefix(":") or 53)
    elif value.count(":") == 1:
        host, raw = value.split(":")
        port = int(raw)
    try:
        ipaddress.ip_address(host)
    except ValueError:
        host = socket.gethostbyname(host)
    return host, port


def domain_of(name_or_address: str) -> str:
    return name_or_address.rpartition("@")[2].strip().rstrip(".").lower()


def check_domain(
    lookup: TxtLookup, domain: str, selectors: Sequence[str] = (), *, provider: str | None = None
) -> DomainReport:
    """SPF, DKIM and DMARC of `domain` (raises DnsUnreachable when DNS does not answer)."""
    lookup.probe()
    report = DomainReport(domain)
    report.checks.append(spf(domain, lookup.txt(domain), provider))
    named = bool(selectors)
    keys = {s: lookup.txt(f"{s}._domainkey.{domain}") for s in selectors or COMMON_DKIM_SELECTORS}
    report.checks.append(dkim(domain, keys, named=named))
    dmarc_name = f"_dmarc.{domain}"
    found = lookup.txt(dmarc_name)
    parent = domain.split(".", 1)[1] if domain.count(".") >= 2 else None
    if not _dmarc_records(found) and parent:
        inherited = lookup.txt(f"_dmarc.{parent}")
        if _dmarc_records(inherited):
            report.checks.append(dmarc(f"_dmarc.{parent}", inherited, subdomain=True))
            return report
    report.checks.append(dmarc(dmarc_name, found))
    return report


def spf(domain: str, txts: list[str], provider: str | None = None) -> RecordCheck:
    records = [t for t in txts if _tags_start(t, "v=spf1", sep=" ")]
    if not records:
        include = "include:sendgrid.net" if provider == "sendgrid" else "include:<your provider>"
        return RecordCheck(
            "SPF", "FAIL", f'no SPF record: add TXT at {domain}: "v=spf1 {include} ~all"'
        )
    if len(records) > 1:
        return RecordCheck(
            "SPF",
            "FAIL",
            f"{len(records)} SPF records at {domain}: receivers reject that (permerror); "
            "merge them into one",
        )
    record = records[0]
    terms = [t.lower() for t in record.split()[1:]]
    lookups = sum(1 for t in terms if t.lstrip("+-~?").startswith(_SPF_LOOKUP_TERMS))
    if "all" in terms or "+all" in terms:
        return RecordCheck(
            "SPF",
            "FAIL",
            f'"{record}": +all lets anyone send as {domain}; end it with ~all or -all',
        )
    if lookups > _SPF_LOOKUP_LIMIT:
        return RecordCheck(
            "SPF",
            "FAIL",
            f'"{record}": {lookups} DNS lookups, over the limit of {_SPF_LOOKUP_LIMIT} '
            "(permerror); flatten some includes",
        )
    if "?all" in terms:
        return RecordCheck("SPF", "warn", f'"{record}": ?all is neutral; end it with ~all or -all')
    if not {"~all", "-all"} & set(terms) and not any(t.startswith("redirect=") for t in terms):
        return RecordCheck("SPF", "warn", f'"{record}": no "all" at the end; add ~all or -all')
    return RecordCheck("SPF", "ok", f'"{record}"')


def dkim(domain: str, keys: dict[str, list[str]], *, named: bool) -> RecordCheck:
    published, revoked = [], []
    for selector, txts in keys.items():
        tags = [_tags(t) for t in txts if "p=" in t]
        name = f"{selector}._domainkey.{domain}"
        if any(t.get("p") for t in tags):
            published.append(name)
        elif tags:
            revoked.append(name)
    if published:
        return RecordCheck("DKIM", "ok", f"key published at {', '.join(published)}")
    if revoked:
        return RecordCheck(
            "DKIM", "warn", f"empty key (revoked) at {', '.join(revoked)}: publish the current one"
        )
    tried = ", ".join(keys)
    add = f"publish the DKIM key your provider gives at <selector>._domainkey.{domain}"
    if named:
        return RecordCheck("DKIM", "FAIL", f"no DKIM key for selector {tried}: {add}")
    return RecordCheck(
        "DKIM",
        "warn",
        f"no DKIM key at the common selectors ({tried}): {add}, "
        "or name your selector with --dkim-selector",
    )


def dmarc(name: str, txts: list[str], *, subdomain: bool = False) -> RecordCheck:
    records = _dmarc_records(txts)
    if not records:
        domain = name.removeprefix("_dmarc.")
        return RecordCheck(
            "DMARC",
            "FAIL",
            f'no DMARC record: add TXT at {name}: "v=DMARC1; p=none; rua=mailto:dmarc@{domain}" '
            "(then p=quarantine once the reports look right)",
        )
    if len(records) > 1:
        return RecordCheck(
            "DMARC", "FAIL", f"{len(records)} DMARC records at {name}: receivers ignore them all"
        )
    tags = _tags(records[0])
    policy = (tags.get("sp") if subdomain else None) or tags.get("p", "")
    where = f"{name} (the parent domain's)" if subdomain else name
    if policy not in ("none", "quarantine", "reject"):
        return RecordCheck(
            "DMARC", "FAIL", f'"{records[0]}" at {where}: no valid policy; add p=none or stricter'
        )
    if policy == "none":
        return RecordCheck(
            "DMARC",
            "warn",
            f"policy none at {where}: receivers only monitor; move to p=quarantine or p=reject "
            "once the reports look right",
        )
    return RecordCheck("DMARC", "ok", f"policy {policy} at {where}")


def _dmarc_records(txts: list[str]) -> list[str]:
    return [t for t in txts if _tags_start(t, "v=dmarc1", sep=";")]


def _tags_start(record: str, first: str, *, sep: str) -> bool:
    head = record.strip().split(sep, 1)[0].replace(" ", "").lower()
    return head == first


def _tags(record: str) -> dict[str, str]:
    """`k=v; k=v` tag lists (DKIM, DMARC), keys lowercased, values stripped of spaces."""
    out = {}
    for part in record.split(";"):
        key, sep, value = part.partition("=")
        key, value = key.strip().lower(), "".join(value.split())
        if sep:
            out[key] = value if key == "p" else value.lower()
    return out


async def mailbox_sender(session: AsyncSession, name: str) -> Mailbox | None:
    """The mailbox named `name`, or sending from the address `name`."""
    return (
        await session.exec(
            select(Mailbox).where(
                or_(col(Mailbox.name) == name, func.lower(Mailbox.address) == name.lower())
            )
        )
    ).first()
