"""`salespad doctor` against the test PostgreSQL: each database check's ok and FAIL line, the
channels stored over the API, Temporal unreachable, and the command's exit code and output."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from config.settings import Settings
from models.db import Database, libpq_url
from models.mailboxes import Mailbox
from models.migrate import upgrade
from models.secrets import seal
from models.tables import Channel
from salespad.doctor import database_checks, temporal_checks
from salespad.local import free_port
from tests.helpers import empty_database

# The newest migration, whichever it is.
HEAD = max(
    p.name[:4] for p in (Path(__file__).parents[2] / "models/migrations/versions").glob("0*.py")
)

pytestmark = pytest.mark.service

SECRET_KEY = "doctor-test-secret-key-0123456789abcdef"


def settings_for(url: str | None, **extra: object) -> Settings:
    return Settings(_env_file=None, database_url=url, secret_key=SECRET_KEY, **extra)  # type: ignore[call-arg, arg-type]


@pytest.fixture
def other_database(database_url: str) -> Iterator[str]:
    """An empty database beside the test one (same server)."""
    with empty_database(database_url, "doctor") as url:
        yield url


def lines(checks: list) -> list[str]:  # type: ignore[type-arg]
    return [c.line() for c in checks]


async def test_a_migrated_database_is_ok(clean_db: Database, database_url: str) -> None:
    out = lines(database_checks(settings_for(database_url)))
    assert [ln.split(":")[0] for ln in out] == ["ok    database", "ok    migrations"], out
    assert f"at head ({HEAD})" in out[1]


def test_an_unreachable_database_fails_naming_the_setting() -> None:
    url = f"postgresql+psycopg://salespad:hunter2@127.0.0.1:{free_port()}/salespad"
    [check] = database_checks(settings_for(url))
    assert check.status == "FAIL" and check.what == "database"
    assert "SALESPAD_DATABASE_URL" in check.detail
    assert "hunter2" not in check.line()


def test_no_database_url_says_what_to_set(tmp_path: object) -> None:
    [check] = database_checks(settings_for(None, data_dir=tmp_path))
    assert check.status == "FAIL"
    assert "SALESPAD_DATABASE_URL is not set" in check.detail


def test_an_empty_database_needs_migrate(other_database: str) -> None:
    out = database_checks(settings_for(other_database))
    assert [c.status for c in out] == ["ok", "FAIL"]
    assert out[1].line() == (
        "FAIL  migrations: the database has no schema yet; run `salespad migrate`"
    )


def test_a_database_behind_head_needs_migrate(other_database: str) -> None:
    upgrade(other_database, "0007")
    out = database_checks(settings_for(other_database))
    assert out[1].status == "FAIL"
    assert f"at 0007, head is {HEAD}; run `salespad migrate`" in out[1].detail


async def test_channels_stored_over_the_api_are_checked_without_their_secrets(
    clean_db: Database, database_url: str
) -> None:
    token = "twilio-secret-token-value"
    async with clean_db.session() as session:
        session.add(
            Channel(
                type="EMAIL",
                provider="smtp",
                name="smtp",
                config={"host": "", "port": 587, "from_email": "sales@example.com"},
            )
        )
        session.add(
            Channel(
                type="SMS",
                provider="twilio",
                name="twilio",
                config=seal(
                    {
                        "account_sid": "AC" + "ab" * 16,
                        "auth_token": token,
                        "from_number": "+14155550100",
                    },
                    SECRET_KEY,
                ),
            )
        )
        await session.commit()
    out = database_checks(settings_for(database_url))
    rows = {c.what: c for c in out[2:]}
    assert rows["channel EMAIL/smtp"].status == "FAIL"
    assert "host is missing" in rows["channel EMAIL/smtp"].detail
    assert rows["channel SMS/twilio"].status == "ok"
    assert token not in "\n".join(lines(out))
    # Decrypted with another key (SALESPAD_SECRET_KEY changed): says so.
    other = Settings(_env_file=None, database_url=database_url, secret_key="x" * 40)  # type: ignore[call-arg, arg-type]
    changed = {c.what: c for c in database_checks(other)[2:]}
    assert changed["channel SMS/twilio"].status == "FAIL"
    assert "SALESPAD_SECRET_KEY" in changed["channel SMS/twilio"].detail


async def test_unreachable_temporal_is_one_fail_line() -> None:
    address = f"127.0.0.1:{free_port()}"
    [check] = await temporal_checks(settings_for(None, temporal_address=address), within=10)
    assert check.status == "FAIL" and check.what == "Temporal"
    assert address in check.detail and "SALESPAD_TEMPORAL_ADDRESS" in check.detail


def test_the_command_prints_one_line_per_check_and_exits_1(
    clean_db: Database, database_url: str, tmp_path: object
) -> None:
    secret = "SG.doctor-secret-never-printed"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SALESPAD_", "SENDGRID_", "TWILIO_", "OPENAI_"))
    }
    env.update(
        SALESPAD_DATABASE_URL=database_url,
        SALESPAD_TEMPORAL_ADDRESS=f"127.0.0.1:{free_port()}",
        SENDGRID_API_KEY=secret,
    )
    done = subprocess.run(
        [sys.executable, "-m", "salespad.cli", "doctor"],
        env=env,
        cwd=str(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    out = done.stdout.splitlines()
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert secret not in done.stdout + done.stderr
    assert [ln.split(":")[0] for ln in out] == [
        "ok    settings",
        "ok    Temporal connection",
        "FAIL  SENDGRID_FROM_EMAIL",
        "ok    SMS/WhatsApp",
        "warn  OPENAI_API_KEY",
        "ok    database",
        "ok    migrations",
        "FAIL  Temporal",
    ], done.stdout


def test_a_database_from_a_newer_version_is_named(other_database: str) -> None:
    upgrade(other_database)
    with psycopg.connect(libpq_url(other_database), autocommit=True) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    out = database_checks(settings_for(other_database))
    assert out[1].status == "FAIL"
    assert "at 9999, which this SalesPad does not know" in out[1].detail


async def test_mailboxes_are_checked_and_the_paused_ones_named(
    clean_db: Database, database_url: str
) -> None:
    password = "smtp-secret-password-value"
    async with clean_db.session() as session:
        session.add(Mailbox(name="ana", channel_type="EMAIL", address="ana@example.com"))
        session.add(
            Mailbox(
                name="ben",
                channel_type="EMAIL",
                address="ben@example.com",
                provider="smtp",
                config=seal({"host": "smtp.example.com", "port": 99999, "password": password},
                            SECRET_KEY),
            )
        )  # fmt: skip
        session.add(
            Mailbox(
                name="cy",
                channel_type="EMAIL",
                address="cy@example.com",
                state="paused",
                paused_reason="hard bounces 8.0 % over the 5 % threshold",
            )
        )
        await session.commit()
    out = database_checks(settings_for(database_url))
    rows = {c.what: c for c in out[2:]}
    assert rows["mailbox ana"].status == "ok"
    assert rows["mailbox ben"].status == "FAIL"
    assert "port 99999" in rows["mailbox ben"].detail
    assert "PATCH /api/mailboxes/ben" in rows["mailbox ben"].detail
    assert rows["mailbox cy"].status == "warn"
    assert "hard bounces" in rows["mailbox cy"].detail
    assert password not in "\n".join(lines(out))
    other = Settings(_env_file=None, database_url=database_url, secret_key="x" * 40)  # type: ignore[call-arg, arg-type]
    changed = {c.what: c for c in database_checks(other)[2:]}
    assert changed["mailbox ben"].status == "FAIL"
    assert "SALESPAD_SECRET_KEY" in changed["mailbox ben"].detail
