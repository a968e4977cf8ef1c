"""The List-Unsubscribe link: unforgeable tokens, a harmless GET, a one-click POST."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlmodel import select

from adapters.channels.base import OutboundContent
from adapters.channels.email import outbound_headers
from config.settings import DEV_SECRET_KEY, Settings
from models.db import Database
from models.enums import EventType
from models.tables import Suppression
from services.channels.tokens import (
    make_unsubscribe_token,
    unsubscribe_url,
    unsubscribe_url_template,
    verify_unsubscribe_token,
)
from tests.fakes.webhooks import PUBLIC_URL, SECRET_KEY, snapshot, webhook_settings
from tests.helpers import add_lead, events, lead_row


@pytest.fixture
def settings(database_url: str, task_queue: str) -> Settings:
    return webhook_settings(database_url, task_queue)


def test_tokens_name_one_lead_and_need_the_key() -> None:
    lead, other = uuid.uuid4(), uuid.uuid4()
    token = make_unsubscribe_token(SECRET_KEY, lead)
    assert verify_unsubscribe_token(SECRET_KEY, token) == lead
    assert verify_unsubscribe_token("another-key", token) is None
    # The lead part cannot be swapped for another lead's.
    forged = make_unsubscribe_token(SECRET_KEY, other).split(".")[0] + "." + token.split(".")[1]
    assert verify_unsubscribe_token(SECRET_KEY, forged) is None
    for junk in ("", ".", "abc", "abc.def", token + "x", "💥.💥"):
        assert verify_unsubscribe_token(SECRET_KEY, junk) is None


def test_links_fit_the_email_channels_template() -> None:
    lead = uuid.uuid4()
    template = unsubscribe_url_template(PUBLIC_URL + "/")
    assert template == f"{PUBLIC_URL}/u/{{token}}"
    content = OutboundContent(
        body="Hi",
        subject="Hello",
        idempotency_key="k",
        unsubscribe_token=make_unsubscribe_token(SECRET_KEY, lead),
    )
    headers = outbound_headers(content, "<x@salespad>", template)
    assert headers["List-Unsubscribe"] == f"<{unsubscribe_url(PUBLIC_URL, SECRET_KEY, lead)}>"


def test_the_dev_secret_is_refused_in_production() -> None:
    prod: dict[str, Any] = {
        "_env_file": None,
        "env": "prod",
        "api_key": "k" * 32,
        "database_url": "postgresql://db/salespad",
    }
    with pytest.raises(ValueError, match="SALESPAD_SECRET_KEY"):
        Settings(**prod)
    with pytest.raises(ValueError, match="SALESPAD_SECRET_KEY"):
        Settings(**prod, secret_key="short")
    ok = Settings(**prod, secret_key="s" * 40)
    assert ok.secret_key.get_secret_value() != DEV_SECRET_KEY


async def test_get_shows_a_confirm_button_and_changes_nothing(
    api: httpx.AsyncClient, clean_db: Database
) -> None:
    lead = await add_lead(clean_db, status="OUTREACHED")
    path = f"/u/{make_unsubscribe_token(SECRET_KEY, lead.id)}"
    before = await snapshot(clean_db)
    res = await api.get(path, headers={"Authorization": ""})
    assert res.status_code == 200
    assert res.headers["content-type"].startswith("text/html")
    assert res.headers["cache-control"] == "no-store"
    assert f'<form method="post" action="{path}">' in res.text
    assert await snapshot(clean_db) == before


async def test_one_click_post_unsubscribes_without_auth(
    api: httpx.AsyncClient, clean_db: Database
) -> None:
    lead = await add_lead(clean_db, status="OUTREACHED", phone="+14155552671")
    path = f"/u/{make_unsubscribe_token(SECRET_KEY, lead.id)}"
    # What Gmail and Yahoo send (RFC 8058): a form body, no cookies, no API key.
    for _ in range(2):
        res = await api.post(
            path, data={"List-Unsubscribe": "One-Click"}, headers={"Authorization": ""}
        )
        assert res.status_code == 200, res.text
    assert (await lead_row(clean_db, lead.id)).status == "UNSUBSCRIBED"
    async with clean_db.session() as session:
        rows = (await session.exec(select(Suppression))).all()
    assert [(r.email, r.phone) for r in rows] == [(lead.email, None)]
    assert len(await events(clean_db, lead.id, EventType.UNSUBSCRIBED)) == 1  # second click: no-op


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_forged_tokens_are_refused(
    api: httpx.AsyncClient, clean_db: Database, method: str
) -> None:
    lead = await add_lead(clean_db, status="OUTREACHED")
    before = await snapshot(clean_db)
    for token in (make_unsubscribe_token("attacker-key", lead.id), "nonsense"):
        res = await api.request(method, f"/u/{token}", headers={"Authorization": ""})
        assert res.status_code == 404
    assert await snapshot(clean_db) == before
