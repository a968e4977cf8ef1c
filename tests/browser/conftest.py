"""The dashboard in a real browser: Debian's Chromium driven by Playwright (pointed at
/usr/bin/chromium, never a downloaded browser) against a real `salespad dev` stack.

One stack and one browser per test process (they take about half a minute to start); each test
makes its own leads and campaigns. The email channel is the real SendGrid SDK against the fake
SendGrid server, which refuses the first message to any address starting with "dead" with a
permanent error: that lead's send becomes a dead letter for ops, and a retry goes out.
Screenshots land in tests/artifacts/ (not committed).
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
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


@pytest.fixture
def fresh_stack(tmp_path: Path, provider: DeadOnFirstTry) -> Iterator[Stack]:
    """A stack of its own with nothing in it yet: for the empty states."""
    if CHROMIUM is None:
        pytest.skip("chromium not found: `make test` installs Debian's chromium package")
    with running_stack(tmp_path / "salespad-data") as s:
        s.start()
        yield s


@pytest.fixture
async def api(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=stack.api, headers={"Authorization": f"Bearer {KEY}"}, timeout=30
    ) as client:
        yield client


@pytest.fixture(scope="session")
async def chromium() -> AsyncIterator[Any]:
    """Playwright's async API on the tests' event loop (its sync API runs a loop of its own,
    which pytest-asyncio's session loop does not allow)."""
    if CHROMIUM is None:
        pytest.skip("chromium not found: `make test` installs Debian's chromium package")
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


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
async def context(chromium: Any, stack: Stack) -> AsyncIterator[Any]:
    ctx = await chromium.new_context(base_url=stack.api, viewport={"width": 1440, "height": 900})
    ctx.set_default_timeout(15_000)
    yield ctx
    await ctx.close()


@pytest.fixture
async def page(context: Any, console: Console) -> AsyncIterator[Any]:
    tab = await context.new_page()
    tab.on("console", console)
    tab.on("pageerror", lambda exc: console.errors.append(f"uncaught: {exc}"))
    yield tab
    # Answers the test provokes (a 401 before sign-in, a refused action's 409) and a stream the
    # test cut are logged as failed loads; anything else the console reports (a CSP violation,
    # a React error, an uncaught exception) is a defect.
    unexpected = [e for e in console.errors if not e.startswith("Failed to load resource")]
    assert not unexpected, unexpected


async def sign_in(page: Any, key: str = KEY) -> None:
    await page.goto("/")
    await page.get_by_label("API key").fill(key)
    await page.get_by_role("button", name="Sign in").click()
    await page.get_by_role("navigation", name="Main").wait_for()


async def shot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


async def new_lead(api: httpx.AsyncClient, name: str, email: str, **extra: Any) -> str:
    res = await api.post("/api/leads", json={"name": name, "email": email, **extra})
    assert res.status_code in (200, 201), res.text
    lead_id: str = res.json()["id"]
    return lead_id


async def start_campaign(api: httpx.AsyncClient, name: str, lead_ids: list[str]) -> str:
    res = await api.post(
        "/api/campaigns", json={"name": name, "sequence": "demo", "lead_ids": lead_ids}
    )
    assert res.status_code == 202, res.text
    campaign_id: str = res.json()["id"]

    async def enrolled() -> bool:
        res = await api.get(f"/api/campaigns/{campaign_id}")
        return bool(res.json()["status"] == "enrolled")

    await wait_for(enrolled, 30, "the enrollment")
    return campaign_id


async def wait_for(probe: Callable[[], Awaitable[bool]], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not await probe():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.2)


async def timeline_types(api: httpx.AsyncClient, lead_id: str) -> list[str]:
    res = await api.get(f"/api/leads/{lead_id}")
    return [t["event_type"] for t in res.json()["timeline"]]


async def attention_lead_ids(api: httpx.AsyncClient) -> set[str]:
    res = await api.get("/api/ops/attention")
    return {str(item.get("lead_id")) for item in res.json()}
