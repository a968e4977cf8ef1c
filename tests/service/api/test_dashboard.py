"""The dashboard's bundle at `/`: the page for any client-side route, hashed assets cached for
good, nothing outside the bundle, strict security headers, and the API's own paths untouched."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from temporalio.client import Client

from api.app import create_app
from config.settings import Settings
from models.db import Database
from tests.fakes.gateway import RecordingGateway
from tests.service.api.conftest import ASSET, INDEX, browser_client

STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)


def assert_hardened(res: httpx.Response) -> None:
    assert res.headers["content-security-policy"] == STRICT_CSP
    assert "unsafe" not in res.headers["content-security-policy"]
    assert res.headers["x-content-type-options"] == "nosniff"
    assert res.headers["referrer-policy"] == "no-referrer"
    assert res.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize("path", ["/", "/leads", "/leads/abc", "/campaigns/123/funnel", "/x/"])
async def test_client_side_routes_get_the_page(browser: httpx.AsyncClient, path: str) -> None:
    res = await browser.get(path)
    assert res.status_code == 200
    assert res.text == INDEX
    assert res.headers["content-type"].startswith("text/html")
    assert res.headers["cache-control"] == "no-cache"
    assert_hardened(res)


async def test_hashed_assets_are_cached_for_good(browser: httpx.AsyncClient) -> None:
    res = await browser.get(f"/{ASSET}")
    assert res.status_code == 200
    assert res.text == "console.log('salespad')"
    assert "javascript" in res.headers["content-type"]
    assert res.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert_hardened(res)
    head = await browser.head(f"/{ASSET}")
    assert head.status_code == 200 and head.content == b""


async def test_a_missing_asset_is_a_404_not_the_page(browser: httpx.AsyncClient) -> None:
    res = await browser.get("/assets/index-000000.js")
    assert res.status_code == 404
    assert INDEX not in res.text


@pytest.mark.parametrize(
    "path",
    [
        "/assets/%2e%2e/%2e%2e/secret.txt",
        "/assets/..%2f..%2fsecret.txt",
        "/%2e%2e/secret.txt",
        "/assets/%2e%2e%5c%2e%2e%5csecret.txt",
        "/assets/escape.js",  # a symlink out of the bundle
        "/.hidden",
    ],
)
async def test_nothing_outside_the_bundle_is_served(
    browser: httpx.AsyncClient, bundle: Path, path: str
) -> None:
    (bundle.parent / "secret.txt").write_text("TOP SECRET")
    (bundle / "assets" / "escape.js").symlink_to(bundle.parent / "secret.txt")
    (bundle / ".hidden").write_text("TOP SECRET")
    res = await browser.get(path)
    assert "TOP SECRET" not in res.text
    assert res.status_code == 404


async def test_the_raw_path_cannot_climb_out(bundle: Path) -> None:
    """What a client that does not normalise dot segments sends, straight to the ASGI app."""
    (bundle.parent / "secret.txt").write_text("TOP SECRET")
    settings = Settings(_env_file=None, database_url="postgresql+psycopg://u@127.0.0.1/x")  # type: ignore[call-arg]
    app = create_app(settings, dashboard_dir=bundle)
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/assets/../../secret.txt",
        "raw_path": b"/assets/../../secret.txt",
        "query_string": b"",
        "headers": [],
        "scheme": "http",
        "server": ("salespad.test", 80),
        "root_path": "",
        "app": app,
    }
    await app.router(scope, receive, send)  # type: ignore[arg-type]
    assert sent[0]["status"] == 404
    assert b"TOP SECRET" not in b"".join(m.get("body", b"") for m in sent)  # type: ignore[misc]


@pytest.mark.parametrize("path", ["/api/nonexistent", "/api", "/webhooks/nope", "/u/x/y/z"])
async def test_the_api_keeps_its_own_404s(browser: httpx.AsyncClient, path: str) -> None:
    res = await browser.get(path)
    assert res.status_code == 404
    assert res.headers["content-type"] == "application/json"
    assert res.json() == {"error": "Not Found", "detail": None}


async def test_api_paths_are_not_shadowed(browser: httpx.AsyncClient) -> None:
    assert (await browser.get("/openapi.json")).json()["info"]["title"] == "SalesPad"
    docs = await browser.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    assert "content-security-policy" not in docs.headers  # Swagger UI loads from a CDN
    assert "redoc" in (await browser.get("/redoc")).text.lower()
    assert (await browser.get("/api/leads")).status_code == 401
    # Only whole prefixes are the API's: /apiary is a page.
    assert (await browser.get("/apiary")).text == INDEX
    # Other methods on a page path are not the dashboard's either.
    res = await browser.post("/leads", json={})
    assert res.status_code == 404 and res.json()["error"] == "Not Found"
    res = await browser.post("/api/nonexistent", json={})
    assert res.status_code == 404 and res.json()["error"] == "Not Found"


async def test_the_document_lists_nothing_of_the_dashboard(browser: httpx.AsyncClient) -> None:
    paths = (await browser.get("/openapi.json")).json()["paths"]
    assert all(p.startswith(("/api/", "/webhooks/", "/healthz", "/u/")) for p in paths), paths


async def test_without_a_build_the_page_says_how_to_make_one(
    settings: Settings,
    db: Database,
    no_temporal: Client,
    gateway: RecordingGateway,
    tmp_path: Path,
) -> None:
    async for http in browser_client(settings, db, no_temporal, gateway, tmp_path / "none"):
        for path in ("/", "/leads/abc"):
            res = await http.get(path)
            assert res.status_code == 503
            assert "make dashboard" in res.text
            assert_hardened(res)
        assert (await http.get("/api/leads")).status_code == 401  # the API still answers
