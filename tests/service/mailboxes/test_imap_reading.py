"""Reading a mailbox over IMAP, from a real Dovecot, into the reply path (no Temporal: the
recording gateway stands in for it). One round is `poll_round`, as the poller's activity runs
it."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlmodel import col, select

from adapters.channels.email import message_id_for
from config.settings import Settings
from models.db import Database
from models.enums import DeliveryStatus, Direction, LeadStatus
from models.mailboxes import Mailbox, MailboxImapState
from models.secrets import seal
from models.tables import Lead, Message, Suppression, utcnow
from salespad.local import free_port
from services.mailboxes.polling import imap_problems
from services.mailboxes.reading import ReadPolicy, poll_round
from tests.fakes import mail
from tests.fakes.gateway import RecordingGateway
from tests.helpers import add_lead, count_events
from tests.imap_server import Dovecot, add_mailbox

pytestmark = pytest.mark.service


async def sent_email(db: Database, lead: Lead, step: int = 1) -> str:
    """An intro we sent the lead through SMTP; its Message-ID."""
    key = f"lead-{lead.id}:step-{step}"
    message_id = message_id_for(key)
    async with db.session() as session:
        session.add(
            Message(
                lead_id=lead.id,
                direction=Direction.OUTBOUND,
                subject="Quick question",
                content="Hi",
                provider_message_id=message_id,
                idempotency_key=key,
                delivery_status=DeliveryStatus.SENT,
                sent_at=utcnow(),
            )
        )
        await session.commit()
    return message_id


async def inbound(db: Database) -> list[Message]:
    async with db.session() as session:
        rows = await session.exec(
            select(Message)
            .where(Message.direction == Direction.INBOUND)
            .order_by(col(Message.created_at))
        )
        return list(rows.all())


async def imap_state(db: Database, mailbox_id: uuid.UUID) -> MailboxImapState:
    async with db.session() as session:
        state = await session.get(MailboxImapState, mailbox_id)
        assert state is not None
        return state


def policy(settings: Settings, batch: int = 100) -> ReadPolicy:
    return ReadPolicy(secret_key=settings.secret_key.get_secret_value(), batch=batch)


async def test_each_kind_of_message_takes_its_own_path(
    clean_db: Database, settings: Settings, dovecot: Dovecot, imap_user: str
) -> None:
    gateway = RecordingGateway()
    box = await add_mailbox(clean_db, settings, dovecot, imap_user)
    ada = await add_lead(clean_db, name="Ada Lovelace", email="ada@client.example")
    grace = await add_lead(clean_db, name="Grace Hopper", email="grace@client.example")
    linus = await add_lead(clean_db, name="Linus Ops", email="linus@client.example")
    bouncer = await add_lead(clean_db, name="Gone Person", email="gone@client.example")
    to_ada = await sent_email(clean_db, ada)
    to_grace = await sent_email(clean_db, grace)
    to_bouncer = await sent_email(clean_db, bouncer)
    # A colleague answers in Ada's thread from another address: matched by thread.
    threaded = mail.reply(
        sender="Assistant <assistant@client.example>",
        to=imap_user,
        body="Ada asked me to book a call. Tuesday?",
        in_reply_to=to_ada,
    )
    by_sender = mail.reply(sender="Linus <LINUS@client.example>", to=imap_user, body="Tell me more")
    ooo = mail.out_of_office(sender="grace@client.example", to=imap_user, in_reply_to=to_grace)
    # Our own follow-up, BCC'd to ourselves, and a copy filed from our address.
    ours = message_id_for(f"lead-{ada.id}:step-3")
    own_copy = mail.message(
        "Us <other@team.example>", "ada@client.example", "Quick question", "Bump", message_id=ours
    )
    from_us = mail.message(imap_user.upper(), "x@y.example", "Notes", "b")
    dsn = mail.bounce_report(
        to=imap_user, recipient="gone@client.example", original_message_id=to_bouncer
    )
    stranger = mail.reply(sender="someone@else.example", to=imap_user, body="Who are you?")
    for raw in (threaded, by_sender, ooo, own_copy, from_us, dsn, stranger):
        dovecot.append(imap_user, raw)

    outcome = await poll_round(clean_db, gateway, box.id, policy(settings))

    assert outcome.error is None and outcome.active
    assert dict(outcome.taken) == {"reply": 3, "own": 2, "bounce": 1, "unmatched": 1}
    rows = await inbound(clean_db)
    assert [(m.lead_id, m.mailbox_id) for m in rows] == [
        (ada.id, box.id),
        (linus.id, box.id),
        (grace.id, box.id),
        (None, box.id),
    ]
    assert rows[2].details["headers"]["Auto-Submitted"] == "auto-replied"  # OOO, for the classifier
    assert [lead for lead, _, _ in gateway.replies] == [str(ada.id), str(linus.id), str(grace.id)]
    # The bounce: suppressed, BOUNCED, its send marked; never a reply.
    async with clean_db.session() as session:
        gone = await session.get(Lead, bouncer.id)
        assert gone is not None and gone.status == LeadStatus.BOUNCED
        sup = (await session.exec(select(Suppression))).all()
        assert [s.email for s in sup] == ["gone@client.example"]
        sent = (
            await session.exec(select(Message).where(Message.provider_message_id == to_bouncer))
        ).one()
        assert sent.delivery_status == DeliveryStatus.BOUNCED
    assert await count_events(clean_db, bouncer.id, "BOUNCED") == 1
    assert await count_events(clean_db, bouncer.id, "REPLY_RECEIVED") == 0
    # Nothing was marked: read with BODY.PEEK[], the folder examined read-only.
    flags = dovecot.flags(imap_user)
    assert len(flags) == 7
    assert not any("\\Seen" in f for f in flags.values()), flags
    state = await imap_state(clean_db, box.id)
    assert (state.last_uid, state.messages_seen, state.last_error) == (7, 7, None)

    # The next round reads only what is new; the same reply delivered twice is recorded once.
    again = mail.reply(
        sender="linus@client.example", to=imap_user, body="Me again", message_id="<twice@x>"
    )
    dovecot.append(imap_user, again)
    dovecot.append(imap_user, again)
    outcome = await poll_round(clean_db, gateway, box.id, policy(settings))
    assert dict(outcome.taken) == {"reply": 1, "duplicate": 1}
    assert len(await inbound(clean_db)) == 5
    assert (await imap_state(clean_db, box.id)).last_uid == 9
    outcome = await poll_round(clean_db, gateway, box.id, policy(settings))
    assert dict(outcome.taken) == {}


async def test_a_delayed_report_is_not_a_bounce(
    clean_db: Database, settings: Settings, dovecot: Dovecot, imap_user: str
) -> None:
    box = await add_mailbox(clean_db, settings, dovecot, imap_user)
    lead = await add_lead(clean_db, email="slow@client.example")
    sent = await sent_email(clean_db, lead)
    dovecot.append(
        imap_user,
        mail.bounce_report(
            to=imap_user,
            recipient="slow@client.example",
            original_message_id=sent,
            action="delayed",
            status="4.4.1",
        ),
    )
    outcome = await poll_round(clean_db, RecordingGateway(), box.id, policy(settings))
    assert dict(outcome.taken) == {"delivery-report": 1}
    assert (await lead_status(clean_db, lead.id)) == LeadStatus.NEW
    assert await count_events(clean_db, lead.id, "DELIVERY_DEFERRED") == 1
    assert await inbound(clean_db) == []


async def lead_status(db: Database, lead_id: uuid.UUID) -> str:
    async with db.session() as session:
        lead = await session.get(Lead, lead_id)
        assert lead is not None
        return lead.status


async def test_marked_and_moved_only_when_configured(
    clean_db: Database, settings: Settings, dovecot: Dovecot, imap_user: str
) -> None:
    box = await add_mailbox(
        clean_db, settings, dovecot, imap_user, imap_mark_seen=True, imap_move_to="SalesPad Done"
    )
    await add_lead(clean_db, email="ada@client.example")
    dovecot.append(imap_user, mail.reply(sender="ada@client.example", to=imap_user, body="Yes"))
    outcome = await poll_round(clean_db, RecordingGateway(), box.id, policy(settings))
    assert dict(outcome.taken) == {"reply": 1}
    assert dovecot.flags(imap_user) == {}  # moved out of the inbox...
    [moved] = dovecot.flags(imap_user, '"SalesPad Done"').values()
    assert "\\Seen" in moved  # ...and marked read


async def test_a_recreated_folder_is_read_by_date_not_taken_whole(
    clean_db: Database, settings: Settings, dovecot: Dovecot, imap_user: str
) -> None:
    gateway = RecordingGateway()
    dovecot.command(imap_user, "CREATE", "Replies")
    box = await add_mailbox(clean_db, settings, dovecot, imap_user, imap_folder="Replies")
    await add_lead(clean_db, email="ada@client.example")
    first = mail.reply(sender="ada@client.example", to=imap_user, body="First", message_id="<a1@x>")
    dovecot.append(imap_user, first, folder="Replies")
    assert dict((await poll_round(clean_db, gateway, box.id, policy(settings))).taken) == {
        "reply": 1
    }
    before = await imap_state(clean_db, box.id)

    # The folder is deleted and made again (a restore, a migration): a new UIDVALIDITY, and
    # UIDs start over at 1. In it: the old reply again, a message from long ago, and a new one.
    dovecot.command(imap_user, "DELETE", "Replies")
    dovecot.command(imap_user, "CREATE", "Replies")
    old = mail.reply(sender="ada@client.example", to=imap_user, body="Old", message_id="<old@x>")
    dovecot.append(imap_user, old, folder="Replies", date=utcnow() - timedelta(days=40))
    dovecot.append(imap_user, first, folder="Replies")
    new = mail.reply(sender="ada@client.example", to=imap_user, body="New", message_id="<new@x>")
    dovecot.append(imap_user, new, folder="Replies")

    outcome = await poll_round(clean_db, gateway, box.id, policy(settings))

    assert dict(outcome.taken) == {"duplicate": 1, "reply": 1}
    assert [m.provider_message_id for m in await inbound(clean_db)] == ["<a1@x>", "<new@x>"]
    after = await imap_state(clean_db, box.id)
    assert after.uidvalidity != before.uidvalidity
    assert after.last_uid == 3


async def test_a_large_backlog_is_read_in_batches(
    clean_db: Database, settings: Settings, dovecot: Dovecot, imap_user: str
) -> None:
    box = await add_mailbox(clean_db, settings, dovecot, imap_user)
    for i in range(5):
        dovecot.append(imap_user, mail.reply(sender=f"p{i}@else.example", to=imap_user, body="hi"))
    rounds = [await poll_round(clean_db, RecordingGateway(), box.id, policy(settings, batch=2))]
    while rounds[-1].more:
        rounds.append(await poll_round(clean_db, RecordingGateway(), box.id, policy(settings, 2)))
    assert [sum(r.taken.values()) for r in rounds] == [2, 2, 1]
    assert len(await inbound(clean_db)) == 5


async def test_a_refused_login_or_a_dead_server_is_recorded_for_ops(
    clean_db: Database, settings: Settings, dovecot: Dovecot, imap_user: str
) -> None:
    box = await add_mailbox(clean_db, settings, dovecot, imap_user, imap_password="wrong")
    outcome = await poll_round(clean_db, RecordingGateway(), box.id, policy(settings))
    assert outcome.active and outcome.error is not None
    assert "refused the login" in outcome.error and "wrong" not in outcome.error
    state = await imap_state(clean_db, box.id)
    assert state.last_error is not None and "refused the login" in state.last_error
    async with clean_db.session() as session:
        [problem] = await imap_problems(session)
    assert (problem.mailbox_id, problem.address) == (box.id, imap_user)

    # The password is fixed: the next round reads, and the error is cleared.
    async with clean_db.session() as session:
        row = await session.get(Mailbox, box.id)
        assert row is not None
        row.config = seal(
            {**row.config, "imap_password": dovecot.password},
            settings.secret_key.get_secret_value(),
        )
        await session.commit()
    outcome = await poll_round(clean_db, RecordingGateway(), box.id, policy(settings))
    assert outcome.error is None
    assert (await imap_state(clean_db, box.id)).last_error is None

    closed = await add_mailbox(clean_db, settings, dovecot, imap_user, imap_port=_closed_port())
    outcome = await poll_round(clean_db, RecordingGateway(), closed.id, policy(settings))
    assert outcome.error is not None and "cannot reach" in outcome.error


async def test_a_disabled_mailbox_or_one_without_imap_ends_its_poller(
    clean_db: Database, settings: Settings, dovecot: Dovecot, imap_user: str
) -> None:
    box = await add_mailbox(clean_db, settings, dovecot, imap_user)
    async with clean_db.session() as session:
        row = await session.get(Mailbox, box.id)
        assert row is not None
        row.state = "disabled"
        await session.commit()
    outcome = await poll_round(clean_db, RecordingGateway(), box.id, policy(settings))
    assert (outcome.active, outcome.reason) == (False, "mailbox disabled")
    plain = await add_mailbox(clean_db, settings, dovecot, imap_user, imap_host="")
    outcome = await poll_round(clean_db, RecordingGateway(), plain.id, policy(settings))
    assert (outcome.active, outcome.reason) == (False, "mailbox has no IMAP settings")
    outcome = await poll_round(clean_db, RecordingGateway(), uuid.uuid4(), policy(settings))
    assert (outcome.active, outcome.reason) == (False, "mailbox deleted")


def _closed_port() -> int:
    return free_port()
