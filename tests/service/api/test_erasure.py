"""Erasure (GDPR Art. 17) over REST and the CLI, on the real database with the recording
gateway: the person leaves every table, the counts stay, the address stays suppressed."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from models.db import Database
from models.enums import EventType
from models.tables import Campaign as CampaignRow
from models.tables import (
    Import,
    ImportRejection,
    OwnerNotification,
    Task,
    WebhookSubscription,
)
from salespad import erase as erase_cli
from salespad.cli import app as cli
from services.channels.queries import suppression_for
from services.erasure.hashing import pii_hash
from services.errors import ServiceUnavailable
from services.events import add_event
from services.replies.schemas import ReplyCreate
from services.replies.service import record_reply
from services.replies.unmatched import record_unmatched_reply
from tests.fakes.gateway import RecordingGateway
from tests.helpers import api_lead, enrolled_campaign_now
from tests.service.analytics.test_funnel import T0, Campaign, _channels
from tests.service.api.test_imports import upload

pytestmark = pytest.mark.service

PERSON = {
    "name": "Zebediah Quixworth",
    "email": "Zeb.Quix@Example.org",
    "phone": "+14155550199",
    "company": "Quixcorp",
    "title": "Chief Zebra Officer",
    "metadata": {"linkedin": "https://linkedin.example/in/zebquixworth"},
}
# What must not be found anywhere afterwards (case-insensitively).
TRACES = ("zeb.quix@example.org", "Zebediah", "Quixworth", "4155550199", "Quixcorp", "zebquix")

# Every column of every table that can hold text: new tables are covered without a change here.
TEXT_COLUMNS = """
SELECT table_name, column_name FROM information_schema.columns
 WHERE table_schema = current_schema()
   AND data_type IN ('text', 'character varying', 'character', 'json', 'jsonb', 'ARRAY')
   AND table_name IN (SELECT table_name FROM information_schema.tables
                       WHERE table_schema = current_schema() AND table_type = 'BASE TABLE')
"""


async def traces_of_the_person(db: Database) -> list[str]:
    """table.column: needle, for every text or JSON value in the database that holds a trace."""
    found = []
    async with db.engine.connect() as conn:
        columns = (await conn.execute(text(TEXT_COLUMNS))).all()
        assert len(columns) > 40  # the enumeration sees the schema
        for table, column in columns:
            for needle in TRACES:
                n = (
                    await conn.execute(
                        text(
                            f'SELECT count(*) FROM "{table}" '
                            f'WHERE strpos(lower("{column}"::text), lower(:needle)) > 0'
                        ),
                        {"needle": needle},
                    )
                ).scalar_one()
                if n:
                    found.append(f"{table}.{column}: {needle} ({n})")
    return found


async def _person_with_history(
    api: httpx.AsyncClient, gateway: RecordingGateway, db: Database
) -> tuple[str, str, str]:
    """The person and another lead, in one campaign with sends, reports, a reply, a task, an
    owner notification, outgoing webhooks, an import rejection and an unmatched reply; returns
    (person's lead id, other lead id, campaign id)."""
    async with db.session() as session:
        session.add(WebhookSubscription(url="http://127.0.0.1:9/hook", events=["*"], secret="s"))
        await session.commit()
    res = await api.post("/api/leads", json=PERSON)
    assert res.status_code == 201, res.text
    person = res.json()["id"]
    other = await api_lead(api, "other@example.com")
    body = await enrolled_campaign_now(api, gateway, db, [person, other], name="erasure")
    c = Campaign(db, body["id"], await _channels(db))
    async with db.session() as session:
        # A campaign whose filter names the person (a metadata value).
        row = await session.get(CampaignRow, uuid.UUID(body["id"]))
        assert row is not None
        named = {"filter": {"metadata": {"contact": PERSON["email"], "mobile": PERSON["phone"]}}}
        row.selector = {**row.selector, **named}
        row.batch_selectors = [*row.batch_selectors, named]
        await session.commit()
    for lead in (person, other):
        m = await c.send(lead, 1, "EMAIL", T0, "A")
        await c.report(m, "delivered")
        await c.report(m, "opened")
    async with db.session() as session:
        message, _ = await record_reply(
            session,
            uuid.UUID(person),
            ReplyCreate(
                content="Zebediah here: call me on +14155550199 or zeb.quix@example.org",
                subject="Re: Quixcorp",
                channel="EMAIL",  # type: ignore[arg-type]
                received_at=T0 + timedelta(hours=1),
            ),
        )
        add_event(
            session,
            uuid.UUID(person),
            EventType.INTENT_CLASSIFIED,
            message_id=str(message.id),
            intent="interested",
            reason="Zebediah Quixworth wants a call",
        )
        # The other lead refers to the person: its reply keeps its text, the address cut out.
        referral, _ = await record_reply(
            session,
            uuid.UUID(other),
            ReplyCreate(
                content="Not me, try my colleague ZEB.QUIX@example.org",
                channel="EMAIL",  # type: ignore[arg-type]
                received_at=T0 + timedelta(hours=2),
            ),
        )
        add_event(
            session,
            uuid.UUID(other),
            EventType.INTENT_CLASSIFIED,
            message_id=str(referral.id),
            intent="referral",
            contact="zeb.quix@example.org",
        )
        session.add(
            Task(
                lead_id=uuid.UUID(person),
                kind="linkedin",
                instructions="Connect with Zebediah Quixworth (Quixcorp)",
                note="zebquixworth",
            )
        )
        session.add(
            OwnerNotification(
                lead_id=uuid.UUID(person),
                message_id=message.id,
                owner="sam@sales.example",
                intent="interested",
                summary="Zebediah Quixworth is interested",
            )
        )
        imp = Import(filename="leads.csv", status="done")
        session.add(imp)
        await session.flush()
        session.add(
            ImportRejection(
                import_id=imp.id,
                line=3,
                column="phone",
                reason="not a phone number",
                raw=["Zebediah Quixworth", "zeb.quix@example.org", "555-QUIX"],
            )
        )
        await session.commit()
    async with db.session() as session:
        await record_unmatched_reply(
            session,
            channel="EMAIL",
            sender="zeb.quix@example.org",
            content="Zebediah again, from another thread",
            subject="Quixcorp",
            provider_message_id="<abc.zebquix@mail.example.org>",
        )
    async with db.engine.begin() as conn:  # one delivery went out, the others are pending
        await conn.execute(
            text(
                "UPDATE webhook_delivery SET status = 'delivered' WHERE id = "
                "(SELECT id FROM webhook_delivery WHERE payload::text ILIKE '%zebediah%' LIMIT 1)"
            )
        )
    return person, other, body["id"]


async def test_erasure_leaves_no_trace_keeps_counts_and_suppresses(
    api: httpx.AsyncClient, gateway: RecordingGateway, clean_db: Database
) -> None:
    db = clean_db
    person, other, campaign = await _person_with_history(api, gateway, db)
    assert len(await traces_of_the_person(db)) > 10  # the search finds what is there
    funnel = (await api.get(f"/api/campaigns/{campaign}/funnel")).json()
    assert funnel["overall"]["sent"] == 2 and funnel["overall"]["replied"] == 2

    res = await api.delete(f"/api/leads/{person}")
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["already_erased"] is False
    assert body["workflow_terminated"] is True  # its sequence was running
    assert sorted(body["suppressed"]) == ["email", "phone"]
    removed = body["removed"]
    assert removed["messages"] == 2 and removed["unmatched_replies"] == 1
    assert removed["tasks"] == 1 and removed["notifications"] == 1
    assert removed["import_rejections"] == 1 and removed["enrollments_stopped"] == 1
    assert removed["webhook_deliveries_redacted"] >= 1
    assert removed["webhook_deliveries_deleted"] >= 1
    assert removed["events"] >= 6
    inbound = [r for r in gateway.erased if r[0] == person]
    assert len(inbound) == 1 and len(inbound[0][1]) == 1  # its reply's ProcessReply too

    assert await traces_of_the_person(db) == []
    # Counts for analytics are the same, also recounted from the log from scratch.
    assert (await api.get(f"/api/campaigns/{campaign}/funnel")).json() == funnel
    async with db.engine.begin() as conn:
        await conn.execute(text("SELECT salespad_funnel_rebuild(:c)"), {"c": campaign})
    assert (await api.get(f"/api/campaigns/{campaign}/funnel")).json() == funnel

    detail = (await api.get(f"/api/leads/{person}")).json()
    assert detail["lead"]["name"] == "Erased lead" and detail["lead"]["email"] is None
    erased = [e for e in detail["timeline"] if e.get("event_type") == "ERASED"]
    assert len(erased) == 1 and erased[0]["details"]["messages"] == 2
    # The other lead is untouched.
    other_detail = (await api.get(f"/api/leads/{other}")).json()
    assert other_detail["lead"]["email"] == "other@example.com"
    contents = [e.get("content") for e in other_detail["timeline"]]
    assert "hi" in contents and "Not me, try my colleague [erased]" in contents

    # Erasing twice is harmless; an unknown lead is a 404.
    again = await api.delete(f"/api/leads/{person}")
    assert again.status_code == 200 and again.json()["already_erased"] is True
    missing = await api.delete(f"/api/leads/{uuid.uuid4()}")
    assert missing.status_code == 404
    assert (await api.delete("/api/leads/not-a-uuid")).status_code == 422


async def test_the_erased_person_is_never_contacted_again(
    api: httpx.AsyncClient, gateway: RecordingGateway, clean_db: Database
) -> None:
    res = await api.post("/api/leads", json=PERSON)
    person = res.json()["id"]
    assert (await api.delete(f"/api/leads/{person}")).status_code == 200
    async with clean_db.session() as session:
        hashed = await suppression_for(session, "zeb.quix@example.org", None)
        assert hashed is not None and hashed.email is None
        assert hashed.email_sha256 == pii_hash(" ZEB.QUIX@example.org")
        assert await suppression_for(session, None, "+14155550199") is not None

    # Re-created over the API: a new lead, and enrolling it skips it as suppressed.
    again = await api.post("/api/leads", json={"name": "Zeb", "email": "zeb.quix@example.org"})
    assert again.status_code == 201 and again.json()["id"] != person
    by_phone = await api.post("/api/leads", json={"name": "Z", "phone": "+14155550199"})
    body = await enrolled_campaign_now(
        api, gateway, clean_db, [again.json()["id"], by_phone.json()["id"]]
    )
    assert body["enrolled"] == 0
    assert {s["reason"] for s in body["skipped_leads"]} == {"suppressed"}
    assert gateway.started == []

    # Re-imported: counted as suppressed, as an unsubscribed address is.
    imported = await upload(api, "name,email\nZebediah,ZEB.QUIX@example.org\n")
    assert imported.json()["suppressed"] == 1, imported.text


async def test_the_event_log_allows_only_the_erasure_redaction(
    api: httpx.AsyncClient, clean_db: Database
) -> None:
    lead = await api_lead(api, "kept@example.com")

    async def refused(*statements: str) -> None:
        async with clean_db.engine.connect() as conn:
            with pytest.raises(DBAPIError, match="append-only"):
                async with conn.begin():
                    for sql in statements:
                        await conn.execute(text(sql), {"lead": lead})

    erasing = "SELECT set_config('salespad.erasing', :lead, true)"
    await refused("UPDATE event_log SET details = '{}' WHERE lead_id = :lead")
    await refused("DELETE FROM event_log WHERE lead_id = :lead")
    # Even inside an erasure: only the redacted form, and nothing else of the row.
    await refused(erasing, "UPDATE event_log SET details = '{\"x\": 1}' WHERE lead_id = :lead")
    await refused(erasing, "DELETE FROM event_log WHERE lead_id = :lead")
    await refused(
        erasing,
        "UPDATE event_log SET details = salespad_redacted_details(details), "
        "event_type = 'OPENED' WHERE lead_id = :lead",
    )
    # The redaction without the erasure's setting is refused too; with it, it passes.
    await refused(
        "UPDATE event_log SET details = salespad_redacted_details(details) WHERE lead_id = :lead"
    )
    async with clean_db.engine.begin() as conn:
        await conn.execute(text(erasing), {"lead": lead})
        done = await conn.execute(
            text(
                "UPDATE event_log SET details = salespad_redacted_details(details) "
                "WHERE lead_id = :lead"
            ),
            {"lead": lead},
        )
        assert done.rowcount == 1
    # The setting was transaction-local: the next transaction is refused again.
    await refused(
        "UPDATE event_log SET details = salespad_redacted_details(details) WHERE lead_id = :lead"
    )


async def test_erasure_answers_503_before_changing_anything_when_temporal_is_down(
    api: httpx.AsyncClient, gateway: RecordingGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    res = await api.post("/api/leads", json=PERSON)
    person = res.json()["id"]

    async def unreachable() -> None:
        raise ServiceUnavailable("Temporal is not reachable at 127.0.0.1:1")

    monkeypatch.setattr(gateway, "ensure_connected", unreachable)
    down = await api.delete(f"/api/leads/{person}")
    assert down.status_code == 503, down.text
    assert gateway.erased == []
    assert (await api.get(f"/api/leads/{person}")).json()["lead"]["email"] == (
        "zeb.quix@example.org"
    )


async def test_python_and_sql_hash_alike(clean_db: Database) -> None:
    async with clean_db.engine.connect() as conn:
        for value in (" Zeb.Quix@Example.org ", "+14155550199", "ÉLODIE@exemple.fr"):
            sql = (await conn.execute(text("SELECT salespad_pii_hash(:v)"), {"v": value})).scalar()
            assert sql == pii_hash(value)


async def test_cli_erase_prints_one_line(
    api: httpx.AsyncClient,
    gateway: RecordingGateway,
    clean_db: Database,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(erase_cli, "workflows_factory", lambda settings: gateway)
    res = await api.post("/api/leads", json=PERSON)
    person = res.json()["id"]
    env = {"SALESPAD_DATABASE_URL": database_url}

    async def salespad_erase(email: str) -> Any:
        return await asyncio.to_thread(CliRunner().invoke, cli, ["erase", email], env=env)

    done = await salespad_erase("ZEB.QUIX@example.org")
    assert done.exit_code == 0, done.output
    lines = done.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"erased lead {person}:")
    assert "suppressed email and phone (hashed)" in lines[0]
    assert "zeb" not in lines[0].lower()
    twice = await salespad_erase("zeb.quix@example.org")
    assert twice.exit_code == 0 and "already erased" in twice.output
    unknown = await salespad_erase("nobody@example.org")
    assert unknown.exit_code == 1 and "no lead with that email" in unknown.output
    assert [r[0] for r in gateway.erased] == [person]
