"""The dashboard's sign-in: the API key for an HttpOnly cookie, then the cookie (with its CSRF
token on state-changing requests) wherever the Bearer key is accepted."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from pydantic import SecretStr
from temporalio.client import Client

from api import sessions
from config.settings import Settings
from models.db import Database
from tests.conftest import API_KEY
from tests.fakes.gateway import RecordingGateway
from tests.service.api.conftest import ORIGIN, browser_client

LEAD = {"name": "Ada Lovelace", "email": "ada@example.com"}


async def sign_in(http: httpx.AsyncClient) -> str:
    res = await http.post("/api/session", json={"api_key": API_KEY})
    assert res.status_code == 200, res.text
    token: str = res.json()["csrf_token"]
    return token


def cookie_attributes(res: httpx.Response) -> list[str]:
    (header,) = res.headers.get_list("set-cookie")
    return [part.strip() for part in header.split(";")]


async def test_sign_in_sets_an_http_only_strict_cookie(browser: httpx.AsyncClient) -> None:
    res = await browser.post("/api/session", json={"api_key": API_KEY})
    assert res.status_code == 200, res.text
    body = res.json()
    assert set(body) == {"csrf_token", "expires_at", "scope"}
    assert body["scope"] == "ops"  # SALESPAD_API_KEY may do everything
    assert len(body["csrf_token"]) >= 32
    expires = datetime.fromisoformat(body["expires_at"])
    assert abs((expires - datetime.now(UTC)).total_seconds() - 12 * 3600) < 60
    assert res.headers["cache-control"] == "no-store"
    attributes = cookie_attributes(res)
    name, _, value = attributes[0].partition("=")
    assert name == "salespad_session" and value
    assert API_KEY not in value
    lowered = [a.lower() for a in attributes]
    assert "httponly" in lowered
    assert "samesite=strict" in lowered
    assert "path=/" in lowered
    assert "max-age=43200" in lowered
    assert "secure" not in lowered  # plain http: a Secure cookie would never come back


async def test_over_https_the_cookie_is_secure(
    settings: Settings,
    clean_db: Database,
    no_temporal: Client,
    gateway: RecordingGateway,
    bundle: Path,
) -> None:
    async for http in browser_client(
        settings, clean_db, no_temporal, gateway, bundle, base_url="https://salespad.test"
    ):
        res = await http.post("/api/session", json={"api_key": API_KEY})
        assert "secure" in [a.lower() for a in cookie_attributes(res)]


async def test_a_setting_forces_the_secure_flag(
    settings: Settings,
    clean_db: Database,
    no_temporal: Client,
    gateway: RecordingGateway,
    bundle: Path,
) -> None:
    settings.session_cookie_secure = True
    async for http in browser_client(settings, clean_db, no_temporal, gateway, bundle):
        res = await http.post("/api/session", json={"api_key": API_KEY})
        assert "secure" in [a.lower() for a in cookie_attributes(res)]


async def test_a_wrong_key_is_a_401_and_sets_no_cookie(browser: httpx.AsyncClient) -> None:
    res = await browser.post("/api/session", json={"api_key": "not-the-key"})
    assert res.status_code == 401
    assert res.json()["error"].startswith("wrong API key")
    assert "set-cookie" not in res.headers


async def test_a_missing_or_broken_body_is_a_422_naming_the_field(
    browser: httpx.AsyncClient,
) -> None:
    res = await browser.post("/api/session", json={})
    assert res.status_code == 422
    assert [e["field"] for e in res.json()["detail"]] == ["api_key"]
    res = await browser.post("/api/session", json={"api_key": ""})
    assert res.status_code == 422
    assert [e["field"] for e in res.json()["detail"]] == ["api_key"]
    res = await browser.post(
        "/api/session", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert res.status_code == 422
    assert res.json()["detail"][0]["field"] == "body"


async def test_get_session_says_whether_signed_in(browser: httpx.AsyncClient) -> None:
    res = await browser.get("/api/session")
    assert res.status_code == 401
    assert res.json()["error"].startswith("not signed in")
    csrf = await sign_in(browser)
    res = await browser.get("/api/session")
    assert res.status_code == 200
    assert res.json()["csrf_token"] == csrf
    assert res.headers["cache-control"] == "no-store"


async def test_the_cookie_authenticates_reads(browser: httpx.AsyncClient) -> None:
    assert (await browser.get("/api/leads")).status_code == 401
    await sign_in(browser)
    res = await browser.get("/api/leads")
    assert res.status_code == 200, res.text
    assert res.headers["x-content-type-options"] == "nosniff"


async def test_the_event_stream_works_with_the_cookie_alone(browser: httpx.AsyncClient) -> None:
    """EventSource sends the cookie and no custom header."""
    await sign_in(browser)
    res = await browser.get("/api/events/stream", params={"follow": "false"})
    assert res.status_code == 200
    assert res.headers["content-type"].startswith("text/event-stream")
    assert ": connected" in res.text.splitlines()


async def test_a_cookie_post_needs_the_csrf_token(browser: httpx.AsyncClient) -> None:
    csrf = await sign_in(browser)
    res = await browser.post("/api/leads", json=LEAD)
    assert res.status_code == 403
    assert res.json()["error"].startswith("missing or wrong X-CSRF-Token")
    res = await browser.post("/api/leads", json=LEAD, headers={"X-CSRF-Token": csrf[:-2] + "xx"})
    assert res.status_code == 403
    assert (await browser.get("/api/leads")).json()["items"] == []
    res = await browser.post("/api/leads", json=LEAD, headers={"X-CSRF-Token": csrf})
    assert res.status_code == 201, res.text


async def test_a_cookie_post_from_another_origin_is_refused(browser: httpx.AsyncClient) -> None:
    csrf = await sign_in(browser)
    for origin in ("https://evil.example", "null", "http://salespad.test.evil.example"):
        res = await browser.post(
            "/api/leads", json=LEAD, headers={"X-CSRF-Token": csrf, "Origin": origin}
        )
        assert res.status_code == 403, origin
        assert res.json()["error"].startswith("cross-origin request refused")
    res = await browser.post(
        "/api/leads", json=LEAD, headers={"X-CSRF-Token": csrf, "Origin": ORIGIN}
    )
    assert res.status_code == 201, res.text


async def test_sign_in_from_another_origin_is_refused(browser: httpx.AsyncClient) -> None:
    res = await browser.post(
        "/api/session", json={"api_key": API_KEY}, headers={"Origin": "https://evil.example"}
    )
    assert res.status_code == 403
    assert "set-cookie" not in res.headers


async def test_bearer_clients_need_no_csrf_token(api: httpx.AsyncClient) -> None:
    res = await api.post("/api/leads", json=LEAD)
    assert res.status_code == 201, res.text
    res = await api.get("/api/leads", headers={"Authorization": "Bearer wrong"})
    assert res.status_code == 401
    assert res.json()["error"] == "invalid API key"
    res = await api.get("/api/leads", headers={"Authorization": ""})
    assert res.status_code == 401
    assert res.json()["error"].startswith("missing API key: send `Authorization: Bearer")


async def test_a_wrong_bearer_key_is_refused_even_beside_a_valid_cookie(
    browser: httpx.AsyncClient,
) -> None:
    await sign_in(browser)
    res = await browser.get("/api/leads", headers={"Authorization": "Bearer wrong"})
    assert res.status_code == 401
    assert res.json()["error"] == "invalid API key"


async def test_sign_out_clears_the_cookie(browser: httpx.AsyncClient) -> None:
    await sign_in(browser)
    res = await browser.delete("/api/session")
    assert res.status_code == 204
    attributes = [a.lower() for a in cookie_attributes(res)]
    assert attributes[0] in ('salespad_session=""', "salespad_session=")
    assert "max-age=0" in attributes
    assert (await browser.get("/api/session")).status_code == 401
    assert (await browser.get("/api/leads")).status_code == 401
    # Signed out already: still a 204.
    assert (await browser.delete("/api/session")).status_code == 204


async def test_expired_tampered_or_foreign_tokens_are_refused(browser: httpx.AsyncClient) -> None:
    expired, _ = sessions.issue(API_KEY, 60, now=time.time() - 120)
    valid, _ = sessions.issue(API_KEY, 3600)
    session_id, expires, mac = valid.split(".")
    tampered = f"{session_id}.{int(expires) + 86400}.{mac}"
    other_key, _ = sessions.issue("another-api-key", 3600)
    for token in (expired, tampered, other_key, "garbage", valid + "x"):
        browser.cookies.set(sessions.COOKIE, token)
        res = await browser.get("/api/leads")
        assert res.status_code == 401, token
        assert res.json()["error"].startswith("session expired or invalid")
        assert (await browser.get("/api/session")).status_code == 401
    browser.cookies.set(sessions.COOKIE, valid)
    assert (await browser.get("/api/leads")).status_code == 200


async def test_rotating_the_api_key_ends_every_session(
    browser: httpx.AsyncClient, settings: Settings
) -> None:
    await sign_in(browser)
    assert (await browser.get("/api/leads")).status_code == 200
    settings.api_key = SecretStr("a-rotated-api-key")  # what a restart with a new key does
    assert (await browser.get("/api/leads")).status_code == 401
    assert (await browser.get("/api/session")).status_code == 401


def test_the_csrf_token_belongs_to_its_session() -> None:
    one, first = sessions.issue(API_KEY, 3600)
    two, second = sessions.issue(API_KEY, 3600)
    assert first.csrf_token != second.csrf_token
    assert sessions.verify(API_KEY, one) == first
    assert sessions.verify(API_KEY, two) == second
    assert sessions.verify("", one) is None


async def test_the_document_declares_the_csrf_403(browser: httpx.AsyncClient) -> None:
    paths = (await browser.get("/openapi.json")).json()["paths"]
    assert "X-CSRF-Token" in paths["/api/leads"]["post"]["responses"]["403"]["description"]
    assert "403" not in paths["/api/leads"]["get"]["responses"]
    assert "security" not in paths["/api/session"]["post"]  # signing in needs no key
