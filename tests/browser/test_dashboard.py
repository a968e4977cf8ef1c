"""What a sales-ops person does in the dashboard, in headless Chromium against `salespad dev`.

Each test saves screenshots of the pages it visited (tests/artifacts/<name>.png).
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import expect

from tests.browser.conftest import (
    attention_lead_ids,
    new_lead,
    shot,
    sign_in,
    start_campaign,
    timeline_types,
    wait_for,
)
from tests.processes import KEY, Stack

pytestmark = pytest.mark.browser

LIVE_WITHIN_MS = 2_000  # the issue: a reply shows in the feed and the funnel within 2 s


async def _replied(page: Any) -> int:
    text = await page.get_by_test_id("funnel-replied").inner_text()
    match = re.search(r"\d+", text.replace(",", ""))
    assert match, f"no number in {text!r}"
    return int(match.group())


async def _wait_live(page: Any) -> None:
    await expect(page.get_by_test_id("live-status")).to_have_text(re.compile("Live"))


async def _sent(api: httpx.AsyncClient, lead: str) -> bool:
    return "EMAIL_SENT" in await timeline_types(api, lead)


async def test_signing_in_with_the_key_shows_the_demo_campaign(
    page: Any, api: httpx.AsyncClient
) -> None:
    leads = [await new_lead(api, f"Demo Lead {n}", f"demo{n}@example.com") for n in range(3)]
    campaign = await start_campaign(api, "Demo outreach", leads)

    await page.goto("/")
    await expect(page.get_by_label("API key")).to_be_visible()
    await shot(page, "sign-in")
    await page.get_by_label("API key").fill("not-the-key")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("alert")).to_contain_text("not accepted")

    await sign_in(page)
    row = page.get_by_test_id("campaign-row").filter(has_text="Demo outreach")
    await expect(row).to_be_visible()
    # The key went into a cookie the page cannot read, and nowhere else.
    cookies = {c["name"]: c for c in await page.context.cookies()}
    session = cookies["salespad_session"]
    assert session["httpOnly"] and session["sameSite"] == "Strict", session
    assert KEY not in await page.content() and KEY not in page.url
    assert KEY not in session["value"]
    assert await page.evaluate("document.cookie") == ""
    await shot(page, "campaigns")

    await row.get_by_role("link").first.click()
    await expect(page).to_have_url(re.compile(f"/campaigns/{campaign}$"))
    await expect(page.get_by_test_id("funnel")).to_be_visible()
    await expect(page.get_by_test_id("funnel-replied")).to_be_visible()
    await shot(page, "campaign")

    # A reload keeps the session (the cookie), and signing out ends it.
    await page.reload()
    await expect(page.get_by_test_id("funnel")).to_be_visible()
    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_label("API key")).to_be_visible()
    await page.reload()
    await expect(page.get_by_label("API key")).to_be_visible()


async def test_a_reply_appears_in_the_feed_and_moves_the_funnel_live(
    page: Any, context: Any, api: httpx.AsyncClient
) -> None:
    lead = await new_lead(api, "Lin Live", "lin.live@example.com", company="Live Co")
    campaign = await start_campaign(api, "Live replies", [lead])
    await wait_for(lambda: _sent(api, lead), 30, "the first email")

    await sign_in(page)
    await page.goto(f"/campaigns/{campaign}")
    await _wait_live(page)
    await expect(page.get_by_test_id("funnel-replied")).to_be_visible()
    before = await _replied(page)
    feed = await context.new_page()
    await feed.goto("/live")
    await _wait_live(feed)
    for tab in (page, feed):  # a reload would lose this
        await tab.evaluate("window.__noReload = true")

    res = await api.post(
        f"/api/leads/{lead}/replies",
        json={"content": "Sounds great, call me on Tuesday", "channel": "EMAIL"},
    )
    assert res.status_code == 200, res.text
    posted = time.monotonic()
    item = feed.get_by_test_id("feed-item").filter(has_text="Sounds great, call me on Tuesday")
    await expect(item.first).to_be_visible(timeout=LIVE_WITHIN_MS)
    await expect(page.get_by_test_id("funnel-replied")).not_to_have_text(
        re.compile(rf"^\D*{before}\D*$"), timeout=LIVE_WITHIN_MS
    )
    took = time.monotonic() - posted
    assert await _replied(page) == before + 1
    assert took < LIVE_WITHIN_MS / 1000 + 0.5, took
    assert await page.evaluate("window.__noReload") and await feed.evaluate("window.__noReload")
    await shot(feed, "live-feed")
    await shot(page, "campaign-after-reply")


async def test_a_reply_with_markup_is_shown_as_text(page: Any, api: httpx.AsyncClient) -> None:
    lead = await new_lead(api, "Mallory Markup", "mallory@example.com")
    await start_campaign(api, "Markup", [lead])
    await wait_for(lambda: _sent(api, lead), 30, "the first email")
    evil = (
        '<script>window.__xss = 1</script><img src="x" onerror="window.__xss = 2">Hi <b>there</b>'
    )
    res = await api.post(f"/api/leads/{lead}/replies", json={"content": evil, "channel": "EMAIL"})
    assert res.status_code == 200, res.text

    await sign_in(page)
    await page.goto(f"/leads/{lead}")
    timeline = page.get_by_test_id("timeline")
    await expect(timeline).to_contain_text('<script>window.__xss = 1</script><img src="x"')
    assert await page.locator("img[src='x']").count() == 0
    assert await page.locator("b", has_text="there").count() == 0
    await shot(page, "lead")
    await page.goto("/inbox")
    await expect(page.get_by_test_id("reply").filter(has_text="<script>").first).to_be_visible()
    assert await page.evaluate("window.__xss") is None
    await shot(page, "inbox")


async def test_a_dead_letter_is_retried_from_the_attention_page(
    page: Any, api: httpx.AsyncClient
) -> None:
    lead = await new_lead(api, "Dana Deadletter", "dead.dana@example.com")
    await start_campaign(api, "Dead letters", [lead])

    async def flagged() -> bool:
        return lead in await attention_lead_ids(api)

    await wait_for(flagged, 60, "the dead letter")

    await sign_in(page)
    await page.goto("/attention")
    item = page.get_by_test_id("attention-item").filter(has_text="Dana Deadletter")
    await expect(item).to_be_visible()
    link = item.get_by_role("link", name=re.compile("Temporal", re.I))
    assert "lead-" in (await link.get_attribute("href") or "")
    await shot(page, "attention")
    await item.get_by_role("button", name="Retry").click()
    await expect(item).to_have_count(0)
    # The retry reached the sequence: the email went out this time, and it stays resolved.
    await wait_for(lambda: _sent(api, lead), 30, "the retried email")
    assert not await flagged()
    await page.reload()
    again = page.get_by_test_id("attention-item").filter(has_text="Dana Deadletter")
    await expect(again).to_have_count(0)


async def test_an_action_the_server_refuses_rolls_back_with_a_visible_error(
    page: Any, context: Any, api: httpx.AsyncClient
) -> None:
    lead = await new_lead(api, "Rolf Rollback", "dead.rolf@example.com")
    await start_campaign(api, "Rollback", [lead])

    async def flagged() -> bool:
        return lead in await attention_lead_ids(api)

    await wait_for(flagged, 60, "the dead letter")
    # This page's view goes stale on purpose: no live updates reach it.
    await context.route("**/api/events/stream*", lambda route: route.abort())

    await sign_in(page)
    await page.goto(f"/leads/{lead}")
    retry = page.get_by_role("button", name="Retry step")
    await expect(retry).to_be_visible()
    status_before = await page.get_by_test_id("lead-status").inner_text()
    # Someone else answers the dead letter first; the page does not know.
    res = await api.post(f"/api/ops/leads/{lead}/skip", json={"note": "handled elsewhere"})
    assert res.status_code == 200, res.text
    await retry.click()
    alert = page.get_by_role("alert").filter(has_text=re.compile("refused", re.I))
    await expect(alert.first).to_be_visible()
    await expect(alert.first).to_contain_text(re.compile("ops|waiting", re.I))
    await expect(page.get_by_test_id("lead-status")).to_have_text(status_before)
    await shot(page, "lead-refused-action")


async def test_importing_a_small_csv_shows_its_report(
    page: Any, api: httpx.AsyncClient, tmp_path: Path
) -> None:
    csv = tmp_path / "prospects.csv"
    csv.write_text(
        "Name,Work Email,Company\n"
        "Ivy Import,ivy.import@example.com,Imports Ltd\n"
        "Ian Import,ian.import@example.com,Imports Ltd\n"
        "Bad Row,not-an-email,Nowhere\n"
    )
    await sign_in(page)
    await page.goto("/import")
    await shot(page, "import-empty")
    await page.get_by_test_id("import-file").set_input_files(str(csv))
    # The columns are offered for mapping; "Work Email" is the email.
    await page.get_by_label(re.compile("Work Email")).select_option("email")
    await page.get_by_role("button", name=re.compile("^(Import|Upload)")).click()
    report = page.get_by_test_id("import-report")
    await expect(report).to_contain_text(re.compile(r"2\s*created|created\D*2", re.I))
    await expect(report).to_contain_text(re.compile(r"1\s*rejected|rejected\D*1", re.I))
    await expect(report).to_contain_text("4")  # the bad row's line (header = 1)
    await shot(page, "import-report")
    found = await api.get("/api/leads", params={"email": "ivy.import@example.com"})
    assert len(found.json()["items"]) == 1


async def test_every_page_at_laptop_sizes(page: Any, api: httpx.AsyncClient) -> None:
    """Screenshots of every page, at 1440x900 and 1280x800: no page scrolls sideways."""
    lead = await new_lead(api, "Paula Pages", "paula@example.com", company="Pages Inc")
    await start_campaign(api, "Screenshots", [lead])
    # A mailbox with every column filled (out of the default pool: no other test sends from it).
    made = await api.post(
        "/api/mailboxes",
        json={
            "name": "screenshots-ana",
            "address": "ana.screenshots@example.com",
            "display_name": "Ana at Screenshots Incorporated",
            "owner": "ana",
            "daily_cap": 40,
            "hourly_cap": 10,
            "min_gap_seconds": 180,
            "jitter_seconds": 120,
            "send_window": {"start": "09:00", "end": "17:00", "days": [1, 2, 3, 4, 5]},
            "timezone": "Europe/Berlin",
            "ramp": {"start": 10, "step": 5},
            "pool_default": False,
        },
    )
    assert made.status_code in (201, 409), made.text
    await sign_in(page)
    pages = {
        "campaigns": ("/campaigns", "campaign-row"),
        "leads": ("/leads", "lead-row"),
        "inbox": ("/inbox", None),
        "attention": ("/attention", None),
        "import": ("/import", "import-file"),
        "sequences": ("/sequences", "sequence-flow"),
        "mailboxes": ("/mailboxes", "mailbox-row"),
        "live": ("/live", None),
        "lead": (f"/leads/{lead}", "timeline"),
    }
    for width, height in ((1440, 900), (1280, 800)):
        await page.set_viewport_size({"width": width, "height": height})
        for name, (path, testid) in pages.items():
            await page.goto(path)
            await expect(page.get_by_role("heading", level=1).first).to_be_visible()
            if testid:
                await expect(page.get_by_test_id(testid).first).to_be_visible()
            overflow = await page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {width}px"
            await shot(page, f"{name}-{width}")

    # The mailbox form and the pause form open in place, still without sideways scroll; the
    # server's 422 shows beside the field it names.
    await page.set_viewport_size({"width": 1280, "height": 800})
    await page.goto("/mailboxes")
    row = page.get_by_test_id("mailbox-row").filter(has_text="screenshots-ana")
    await row.get_by_role("button", name="Pause").click()
    await expect(row.get_by_label("Reason (optional)")).to_be_visible()
    await page.get_by_role("button", name="Add mailbox").click()
    form = page.get_by_role("form", name="Add mailbox")
    await form.get_by_label("Name", exact=True).fill("screenshots-ben")
    await form.get_by_label("Address", exact=True).fill("not-an-address")
    await form.get_by_label("Ramp step").fill("5")
    await form.get_by_role("button", name="Add mailbox").click()
    await expect(form.get_by_test_id("error-address")).to_contain_text("not an email address")
    await expect(form.get_by_test_id("error-ramp.start")).to_be_visible()
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"/mailboxes with its forms open scrolls sideways by {overflow}px"
    await shot(page, "mailboxes-forms-1280")

    await page.set_viewport_size({"width": 1440, "height": 900})
    await page.goto("/sequences")
    await expect(page.get_by_role("list", name="Steps of demo")).to_be_visible()
    simulator = page.get_by_role("region", name="Simulate demo")
    await simulator.get_by_role("button", name="Simulate").click()
    await expect(page.get_by_test_id("simulation").first).to_be_visible(timeout=60_000)
    await shot(page, "sequences-simulated")


async def test_empty_loading_and_error_states(
    chromium: Any, fresh_stack: Stack, page: Any, console: Any
) -> None:
    """What a new team sees before anything happened, while a slow answer is on its way, and
    when the server fails: a page that says so and how to go on, never a blank one."""
    empty = await chromium.new_context(
        base_url=fresh_stack.api, viewport={"width": 1440, "height": 900}
    )
    try:
        tab = await empty.new_page()
        tab.on("console", console)
        await sign_in(tab)
        await expect(tab.get_by_text("No campaigns yet")).to_be_visible()
        await shot(tab, "campaigns-empty")
        for path, text, name in (
            ("/leads", "No leads yet", "leads-empty"),
            ("/attention", "Nothing needs you", "attention-empty"),
            ("/live", "Waiting for activity", "live-empty"),
            ("/inbox", "", "inbox-empty"),
            ("/mailboxes", "No mailboxes yet", "mailboxes-empty"),
        ):
            await tab.goto(path)
            await expect(tab.get_by_role("heading", level=1).first).to_be_visible()
            if text:
                await expect(tab.get_by_text(text).first).to_be_visible()
            else:
                await expect(tab.locator(".state-empty").first).to_be_visible()
            await shot(tab, name)
    finally:
        await empty.close()

    await sign_in(page)
    # A slow answer: the page says it is loading.
    release: list[Any] = []

    async def hold(route: Any) -> None:
        release.append(route)

    await page.route("**/api/leads?*", hold)
    await page.goto("/leads")
    await expect(page.get_by_role("status").filter(has_text="Loading").first).to_be_visible()
    await shot(page, "leads-loading")
    for route in release:
        await route.continue_()
    await page.unroute("**/api/leads?*", hold)
    await expect(page.get_by_role("status").filter(has_text="Loading")).to_have_count(0)

    # A failing server: the error, and a way to try again.
    async def fail(route: Any) -> None:
        await route.fulfill(
            status=503,
            content_type="application/json",
            body='{"error": "database unavailable", "detail": "connection refused"}',
        )

    await page.route("**/api/campaigns", fail)
    await page.goto("/campaigns")
    alert = page.get_by_role("alert").filter(has_text="database unavailable")
    await expect(alert.first).to_be_visible()
    await shot(page, "campaigns-error")
    await page.unroute("**/api/campaigns", fail)
    await alert.first.get_by_role("button", name="Try again").click()
    await expect(page.get_by_role("alert").filter(has_text="database unavailable")).to_have_count(0)
