"""`salespad mailbox check`: real DNS exchanges over loopback with a small UDP server written
here (dnspython's message API), so the resolver, the wire format and the CLI all run."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset
import pytest
from typer.testing import CliRunner

from salespad.cli import app
from services.mailboxes.dns_check import dkim, dmarc, spf

WORKTREE = Path(__file__).resolve().parents[2]
KEY = "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDh"
ZONE: dict[str, list[str]] = {
    # good.test: everything in place; the SPF record comes in two strings, joined by receivers.
    "good.test.": ['"v=spf1 include:sendgrid.net " "-all"', '"google-site-verification=x"'],
    "s1._domainkey.good.test.": [f'"k=rsa; p={KEY}"'],
    "_dmarc.good.test.": ['"v=DMARC1; p=reject; rua=mailto:d@good.test"'],
    # nodmarc.test: SPF and DKIM, no DMARC.
    "nodmarc.test.": ['"v=spf1 include:sendgrid.net ~all"'],
    "s2._domainkey.nodmarc.test.": [f'"v=DKIM1; k=rsa; p={KEY}"'],
    # A subdomain covered by its parent's DMARC (sp=quarantine).
    "_dmarc.parent.test.": ['"v=DMARC1; p=none; sp=quarantine"'],
    "mail.parent.test.": ['"v=spf1 -all"'],
}


class DnsServer:
    """Answers TXT from ZONE, NS for the root zone (as the internet's DNS does), NXDOMAIN for
    any other name; `lying=True` denies even the root zone, as a sandbox's resolver does."""

    def __init__(self, *, lying: bool = False) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self.sock.getsockname()[1]}"
        self.lying = lying
        self.questions: list[str] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                wire, peer = self.sock.recvfrom(4096)
            except OSError:
                return
            query = dns.message.from_wire(wire)
            self.sock.sendto(self._answer(query).to_wire(), peer)

    def _answer(self, query: dns.message.Message) -> dns.message.Message:
        response = dns.message.make_response(query)
        question = query.question[0]
        name = question.name.to_text()
        self.questions.append(name)
        if name == "." and not self.lying:
            if question.rdtype == dns.rdatatype.NS:
                response.answer.append(
                    dns.rrset.from_text(".", 3600, "IN", "NS", "a.root-servers.net.")
                )
            return response
        if name not in ZONE or self.lying:
            response.set_rcode(dns.rcode.NXDOMAIN)
        elif question.rdtype == dns.rdatatype.TXT:
            response.answer.append(dns.rrset.from_text_list(name, 300, "IN", "TXT", ZONE[name]))
        return response

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def dns_server() -> Iterator[DnsServer]:
    server = DnsServer()
    yield server
    server.close()


def _check(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["mailbox", "check", *args, "--timeout", "2"])
    return result.exit_code, result.output


def test_a_domain_with_spf_dkim_and_dmarc_is_ok(
    dns_server: DnsServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env, no `salespad dev` database: a plain domain
    monkeypatch.delenv("SALESPAD_DATABASE_URL", raising=False)
    code, out = _check("ops@good.test", "--nameserver", dns_server.address)
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0] == "good.test"
    assert lines[1].split()[:2] == ["ok", "SPF"]
    assert '"v=spf1 include:sendgrid.net -all"' in lines[1]
    assert lines[2].split()[:2] == ["ok", "DKIM"]
    assert "s1._domainkey.good.test" in lines[2]
    assert lines[3].split()[:2] == ["ok", "DMARC"]
    assert "policy reject" in lines[3]
    assert "_dmarc.good.test." in dns_server.questions


def test_a_missing_dmarc_record_fails_and_says_what_to_add(
    dns_server: DnsServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SALESPAD_DATABASE_URL", raising=False)
    code, out = _check("nodmarc.test", "--nameserver", dns_server.address)
    assert code == 1, out
    by_record = {line.split()[1]: line.split()[0] for line in out.splitlines()[1:]}
    assert by_record == {"SPF": "ok", "DKIM": "ok", "DMARC": "FAIL"}
    assert 'add TXT at _dmarc.nodmarc.test: "v=DMARC1; p=none' in out


def test_a_named_selector_without_a_key_fails(
    dns_server: DnsServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SALESPAD_DATABASE_URL", raising=False)
    args = ("good.test", "--nameserver", dns_server.address, "--dkim-selector", "mta")
    code, out = _check(*args)
    assert code == 1, out
    assert "FAIL  DKIM   no DKIM key for selector mta" in out
    assert "s1._domainkey.good.test." not in dns_server.questions  # only the one named


def test_unreachable_dns_skips_the_check_with_its_own_exit_code(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SALESPAD_DATABASE_URL", raising=False)
    closed = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there any more
    code, out = _check("good.test", "--nameserver", f"127.0.0.1:{port}")
    assert code == 3, out
    [line] = out.splitlines()
    assert line.startswith("DNS check of good.test skipped: ")
    assert f"127.0.0.1:{port}" in line


def test_a_resolver_that_knows_no_internet_names_skips_rather_than_fails(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """This machine's own resolver answers NXDOMAIN for every name: that is no verdict."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SALESPAD_DATABASE_URL", raising=False)
    lying = DnsServer(lying=True)
    try:
        code, out = _check("good.test", "--nameserver", lying.address)
    finally:
        lying.close()
    assert code == 3, out
    assert "does not resolve internet names" in out


def test_the_console_script_reads_the_nameserver_from_the_environment(
    dns_server: DnsServer, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(WORKTREE),
        "SALESPAD_DNS_NAMESERVER": dns_server.address,
    }
    env.pop("SALESPAD_DATABASE_URL", None)
    run = subprocess.run(
        [sys.executable, "-m", "salespad.cli", "mailbox", "check", "mail.parent.test"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    # The subdomain has no DMARC record of its own: its parent's sp= covers it.
    assert (
        "ok    DMARC  policy quarantine at _dmarc.parent.test (the parent domain's)" in run.stdout
    )
    assert "warn  DKIM" in run.stdout  # none of the common selectors has a key


def test_spf_verdicts() -> None:
    assert spf("x.test", ["v=spf1 +all"]).status == "FAIL"
    assert spf("x.test", ["v=spf1 a mx all"]).status == "FAIL"
    assert spf("x.test", ["v=spf1 -all", "v=spf1 ~all"]).status == "FAIL"
    assert spf("x.test", ["v=spf1 include:a.test ?all"]).status == "warn"
    assert spf("x.test", ["v=spf1 include:a.test"]).status == "warn"
    assert spf("x.test", ["v=spf1 redirect=_spf.a.test"]).status == "ok"
    eleven = " ".join(f"include:{i}.test" for i in range(11))
    assert spf("x.test", [f"v=spf1 {eleven} -all"]).status == "FAIL"
    missing = spf("x.test", ["v=spf10 -all"], provider="sendgrid")
    assert (missing.status, "include:sendgrid.net" in missing.message) == ("FAIL", True)


def test_dkim_and_dmarc_verdicts() -> None:
    assert dkim("x.test", {"s1": ["v=DKIM1; p="]}, named=False).status == "warn"
    assert dkim("x.test", {"s1": []}, named=False).status == "warn"
    assert dkim("x.test", {"s1": []}, named=True).status == "FAIL"
    assert dmarc("_dmarc.x.test", ["v=DMARC1; p=none"]).status == "warn"
    assert dmarc("_dmarc.x.test", ["v=DMARC1; p=quarantine"]).status == "ok"
    assert dmarc("_dmarc.x.test", ["v=DMARC1; rua=mailto:a@x.test"]).status == "FAIL"
    assert dmarc("_dmarc.x.test", ["v=DMARC1; p=reject", "v=DMARC1; p=none"]).status == "FAIL"
