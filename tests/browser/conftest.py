"""The dashboard in a real browser: Debian's Chromium driven by Playwright (pointed at
/usr/bin/chromium, never a downloaded browser) against a real `salespad dev` stack.

One stack and one browser per test process (they take about half a minute to start); each test
makes its own leads and campaigns. The email channel is the real SendGrid SDK against the fake
SendGrid server, which refuses the first message to any address starting with "dead" with a
permanent error: that lead's send becomes a dead letter for ops, and a retry goes out.
Screenshots land in tests/artifacts/ (not committed).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes.http_server import RecordedRequest, ScriptedResponse
from tests.fakes.sendgrid import FakeSendGrid, error_body
from tests.processes import KEY, Stack, running_stack

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
SENDGRID_KEY = "SG.browser-tests"
FROM = "sales@salespad.test"
# What Chromium needs here: no sandbox as root, and no calls home (the network is closed).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


class DeadOnFirstTry(FakeSendGrid):
    """SendGrid that refuses (400, permanent) the first message to a `dead...` address."""

    def __init__(self) -> None:
        super().__init__(SENDGRID_KEY)
        self.refused: set[str] = set()

    def _respond(self, request: RecordedRequest) -> ScriptedResponse:
        payload: Any = request.json or {}
        try:
            to = payload["personalizations"][0]["to"][0]["email"]
        except (KeyError, IndexError, TypeError):
            to = ""
        if to.startswith("dead") and to not in self.refused:
            self.refused.add(to)
            return ScriptedResponse(
                status=400, body=error_body("The to email address is not valid", "to")
            )
        return super()._respond(request)


@pytest.fixture(scope="session")
def provider() -> Iterator[DeadOnFirstTry]:
    with DeadOnFirstTry() as server:
        yield server


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, provider: DeadOnFirstTry) -> Iterator[Stack]:
    if CHROMIUM is None:
        pytest.skip("chromium not found: `make test` installs Debian's chromium package")
    env = {
        "SENDGRID_API_KEY": SENDGRID_KEY,
        "SENDGRID_FROM_EMAIL": FROM,
        "SENDGRID_API_HOST": provider.url,
    }
    with running_stack(tmp_path_factory.mktemp("browser") / "salespad-data", env) as s:
        s.start()
        yield s


@pytest.fixture(scope="session")
def api(stack: Stack) -> Iterator[httpx.Client]:
    with stack.http(timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    if CHROMIUM is None:
        pytest.skip("chromium not found: `make test` installs Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Console:
    """What the page said on its console: a CSP violation or a React error fails the test."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def __call__(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(message.text)


@pytest.fixture
def console() -> Console:
    return Console()


@pytest.fixture
def context(chromium: Any, stack: Stack) -> Iterator[Any]:
    ctx = chromium.new_context(base_url=stack.api, viewport={"width": 1440, "height": 900})
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: Any, console: Console) -> Iterator[Any]:
    tab = context.new_page()
    tab.on("console", console)
    tab.on("pageerror", lambda exc: console.errors.append(f"uncaught: {exc}"))
    yield tab
    # 401s before sign-in are expected; anything else the console reports is a defect.
    unexpected = [e for e in console.errors if "401" not in e]
    assert not unexpected, unexpected


def sign_in(page: Any, key: str = KEY) -> None:
    page.goto("/")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Main").wait_for()


def shot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def new_lead(api: httpx.Client, name: str, email: str, **extra: Any) -> str:
    res = api.post("/api/leads", json={"name": name, "email": email, **extra})
    assert res.status_code in (200, 201), res.text
    lead_id: str = res.json()["id"]
    return lead_id


def start_campaign(api: httpx.Client, name: str, lead_ids: list[str]) -> str:
    res = api.post("/api/campaigns", json={"name": name, "sequence": "demo", "lead_ids": lead_ids})
    assert res.status_code == 202, res.text
    campaign_id: str = res.json()["id"]
    wait_for(lambda: api.get(f"/api/campaigns/{campaign_id}").json()["status"] == "enrolled", 30)
    return campaign_id


def wait_for(probe: Any, within: float, what: str = "condition") -> None:
    deadline = time.monotonic() + within
    while not probe():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def timeline_types(api: httpx.Client, lead_id: str) -> list[str]:
    return [t["event_type"] for t in api.get(f"/api/leads/{lead_id}").json()["timeline"]]


def attention_lead_ids(api: httpx.Client) -> set[str]:
    return {str(item.get("lead_id")) for item in api.get("/api/ops/attention").json()}
