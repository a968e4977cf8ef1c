"""Lead imports through the API (and the CLI) on the real database: exact counts and reasons."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from config.settings import Settings
from models.db import Database
from models.tables import Import, Suppression, utcnow
from salespad import importer
from salespad.cli import app as cli
from services.campaigns.recovery import restart_stranded
from services.campaigns.service import compile_sequence, launch_campaign
from services.errors import ServiceUnavailable
from services.imports.service import fail_abandoned
from tests.fakes.gateway import RecordingGateway
from tests.helpers import api_lead, enrolled_campaign, enrolled_campaign_now, eventually
from workflows.campaign_contracts import EnrollCampaignInput, LeadSelector

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


TWO_AND_A_BAD_ROW = (
    "email,name\nada@example.com,Ada Lovelace\nbob@example.com,Bob Smith\nnope,Not An Email\n"
)


async def campaign_emails(api: httpx.AsyncClient, campaign_id: str) -> set[str]:
    res = await api.get("/api/leads", params={"campaign": campaign_id, "limit": 500})
    assert res.status_code == 200, res.text
    return {lead["email"] for lead in res.json()["items"]}


async def lead_emails(db: Database) -> set[str]:
    async with db.engine.connect() as conn:
        return {r[0] for r in await conn.execute(text("SELECT email FROM lead"))}


async def test_an_import_naming_a_campaign_enrolls_its_leads(
    api: httpx.AsyncClient, clean_db: Database, gateway: RecordingGateway, settings: Settings
) -> None:
    seed = await api_lead(api, "seed@example.com")
    campaign = await enrolled_campaign_now(api, gateway, clean_db, [seed], name="Spring")
    cid = campaign["id"]

    res = await upload(api, TWO_AND_A_BAD_ROW, campaign="Spring")  # by name
    assert res.status_code == 201, res.text
    body = res.json()
    assert (body["status"], body["campaign_id"], body["error"]) == ("done", cid, None)
    assert counts(body) == (3, 2, 0, 0, 1)
    assert body["options"]["campaign"] == "Spring"
    # One background batch (the campaign's second), selecting exactly this import's leads.
    assert gateway.enrollments[1:] == [
        EnrollCampaignInput(campaign_id=cid, batch=1, selector=LeadSelector(import_id=body["id"]))
    ]
    await gateway.enroll_pending(clean_db)
    after = (await api.get(f"/api/campaigns/{cid}")).json()
    assert (after["status"], after["selected"], after["enrolled"], after["skipped"]) == (
        "enrolled",
        3,
        3,
        0,
    )
    assert after["enrollments"] == {"active": 3}
    assert await campaign_emails(api, cid) == {
        "seed@example.com",
        "ada@example.com",
        "bob@example.com",
    }

    # By id, and a file big enough to import in the background: added once it is done.
    settings.import_sync_max_bytes = 10
    res = await upload(api, "email\ncy@example.com\nada@example.com\n", campaign=cid)
    assert res.status_code == 202, res.text

    async def finished() -> dict[str, Any] | None:
        got = (await api.get(res.headers["location"])).json()
        return got if got["status"] != "processing" else None

    background = await eventually(finished, within=30)
    assert (background["status"], background["campaign_id"], background["error"]) == (
        "done",
        cid,
        None,
    )
    assert gateway.enrollments[2:] == [
        EnrollCampaignInput(
            campaign_id=cid, batch=2, selector=LeadSelector(import_id=background["id"])
        )
    ]
    await gateway.enroll_pending(clean_db)
    after = (await api.get(f"/api/campaigns/{cid}")).json()
    assert (after["selected"], after["enrolled"], after["skipped"]) == (5, 4, 1)
    assert after["skipped_by_reason"] == {"already in campaign": 1}
    assert len(await campaign_emails(api, cid)) == 4


async def test_an_unknown_ambiguous_or_stopped_campaign_imports_nothing(
    api: httpx.AsyncClient,
    clean_db: Database,
    gateway: RecordingGateway,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed = await api_lead(api, "seed@example.com")
    first = await enrolled_campaign_now(api, gateway, clean_db, [seed], name="Twice")
    second = await enrolled_campaign_now(api, gateway, clean_db, [seed], name="Twice")
    batches = len(gateway.enrollments)

    res = await upload(api, TWO_AND_A_BAD_ROW, campaign="Nope")
    assert res.status_code == 422, res.text
    assert res.json()["error"] == "no campaign has the id or name 'Nope'"
    assert [d["field"] for d in res.json()["detail"]] == ["campaign"]
    res = await upload(api, TWO_AND_A_BAD_ROW, campaign=str(uuid.uuid4()))
    assert res.status_code == 422 and res.json()["detail"][0]["field"] == "campaign"
    res = await upload(api, TWO_AND_A_BAD_ROW, campaign="Twice")
    assert res.status_code == 422, res.text
    assert res.json()["error"] == "2 campaigns are named 'Twice': use the campaign id"
    assert [d["field"] for d in res.json()["detail"]] == ["campaign"]

    stop = await api.post(f"/api/campaigns/{first['id']}/stop")
    assert stop.status_code == 200, stop.text
    res = await upload(api, TWO_AND_A_BAD_ROW, campaign=first["id"])
    assert res.status_code == 409, res.text
    assert res.json()["error"] == f"campaign {first['id']} is stopped"

    async def unreachable() -> None:
        raise ServiceUnavailable("Temporal is not reachable")

    monkeypatch.setattr(gateway, "ensure_connected", unreachable)
    res = await upload(api, TWO_AND_A_BAD_ROW, campaign="Nope")
    assert res.status_code == 422  # the campaign is checked first
    res = await upload(api, TWO_AND_A_BAD_ROW, campaign="Twice")
    assert res.status_code == 422
    res = await upload(api, TWO_AND_A_BAD_ROW, campaign=second["id"])
    assert res.status_code == 503, res.text

    assert (await api.get("/api/imports")).json()["items"] == []
    assert await lead_emails(clean_db) == {"seed@example.com"}
    assert len(gateway.enrollments) == batches
    without_campaign = await upload(api, TWO_AND_A_BAD_ROW)
    assert without_campaign.status_code == 201, without_campaign.text


async def test_an_enrollment_that_cannot_start_keeps_the_import_done(
    api: httpx.AsyncClient,
    clean_db: Database,
    gateway: RecordingGateway,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed = await api_lead(api, "seed@example.com")
    campaign = await enrolled_campaign_now(api, gateway, clean_db, [seed], name="Spring")

    checks = 0

    async def gone_after_the_upload() -> None:  # up when the upload is checked, then gone
        nonlocal checks
        checks += 1
        if checks > 1:
            raise ServiceUnavailable("Temporal went away")

    monkeypatch.setattr(gateway, "ensure_connected", gone_after_the_upload)
    res = await upload(api, TWO_AND_A_BAD_ROW, campaign="Spring")
    assert res.status_code == 201, res.text
    body = res.json()
    assert (body["status"], body["campaign_id"]) == ("done", None)
    assert counts(body) == (3, 2, 0, 0, 1)
    assert body["error"] == (
        f"imported, but enrolling into campaign {campaign['id']} could not start: Temporal "
        f"went away (retry with POST /api/campaigns/{campaign['id']}/leads "
        f'{{"import_id": "{body["id"]}"}})'
    )
    assert await lead_emails(clean_db) == {"seed@example.com", "ada@example.com", "bob@example.com"}


async def test_an_enrollment_start_lost_after_its_commit_is_started_by_the_sweep(
    api: httpx.AsyncClient,
    clean_db: Database,
    gateway: RecordingGateway,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed = await api_lead(api, "seed@example.com")
    campaign = await enrolled_campaign_now(api, gateway, clean_db, [seed], name="Spring")

    async def lost(inp: EnrollCampaignInput) -> bool:
        raise ConnectionError("Temporal went away after the commit")

    with monkeypatch.context() as patch:
        patch.setattr(gateway, "start_enrollment", lost)
        res = await upload(api, TWO_AND_A_BAD_ROW, campaign="Spring")
    body = res.json()
    assert (body["status"], body["campaign_id"], body["error"]) == ("done", campaign["id"], None)
    assert await restart_stranded(clean_db, gateway) == 1  # the import's batch
    await gateway.enroll_pending(clean_db)
    after = await enrolled_campaign(api, campaign["id"], within=5)
    assert after["enrolled"] == 3


async def test_cli_import_into_a_new_then_an_existing_campaign(
    api: httpx.AsyncClient,
    tmp_path: Path,
    clean_db: Database,
    database_url: str,
    gateway: RecordingGateway,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(importer, "workflows_factory", lambda settings: gateway)
    env = {"SALESPAD_DATABASE_URL": database_url}

    async def salespad_import(*args: str) -> Any:
        # The CLI runs its own event loop: in a thread of its own, as from a shell.
        return await asyncio.to_thread(CliRunner().invoke, cli, ["import", *args], env=env)

    first = tmp_path / "first.csv"
    first.write_text(TWO_AND_A_BAD_ROW, encoding="utf-8")
    result = await salespad_import(str(first), "--campaign", "From CLI", "--sequence", "demo")
    assert result.exit_code == 0, result.output
    imports = (await api.get("/api/imports")).json()["items"]
    assert len(imports) == 1
    cid = imports[0]["campaign_id"]
    assert imports[0]["options"]["campaign"] == "From CLI"
    assert imports[0]["options"]["sequence"] == "demo"
    assert f"campaign {cid}: enrolling in the background: GET /api/campaigns/{cid}" in (
        result.output
    )
    assert gateway.enrollments == [
        EnrollCampaignInput(
            campaign_id=cid, batch=0, selector=LeadSelector(import_id=imports[0]["id"])
        )
    ]
    await gateway.enroll_pending(clean_db)
    made = (await api.get(f"/api/campaigns/{cid}")).json()
    assert (made["name"], made["sequence"], made["status"]) == ("From CLI", "demo", "enrolled")
    assert (made["selected"], made["enrolled"], made["skipped"]) == (2, 2, 0)
    assert await campaign_emails(api, cid) == {"ada@example.com", "bob@example.com"}

    second = tmp_path / "second.csv"
    second.write_text("email\ncy@example.com\n", encoding="utf-8")
    result = await salespad_import(str(second), "--campaign", "From CLI")
    assert result.exit_code == 0, result.output
    assert f"campaign {cid}: enrolling in the background" in result.output
    assert [(e.campaign_id, e.batch) for e in gateway.enrollments] == [(cid, 0), (cid, 1)]
    await gateway.enroll_pending(clean_db)
    assert (await api.get(f"/api/campaigns/{cid}")).json()["enrolled"] == 3

    # Refused before a row is imported, with one line and a non-zero exit.
    unknown = await salespad_import(str(second), "--campaign", "Nope")
    assert unknown.exit_code == 2
    assert unknown.output.strip() == "salespad import: no campaign has the id or name 'Nope'"
    bad_sequence = await salespad_import(str(second), "--campaign", "X", "--sequence", "nope")
    assert bad_sequence.exit_code == 2
    assert bad_sequence.output.startswith("salespad import: unknown sequence 'nope'; known: ")
    no_name = await salespad_import(str(second), "--sequence", "demo")
    assert no_name.exit_code == 2
    assert no_name.output.strip() == (
        "salespad import: --sequence needs --campaign NAME (the new campaign's name)"
    )

    async def unreachable() -> None:
        raise ServiceUnavailable("Temporal is not reachable at localhost:7233")

    monkeypatch.setattr(gateway, "ensure_connected", unreachable)
    down = await salespad_import(str(second), "--campaign", "From CLI")
    assert down.exit_code == 1
    assert down.output.strip() == "salespad import: Temporal is not reachable at localhost:7233"
    assert len((await api.get("/api/imports")).json()["items"]) == 2


async def test_a_row_whose_extra_columns_are_too_big_is_rejected_with_the_reason(
    api: httpx.AsyncClient, clean_db: Database
) -> None:
    csv_text = f"email,notes\r\nok@example.com,short\r\nbig@example.com,{'x' * 40_000}\r\n"
    res = await upload(api, csv_text)
    assert res.status_code == 201, res.text
    body = res.json()
    assert (body["created"], body["rejected"]) == (1, 1)
    [rejection] = body["rejections"]
    assert rejection["line"] == 3
    assert "extra columns are too big" in rejection["reason"]


async def test_an_import_whose_process_died_is_marked_failed_with_how_to_finish(
    api: httpx.AsyncClient, clean_db: Database
) -> None:
    async with clean_db.session() as session:
        stale = Import(filename="big.csv", progress_at=utcnow() - timedelta(minutes=30))
        live = Import(filename="running.csv")
        session.add_all([stale, live])
        await session.commit()
    assert await fail_abandoned(clean_db) == 1
    body = (await api.get(f"/api/imports/{stale.id}")).json()
    assert body["status"] == "failed"
    assert "Import the same file again" in body["error"]
    assert (await api.get(f"/api/imports/{live.id}")).json()["status"] == "processing"
    assert await fail_abandoned(clean_db) == 0
