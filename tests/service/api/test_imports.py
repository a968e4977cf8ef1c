"""Lead imports through the API (and the CLI) on the real database: exact counts and reasons."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from typer.testing import CliRunner

from config.settings import Settings
from models.db import Database
from models.tables import Suppression
from salespad.cli import app as cli
from services.campaigns.service import compile_sequence, launch_campaign
from tests.fakes.gateway import RecordingGateway
from tests.helpers import eventually

MESSY = (
    "First Name;Last Name;E-mail;Mobile;Time Zone;Twitter;;\r\n"
    "Ada;Lovelace;ADA@example.com;+44 20 7946 0958;;@ada;;\r\n"
    "\r\n"
    'José;Núñez;jose@example.com;;Europe/Madrid;"two\r\nlines";;\r\n'
    "Bad;Email;bob@;;;;;\r\n"
    "Bad;Phone;;12345;;;;\r\n"
    "No;Contact;;;;;;\r\n"
    "Ada;Again;ada@EXAMPLE.com;;;;;\r\n"
    "Phone;Only;;(415) 555-2671;;;;\r\n"
)


async def upload(
    api: httpx.AsyncClient, content: bytes | str, name: str = "leads.csv", **form: str
) -> httpx.Response:
    data = content.encode() if isinstance(content, str) else content
    return await api.post("/api/imports", files={"file": (name, data, "text/csv")}, data=form)


def counts(body: dict[str, Any]) -> tuple[int, ...]:
    return tuple(body[k] for k in ("rows", "created", "updated", "skipped", "rejected"))


async def leads(db: Database) -> dict[str, dict[str, Any]]:
    async with db.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT coalesce(email, phone), name, phone, timezone, metadata FROM lead")
        )
        return {r[0]: {"name": r[1], "phone": r[2], "tz": r[3], "meta": r[4]} for r in rows}


async def test_messy_csv_exact_counts_reasons_and_leads(
    api: httpx.AsyncClient, clean_db: Database
) -> None:
    res = await upload(api, MESSY)
    assert res.status_code == 201, res.text
    body = res.json()
    assert res.headers["location"].endswith(f"/api/imports/{body['id']}")
    assert body["status"] == "done"
    # 7 data rows: 3 created (Ada, José, the phone-only lead); "Ada Again" repeats Ada's
    # email (case aside) further down the file: the first row wins, the repeat is skipped.
    assert counts(body) == (7, 3, 0, 1, 3)
    assert [(r["line"], r["column"], r["reason"]) for r in body["rejections"]] == [
        (6, "E-mail", "invalid email: There must be something after the @-sign."),
        (7, "Mobile", "invalid phone: not a valid phone number (read with default region US)"),
        (8, None, "no email or phone"),
    ]
    stored = await leads(clean_db)
    assert set(stored) == {"ada@example.com", "jose@example.com", "+14155552671"}
    assert stored["ada@example.com"] == {
        "name": "Ada Lovelace",
        "phone": "+442079460958",  # not blanked by the later row without a phone
        "tz": None,  # +44 covers several zones (London, Jersey, ...): not guessed
        "meta": {"Twitter": "@ada"},
    }
    assert stored["jose@example.com"]["tz"] == "Europe/Madrid"
    assert stored["jose@example.com"]["meta"] == {"Twitter": "two\r\nlines"}
    assert stored["+14155552671"]["name"] == "Phone Only"
    again = (await api.get(f"/api/imports/{body['id']}")).json()
    assert counts(again) == counts(body) and len(again["rejections"]) == 3
    listing = (await api.get("/api/imports")).json()["items"]
    assert [i["id"] for i in listing] == [body["id"]]


async def test_re_importing_the_same_file_changes_nothing(
    api: httpx.AsyncClient, clean_db: Database
) -> None:
    await upload(api, MESSY)
    before = await leads(clean_db)
    second = (await upload(api, MESSY)).json()
    assert counts(second) == (7, 0, 0, 4, 3)
    assert await leads(clean_db) == before
    async with clean_db.engine.connect() as conn:
        n = (await conn.execute(text("SELECT count(*) FROM event_log"))).scalar_one()
    assert n == 3  # the 3 LEAD_CREATED of the first run


async def test_on_duplicate_modes(api: httpx.AsyncClient, clean_db: Database) -> None:
    first = "email,name,company,title\nada@example.com,Ada,,Engineer\n"
    later = "email,name,company,title\nADA@example.com,Ada King,AE,CTO\n"
    await upload(api, first)
    skip = (await upload(api, later, on_duplicate="skip")).json()
    assert counts(skip) == (1, 0, 0, 1, 0)
    fill = (await upload(api, later, on_duplicate="fill-empty")).json()
    assert counts(fill) == (1, 0, 1, 0, 0)
    async with clean_db.engine.connect() as conn:
        row = (await conn.execute(text("SELECT name, company, title FROM lead"))).one()
    assert tuple(row) == ("Ada", "AE", "Engineer")  # only the empty company was filled
    update = (await upload(api, later, on_duplicate="update")).json()
    assert counts(update) == (1, 0, 1, 0, 0)
    async with clean_db.engine.connect() as conn:
        row = (await conn.execute(text("SELECT name, company, title FROM lead"))).one()
    assert tuple(row) == ("Ada King", "AE", "CTO")


async def test_the_preferred_channel_is_imported_and_checked(
    api: httpx.AsyncClient, clean_db: Database
) -> None:
    csv = (
        "Email,Mobile,Preferred Channel\n"
        "ada@example.com,+14155552671,whatsapp\n"
        "bob@example.com,,SMS\n"
        "eve@example.com,,fax\n"
    )
    body = (await upload(api, csv)).json()
    assert counts(body) == (3, 2, 0, 0, 1)
    assert [(r["line"], r["column"]) for r in body["rejections"]] == [(4, "Preferred Channel")]
    assert "EMAIL, SMS, WHATSAPP" in body["rejections"][0]["reason"]
    async with clean_db.engine.connect() as conn:
        rows = await conn.execute(text("SELECT email, preferred_channel FROM lead ORDER BY email"))
        assert [tuple(r) for r in rows] == [
            ("ada@example.com", "WHATSAPP"),
            ("bob@example.com", "SMS"),
        ]


async def test_rejected_csv_round_trip(api: httpx.AsyncClient, clean_db: Database) -> None:
    body = (await upload(api, MESSY)).json()
    res = await api.get(f"/api/imports/{body['id']}/rejected.csv")
    assert res.status_code == 200
    assert res.headers["content-type"].startswith("text/csv")
    lines = res.text.splitlines()
    assert lines == [
        "First Name,Last Name,E-mail,Mobile,Time Zone,Twitter,reason",
        "Bad,Email,bob@,,,,invalid email: There must be something after the @-sign.,,",
        "Bad,Phone,,12345,,,invalid phone: not a valid phone number (read with default region "
        "US),,",
        "No,Contact,,,,,no email or phone,,",
    ]
    fixed = (
        res.text.replace("bob@", "bob@example.com")
        .replace("12345", "+1 212 555 0101")
        .replace("No,Contact,,", "No,Contact,no@example.com,")
    )
    again = (await upload(api, fixed, "fixed.csv")).json()
    assert counts(again) == (3, 3, 0, 0, 0), again["rejections"]
    assert all("reason" not in lead["meta"] for lead in (await leads(clean_db)).values())


async def test_bad_input_is_a_4xx_naming_the_problem(api: httpx.AsyncClient) -> None:
    res = await api.post("/api/imports", data={"on_duplicate": "skip"})
    assert (res.status_code, res.json()["error"]) == (
        422,
        "no file: send the CSV or XLSX as the multipart field `file`",
    )
    res = await upload(api, b"")
    assert (res.status_code, res.json()["error"]) == (422, "the file is empty")
    res = await upload(api, "email\na@example.com\n", on_duplicate="merge")
    assert (res.status_code, res.json()["error"]) == (422, "unknown on_duplicate 'merge'")
    res = await upload(api, "email\na@example.com\n", mapping='{"email": "mail"}')
    assert res.status_code == 422
    assert res.json()["error"] == "mapping names an unknown field 'mail' for column 'email'"
    res = await upload(api, "email\na@example.com\n", mapping="{nope")
    assert (res.status_code, res.json()["error"]) == (422, "mapping is not valid JSON")
    res = await upload(api, "name,company\nAda,AE\n")
    assert (res.status_code, res.json()["error"]) == (422, "the file has no email or phone column")
    assert (await api.get(f"/api/imports/{uuid.uuid4()}")).status_code == 404
    assert (await api.get(f"/api/imports/{uuid.uuid4()}/rejected.csv")).status_code == 404
    assert (await api.get("/api/imports")).json()["items"] == []  # nothing half-created


async def test_mapping_and_413(api: httpx.AsyncClient, settings: Settings) -> None:
    res = await upload(
        api, "Work Mail,Who\nada@example.com,Ada\n", mapping='{"Work Mail": "email", "Who": "name"}'
    )
    assert counts(res.json()) == (1, 1, 0, 0, 0)
    settings.max_import_bytes = 10
    res = await upload(api, "email\nada@example.com\n")
    assert res.status_code == 413
    assert "import limit" in res.json()["error"] or "limit" in res.json()["error"]


async def test_big_files_import_in_the_background_with_progress(
    api: httpx.AsyncClient, settings: Settings, clean_db: Database
) -> None:
    settings.import_sync_max_bytes = 100
    rows = "".join(f"lead{i}@example.com,Lead {i}\n" for i in range(5000))
    res = await upload(api, "email,name\n" + rows)
    assert res.status_code == 202, res.text
    assert res.json()["status"] == "processing"

    async def finished() -> dict[str, Any] | None:
        body = (await api.get(res.headers["location"])).json()
        return body if body["status"] != "processing" else None

    body = await eventually(finished, within=60)
    assert body["status"] == "done" and counts(body) == (5000, 5000, 0, 0, 0)


async def test_suppressed_rows_are_imported_counted_and_never_enrolled(
    api: httpx.AsyncClient, clean_db: Database, gateway: RecordingGateway
) -> None:
    async with clean_db.session() as session:
        session.add(Suppression(email="Gone@Example.com", reason="unsubscribed"))
        await session.commit()
    body = (await upload(api, "email\ngone@example.com\nkept@example.com\n")).json()
    assert counts(body) == (2, 2, 0, 0, 0) and body["suppressed"] == 1
    async with clean_db.engine.connect() as conn:
        found = (await conn.execute(text("SELECT email, id FROM lead"))).all()
    ids = {email: uuid.UUID(str(lead_id)) for email, lead_id in found}
    async with clean_db.session() as session:
        result = await launch_campaign(
            session, gateway, "imported", compile_sequence("demo"), list(ids.values())
        )
    assert [e.lead_id for e in result.enrolled] == [ids["kept@example.com"]]
    assert [(s.lead_id, s.reason, s.detail) for s in result.skipped] == [
        (ids["gone@example.com"], "suppressed", "unsubscribed")
    ]


def test_cli_imports_a_file_and_writes_the_rejected_rows(
    tmp_path: Path, clean_db: Database, database_url: str
) -> None:
    path = tmp_path / "crm.csv"
    path.write_text("Work Mail,Name\nada@example.com,Ada\nnope,Bob\n", encoding="utf-8")
    result = CliRunner().invoke(
        cli,
        ["import", str(path), "--map", "Work Mail=email", "--on-duplicate", "skip"],
        env={"SALESPAD_DATABASE_URL": database_url},
    )
    assert result.exit_code == 0, result.output
    assert "2 rows, 1 created, 0 updated, 0 skipped, 1 rejected, 0 suppressed" in result.output
    rejected = tmp_path / "crm.rejected.csv"
    assert f"written to {rejected}" in result.output
    assert rejected.read_text().splitlines()[1].startswith("nope,Bob,invalid email:")
    bad = CliRunner().invoke(
        cli,
        ["import", str(path), "--on-duplicate", "merge"],
        env={"SALESPAD_DATABASE_URL": database_url},
    )
    assert bad.exit_code == 2 and "unknown on_duplicate 'merge'" in bad.output
