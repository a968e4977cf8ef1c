"""API keys: created, listed and revoked with `salespad apikey`, stored hashed, checked on every
request with their scope, refused the request after a revoke, their dashboard sessions too."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import uuid
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import text
from typer.testing import CliRunner, Result

from config.settings import Settings
from models.db import Database
from salespad import apikeys
from salespad.cli import app
from tests.conftest import API_KEY

KEY = re.compile(r"sp_[A-Za-z0-9_-]{43}")
LEAD = {"name": "Ada Lovelace", "email": "ada@example.com"}


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
    """What the CLI reads: SALESPAD_DATABASE_URL (as beside a production stack)."""
    monkeypatch.setenv("SALESPAD_DATABASE_URL", database_url)


async def cli(*args: str) -> Result:
    """`salespad ...` as a user types it; in a thread, since the command runs its own loop."""
    return await asyncio.to_thread(CliRunner().invoke, app, list(args))


async def new_key(settings: Settings, name: str, scope: str) -> str:
    return (await apikeys.create(settings, name, scope)).key


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def stored_rows(db: Database) -> list[str]:
    async with db.engine.connect() as conn:
        rows = await conn.execute(text("SELECT row_to_json(k)::text FROM api_key k"))
        return [row[0] for row in rows]


async def test_create_list_and_revoke_through_the_cli(
    cli_env: None, clean_db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    created = await cli("apikey", "create", "--name", "ci", "--scope", "write")
    assert created.exit_code == 0, created.output
    key = created.stdout.strip()
    assert KEY.fullmatch(key), created.stdout
    assert "scope write" in created.stderr and key[:11] in created.stderr
    assert key not in created.stderr
    (row,) = await stored_rows(clean_db)
    assert key not in row  # not the key, not a piece of it beyond the prefix
    assert hashlib.sha256(key.encode()).hexdigest() in row
    assert f'"prefix":"{key[:11]}"' in row.replace(" ", "")

    listed = await cli("apikey", "list")
    assert listed.exit_code == 0, listed.output
    header, line = listed.stdout.strip().splitlines()
    assert header.split()[:3] == ["NAME", "SCOPE", "PREFIX"]
    assert line.split()[:3] == ["ci", "write", key[:11]]
    assert key not in listed.output

    again = await cli("apikey", "create", "--name", "ci", "--scope", "read")
    assert again.exit_code == 2
    assert "named 'ci' exists already" in again.stderr
    wrong = await cli("apikey", "create", "--name", "x", "--scope", "admin")
    assert wrong.exit_code == 2
    assert "scope: one of read, write, ops" in wrong.stderr
    unnamed = await cli("apikey", "create", "--name", " ", "--scope", "read")
    assert unnamed.exit_code == 2 and "name:" in unnamed.stderr

    revoked = await cli("apikey", "revoke", "ci")
    assert revoked.exit_code == 0, revoked.output
    assert "revoked API key 'ci'" in revoked.stdout
    (public,) = await apikeys.list_keys(Settings(database_url=clean_db.url))
    assert public.revoked_at is not None
    listed = await cli("apikey", "list")
    # CREATED and REVOKED hold times now; LAST USED none (the key was never used).
    line = listed.stdout.splitlines()[1]
    assert len(re.findall(r"\d{4}-\d\d-\d\d \d\d:\d\d", line)) == 2
    missing = await cli("apikey", "revoke", str(uuid.uuid4()))
    assert missing.exit_code == 2 and "no API key with the name or id" in missing.stderr
    assert key not in caplog.text


async def test_revoke_by_id_and_without_a_database(
    cli_env: None, clean_db: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = await apikeys.create(settings, "by-id", "read")
    assert (await cli("apikey", "revoke", str(created.api_key.id))).exit_code == 0
    monkeypatch.delenv("SALESPAD_DATABASE_URL")
    monkeypatch.setenv("SALESPAD_DATA_DIR", "/nonexistent/salespad")
    res = await cli("apikey", "list")
    assert res.exit_code == 2
    assert "no database: start `salespad dev` here, or set SALESPAD_DATABASE_URL" in res.stderr


# (method, path, the scope it needs); {lead} is a real lead's id.
ROUTES = [
    ("GET", "/api/leads", "read"),
    ("POST", "/api/leads", "write"),
    ("POST", "/api/ops/leads/{lead}/retry", "ops"),
    ("POST", "/api/channels", "ops"),
]
BODIES = {
    "/api/leads": {"name": "Bo", "email": "bo@example.com"},
    "/api/channels": {"type": "EMAIL", "provider": "outbox"},
}


async def call(api: httpx.AsyncClient, method: str, path: str, key: str) -> httpx.Response:
    return await api.request(method, path, json=BODIES.get(path), headers=bearer(key))


@pytest.mark.parametrize("scope", ["read", "write", "ops", "env"])
async def test_each_scope_reaches_what_it_allows_and_no_more(
    api: httpx.AsyncClient, settings: Settings, scope: str
) -> None:
    lead = (await api.post("/api/leads", json=LEAD)).json()["id"]
    key = API_KEY if scope == "env" else await new_key(settings, f"k-{scope}", scope)
    held = "ops" if scope == "env" else scope
    order = ["read", "write", "ops"]
    for method, template, needed in ROUTES:
        path = template.format(lead=lead)
        res = await call(api, method, path, key)
        if order.index(held) >= order.index(needed):
            # Past the gate: what the route itself answers (the lead is not dead-lettered).
            expected = {"GET": 200, "/api/leads": 201, "/api/channels": 200}
            want = expected.get(method, expected.get(template, 409))
            assert res.status_code == want, (scope, method, path, res.text)
        else:
            assert res.status_code == 403, (scope, method, path, res.text)
            assert res.json()["error"] == (
                f"{method} {path} needs an API key with scope {needed}; "
                f"API key 'k-{scope}' has scope {scope}"
            )
        assert key not in res.text


async def test_a_revoked_key_is_refused_by_the_next_request(
    cli_env: None, api: httpx.AsyncClient
) -> None:
    created = await cli("apikey", "create", "--name", "soon-gone", "--scope", "ops")
    key = created.stdout.strip()
    assert (await api.get("/api/leads", headers=bearer(key))).status_code == 200
    assert (await cli("apikey", "revoke", "soon-gone")).exit_code == 0
    res = await api.get("/api/leads", headers=bearer(key))
    assert res.status_code == 401
    assert res.json()["error"] == "invalid API key"
    # An unknown key that looks like one, and the env key still working beside it.
    assert (await api.get("/api/leads", headers=bearer("sp_" + "A" * 43))).status_code == 401
    assert (await api.get("/api/leads", headers=bearer(API_KEY))).status_code == 200


async def test_last_used_moves_at_most_once_a_minute(
    api: httpx.AsyncClient, settings: Settings, clean_db: Database
) -> None:
    created = await apikeys.create(settings, "counted", "read")
    assert created.api_key.last_used_at is None

    async def last_used() -> object:
        (key,) = await apikeys.list_keys(settings)
        return key.last_used_at

    assert (await api.get("/api/leads", headers=bearer(created.key))).status_code == 200
    first = await last_used()
    assert first is not None
    assert (await api.get("/api/leads", headers=bearer(created.key))).status_code == 200
    assert await last_used() == first  # within the minute: not written again
    async with clean_db.engine.begin() as conn:
        await conn.execute(
            text("UPDATE api_key SET last_used_at = last_used_at - :ago"),
            {"ago": timedelta(minutes=2)},
        )
    stale = await last_used()
    assert (await api.get("/api/leads", headers=bearer(created.key))).status_code == 200
    moved = await last_used()
    assert isinstance(moved, type(first)) and isinstance(stale, type(first))
    assert moved > stale  # type: ignore[operator]


async def test_a_dashboard_session_has_its_keys_scope_and_ends_with_a_revoke(
    browser: httpx.AsyncClient, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    key = await new_key(settings, "viewer", "read")
    res = await browser.post("/api/session", json={"api_key": key})
    assert res.status_code == 200, res.text
    assert res.json()["scope"] == "read"
    assert key not in res.text and key not in res.headers["set-cookie"]
    csrf = res.json()["csrf_token"]
    assert (await browser.get("/api/leads")).status_code == 200
    assert (await browser.get("/api/session")).json()["scope"] == "read"
    refused = await browser.post("/api/leads", json=LEAD, headers={"X-CSRF-Token": csrf})
    assert refused.status_code == 403
    assert (
        "needs an API key with scope write; API key 'viewer' has scope read"
        in (refused.json()["error"])
    )
    # CSRF first, as before: without the token the refusal is the CSRF one.
    no_csrf = await browser.post("/api/leads", json=LEAD)
    assert no_csrf.json()["error"].startswith("missing or wrong X-CSRF-Token")

    await apikeys.revoke(settings, "viewer")
    assert (await browser.get("/api/leads")).status_code == 401
    assert (await browser.get("/api/session")).status_code == 401
    # A revoked key cannot sign in again.
    assert (await browser.post("/api/session", json={"api_key": key})).status_code == 401
    assert key not in caplog.text


async def test_a_write_key_session_can_change_things(
    browser: httpx.AsyncClient, settings: Settings
) -> None:
    key = await new_key(settings, "sales", "write")
    csrf = (await browser.post("/api/session", json={"api_key": key})).json()["csrf_token"]
    res = await browser.post("/api/leads", json=LEAD, headers={"X-CSRF-Token": csrf})
    assert res.status_code == 201, res.text
    res = await browser.post(
        "/api/channels",
        json=BODIES["/api/channels"],
        headers={"X-CSRF-Token": csrf},
    )
    assert res.status_code == 403
    assert "needs an API key with scope ops" in res.json()["error"]
