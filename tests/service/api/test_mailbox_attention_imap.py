"""A mailbox whose replies cannot be read over IMAP is in the attention list (a reply there
would go unseen): with the error and what to fix, and gone once a round succeeds."""

from __future__ import annotations

import httpx

from models.db import Database
from models.mailboxes import Mailbox, MailboxImapState


async def test_an_imap_mailbox_that_cannot_be_read_needs_attention(
    api: httpx.AsyncClient, clean_db: Database
) -> None:
    box = Mailbox(
        name="ana",
        channel_type="EMAIL",
        address="ana@team.example",
        config={"imap_host": "127.0.0.1", "imap_username": "ana", "imap_password": "x"},
    )
    async with clean_db.session() as session:
        session.add(box)
        await session.commit()
        session.add(MailboxImapState(mailbox_id=box.id, last_error="login refused"))
        await session.commit()

    [item] = (await api.get("/api/ops/attention")).json()
    assert item["kind"] == "mailbox"
    assert item["mailbox_name"] == "ana"
    assert "login refused" in item["reason"]
    assert "resume" not in item["actions"]
    assert any("IMAP" in a for a in item["actions"])

    async with clean_db.session() as session:
        state = await session.get(MailboxImapState, box.id)
        assert state is not None
        state.last_error = None  # the next round worked
        await session.commit()
    assert (await api.get("/api/ops/attention")).json() == []
