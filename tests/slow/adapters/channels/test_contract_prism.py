"""Contract tests: the real SendGrid and Twilio channels against Prism mocks of the providers'
official OpenAPI specs, with request validation on (`--errors`): a request the spec does not
allow is answered 4xx, so the channel raises and the test fails naming the violation.

Prism comes from `<repo>/node_modules` (`make install` runs `npm install`) or, failing that,
is downloaded by npx on first use. The specs live in `<repo>/../shared/specs/`.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from adapters.channels.base import OutboundContent, Recipient
from adapters.channels.email import message_id_for
from adapters.channels.sendgrid import SendGridChannel
from adapters.channels.twilio import TwilioChannel

REPO = Path(__file__).resolve().parents[4]
SPECS = REPO.parent / "shared" / "specs"
LOCAL_PRISM = REPO / "node_modules" / ".bin" / "prism"
START_TIMEOUT = 45.0
ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
LEAD = Recipient(
    lead_id="lead-42", name="Zoë Lovelace", email="zoe@example.com", phone="+14155552671"
)


class Prism:
    def __init__(self, url: str, log: Path) -> None:
        self.url = url
        self.log = log

    def validated(self) -> int:
        """How many requests Prism checked against the spec and found valid."""
        return self.log.read_text().count("The request passed the validation rules")

    def violations(self) -> list[str]:
        return re.findall(r"Violation: .*", self.log.read_text())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _prism(spec_name: str, tmp: Path) -> Iterator[Prism]:
    spec = SPECS / spec_name
    if not spec.is_file():
        pytest.skip(f"provider spec not found: {spec} (the specs live in <repo>/../shared/specs)")
    npx = shutil.which("npx")
    if npx is None:
        pytest.skip("npx not found: install Node.js (then `make install`) for the Prism tests")
    port = _free_port()
    log = tmp / f"prism-{spec.stem}.log"
    command = [npx, "--yes", "@stoplight/prism-cli", "mock", "-h", "127.0.0.1", "-p", str(port)]
    with log.open("w") as out:
        # Its own session, so stopping it also stops the node process npx starts.
        process = subprocess.Popen(
            [*command, "--errors", str(spec)],
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _listening(port):
            if process.poll() is not None or time.monotonic() > deadline:
                reason = f"Prism did not start: {log.read_text()[-2000:]}"
                if not LOCAL_PRISM.exists():  # never installed, and npx could not fetch it
                    pytest.skip(reason + " (run `make install` with network access)")
                pytest.fail(reason)
            time.sleep(0.1)
        yield Prism(f"http://127.0.0.1:{port}", log)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture(scope="module")
def sendgrid_prism(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prism]:
    yield from _prism("sendgrid_mail_v3.json", tmp_path_factory.mktemp("prism"))


@pytest.fixture(scope="module")
def twilio_prism(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prism]:
    yield from _prism("twilio_api_v2010.json", tmp_path_factory.mktemp("prism"))


async def test_sendgrid_mail_send_requests_match_the_spec(sendgrid_prism: Prism) -> None:
    channel = SendGridChannel(
        api_key="SG.contract-test-key",
        from_email="sales@example.com",
        from_name="Grace at SalesPad",
        api_host=sendgrid_prism.url,
        unsubscribe_url_template="https://app.example.com/u/{token}",
    )
    first = OutboundContent(
        body="Hi Zoë,\n\nQuick question about <engines> & looms.",
        subject="Analytical engines",
        idempotency_key="lead-42:enrollment-7:step-1",
        step=1,
        headers={"X-Campaign": "q3"},
        unsubscribe_token="tok.42",
    )
    follow_up = OutboundContent(
        body="Bumping this to the top of your inbox.",
        html="<p>Bumping this to the top of your inbox.</p>",
        subject="Re: Analytical engines",
        idempotency_key="lead-42:enrollment-7:step-3",
        step=3,
        in_reply_to=message_id_for(first.idempotency_key),
    )
    for content in (first, follow_up):
        result = await channel.send(LEAD, content)
        assert result.accepted
    assert sendgrid_prism.violations() == []
    assert sendgrid_prism.validated() == 2


async def test_prism_rejects_what_the_sendgrid_spec_forbids(sendgrid_prism: Prism) -> None:
    """The control: without it, a Prism that accepted anything would pass the test above."""
    async with httpx.AsyncClient(base_url=sendgrid_prism.url) as http:
        res = await http.post(
            "/v3/mail/send",
            json={"from": {"email": "sales@example.com"}, "subject": "no recipients"},
            headers={"Authorization": "Bearer SG.contract-test-key"},
        )
    assert res.status_code == 400
    assert "personalizations" in res.headers.get("sl-violations", "")


@pytest.mark.parametrize(
    ("channel", "sender"),
    [("sms", "+14155550123"), ("whatsapp", "whatsapp:+14155550123"), ("sms", "MG" + "a" * 32)],
)
async def test_twilio_message_create_requests_match_the_spec(
    twilio_prism: Prism, channel: str, sender: str
) -> None:
    before = twilio_prism.validated()
    adapter = TwilioChannel(
        account_sid=ACCOUNT_SID,
        auth_token="contract-test-token",
        from_number=sender,
        channel=channel,  # type: ignore[arg-type]
        base_url=twilio_prism.url,
        status_callback="https://app.example.com/webhooks/twilio/status",
    )
    content = OutboundContent(body="Hi Zoë, quick question about looms?", step=3)
    result = await adapter.send(LEAD, content)
    assert result.provider_message_id.startswith("SM")
    assert twilio_prism.violations() == []
    assert twilio_prism.validated() == before + 1


async def test_prism_rejects_what_the_twilio_spec_forbids(twilio_prism: Prism) -> None:
    async with httpx.AsyncClient(base_url=twilio_prism.url) as http:
        res = await http.post(
            f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json",
            data={"Body": "no recipient"},
            auth=(ACCOUNT_SID, "contract-test-token"),
        )
    assert 400 <= res.status_code < 500
