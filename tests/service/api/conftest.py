"""`browser`: the app as a browser meets it: no Authorization header, a cookie jar, and a
dashboard bundle of its own (a placeholder index.html and one hashed asset in a temp dir)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from temporalio.client import Client

from api.app import create_app
from config.settings import Settings
from models.db import Database
from tests.fakes.gateway import RecordingGateway

INDEX = "<!doctype html><title>SalesPad</title><div id=root></div>"
ASSET = "assets/index-3f9a1c.js"
ORIGIN = "http://salespad.test"


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    directory = tmp_path / "dashboard"
    (directory / "assets").mkdir(parents=True)
    (directory / "index.html").write_text(INDEX)
    (directory / ASSET).write_text("console.log('salespad')")
    return directory


async def browser_client(
    settings: Settings,
    db: Database,
    temporal: Client,
    gateway: RecordingGateway,
    bundle: Path,
    base_url: str = ORIGIN,
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, db=db, temporal=temporal, workflows=gateway, dashboard_dir=bundle)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as http:
            yield http


@pytest.fixture
async def browser(
    settings: Settings,
    clean_db: Database,
    no_temporal: Client,
    gateway: RecordingGateway,
    bundle: Path,
) -> AsyncIterator[httpx.AsyncClient]:
    async for http in browser_client(settings, clean_db, no_temporal, gateway, bundle):
        yield http
