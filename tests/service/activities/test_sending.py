"""The send activity: claim, send, record — never twice, never after a stop."""

from __future__ import annotations

import io
import uuid

import pytest
from sqlalchemy import update
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.sending import SendActivities
from adapters.channels.base import (
    OutboundContent,
    OutcomeUnknownChannelError,
    Recipient,
    SendResult,
    TransientChannelError,
    WhatsAppTemplate,
)
from adapters.channels.email import message_id_for
from adapters.channels.outbox import OutboxChannel
from adapters.channels.registry import ChannelRouter
from models.db import Database
from models.enums import DeliveryStatus, EventType, LeadStatus
from models.tables import Message, Suppression
from tests.helpers import enrolled_lead, events, lead_row, outbound
from workflows.contracts import SendStepInput
from workflows.policies import SEND_OUTCOME_UNKNOWN
from workflows.spec import SendStep

STEP = SendStep(id="intro", channel="EMAIL", subject="Hi {{ lead.first_name }}", body="Hello")


async def _input(db: Database, **lead_fields: object) -> SendStepInput:
    lead, enrollment = await enrolled_lead(db, **lead_fields)
    return SendStepInput(
        lead_id=str(lead.id),
        enrollment_id=str(enrollment.id),
        campaign_id=str(enrollment.campaign_id),
        step_no=1,
        step=STEP,
    )


class CountingChannel(OutboxChannel):
    def __init__(self, fail_with: Exception | None = None, channel_type: str = "EMAIL") -> None:
        super().__init__(channel_type, io.StringIO())
        self.calls = 0
        self.fail_with = fail_with
        self.contents: list[OutboundContent] = []

    async def send(self, lead: Recipient, content: OutboundContent) -> SendResult:
        self.calls += 1
        self.contents.append(content)
        if self.fail_with is not None:
            raise self.fail_with
        return await super().send(lead, content)


def _activities(db: Database, channel: CountingChannel) -> SendActivities:
    return SendActivities(db, ChannelRouter({"EMAIL": channel}))


async def test_a_retried_send_is_not_sent_again(clean_db: Database) -> None:
    channel = CountingChannel()
    acts = _activities(clean_db, channel)
    inp = await _input(clean_db, name="Ada Lovelace")
    env = ActivityEnvironment()

    first = await env.run(acts.send_step, inp)
    second = await env.run(acts.send_step, inp)

    assert first.status == "sent"
    assert second.status == "already_sent"
    assert second.message_id == first.message_id
    assert channel.calls == 1
    lead_id = uuid.UUID(inp.lead_id)
    [message] = await outbound(clean_db, lead_id)
    assert message.subject == "Hi Ada"
    assert message.idempotency_key == inp.idempotency_key
    assert len(await events(clean_db, lead_id, EventType.EMAIL_SENT)) == 1
    assert (await lead_row(clean_db, lead_id)).status == LeadStatus.OUTREACHED


async def test_an_unconfirmed_claim_goes_to_ops_instead_of_resending(clean_db: Database) -> None:
    """A worker that died between the provider call and the commit leaves a `sending` claim."""
    channel = CountingChannel()
    inp = await _input(clean_db)
    async with clean_db.session() as session:
        session.add(
            Message(
                lead_id=uuid.UUID(inp.lead_id),
                direction="OUTBOUND",
                content="Hello",
                delivery_status=DeliveryStatus.SENDING,
                idempotency_key=inp.idempotency_key,
            )
        )
        await session.commit()

    with pytest.raises(ApplicationError) as info:
        await ActivityEnvironment().run(_activities(clean_db, channel).send_step, inp)

    assert info.value.type == SEND_OUTCOME_UNKNOWN
    assert info.value.non_retryable
    assert channel.calls == 0


async def test_a_transient_failure_releases_the_claim_for_the_retry(clean_db: Database) -> None:
    inp = await _input(clean_db)
    failing = CountingChannel(fail_with=TransientChannelError("429", error_type="RateLimited"))
    with pytest.raises(ApplicationError) as info:
        await ActivityEnvironment().run(_activities(clean_db, failing).send_step, inp)
    assert info.value.type == "RateLimited"
    assert not info.value.non_retryable
    assert await outbound(clean_db, uuid.UUID(inp.lead_id)) == []

    retry = await ActivityEnvironment().run(_activities(clean_db, CountingChannel()).send_step, inp)
    assert retry.status == "sent"


@pytest.mark.parametrize("status", [LeadStatus.REPLIED, LeadStatus.UNSUBSCRIBED])
async def test_no_send_to_a_lead_that_left_the_funnel(clean_db: Database, status: str) -> None:
    channel = CountingChannel()
    inp = await _input(clean_db, status=status)
    res = await ActivityEnvironment().run(_activities(clean_db, channel).send_step, inp)
    assert res.status == "skipped"
    assert res.reason == f"lead is {status}"
    assert channel.calls == 0
    assert len(await events(clean_db, uuid.UUID(inp.lead_id), EventType.SEND_SKIPPED)) == 1


async def test_no_send_to_a_suppressed_address(clean_db: Database) -> None:
    channel = CountingChannel()
    inp = await _input(clean_db, email="Gone@Example.com")
    async with clean_db.session() as session:
        session.add(Suppression(email="gone@example.com", reason="unsubscribed"))
        await session.commit()
    res = await ActivityEnvironment().run(_activities(clean_db, channel).send_step, inp)
    assert res.status == "skipped"
    assert res.reason == "suppressed: unsubscribed"
    assert channel.calls == 0


async def test_a_template_error_is_permanent_and_names_the_step(clean_db: Database) -> None:
    inp = await _input(clean_db)
    bad = inp.model_copy(update={"step": STEP.model_copy(update={"body": "{{ lead.nickname }}"})})
    with pytest.raises(ApplicationError) as info:
        await ActivityEnvironment().run(_activities(clean_db, CountingChannel()).send_step, bad)
    assert info.value.non_retryable
    assert "step 1 (intro)" in str(info.value)
    assert await outbound(clean_db, uuid.UUID(inp.lead_id)) == []


async def test_event_log_is_append_only(clean_db: Database) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    inp = await _input(clean_db)
    await ActivityEnvironment().run(_activities(clean_db, CountingChannel()).send_step, inp)
    with pytest.raises(DBAPIError, match="append-only"):
        async with clean_db.engine.begin() as conn:
            await conn.execute(text("UPDATE event_log SET event_type = 'X'"))
    with pytest.raises(DBAPIError, match="append-only"):
        async with clean_db.engine.begin() as conn:
            await conn.execute(text("DELETE FROM event_log"))


async def test_a_timeout_after_sending_keeps_the_claim_and_goes_to_ops(clean_db: Database) -> None:
    inp = await _input(clean_db)
    timing_out = CountingChannel(
        fail_with=OutcomeUnknownChannelError("no answer", error_type="SendGridTimeout")
    )
    with pytest.raises(ApplicationError) as info:
        await ActivityEnvironment().run(_activities(clean_db, timing_out).send_step, inp)
    assert info.value.type == SEND_OUTCOME_UNKNOWN
    assert info.value.non_retryable
    [claim] = await outbound(clean_db, uuid.UUID(inp.lead_id))
    assert claim.delivery_status == DeliveryStatus.SENDING  # a retry would not resend
    with pytest.raises(ApplicationError):
        await ActivityEnvironment().run(_activities(clean_db, CountingChannel()).send_step, inp)


async def test_instructions_reach_the_channel_as_fields_not_headers(clean_db: Database) -> None:
    """The unsubscribe token (email) and the WhatsApp template are typed fields of the content."""
    email = CountingChannel()
    acts = SendActivities(clean_db, ChannelRouter({"EMAIL": email}), lambda lead: f"tok-{lead}")
    inp = await _input(clean_db)
    await ActivityEnvironment().run(acts.send_step, inp)
    [sent] = email.contents
    assert sent.unsubscribe_token == f"tok-{inp.lead_id}"
    assert sent.whatsapp_template is None
    assert sent.headers == {}

    whatsapp = CountingChannel(channel_type="WHATSAPP")
    acts = SendActivities(clean_db, ChannelRouter({"WHATSAPP": whatsapp}), lambda lead: "tok")
    step = SendStep(id="wa", channel="WHATSAPP", body="Hi", content_sid="HX" + "c" * 32)
    inp = (await _input(clean_db, phone="+14155552671")).model_copy(update={"step": step})
    await ActivityEnvironment().run(acts.send_step, inp)
    [sent] = whatsapp.contents
    assert sent.whatsapp_template == WhatsAppTemplate(content_sid="HX" + "c" * 32)
    assert sent.unsubscribe_token is None  # email only
    assert sent.headers == {}


async def test_a_follow_up_finds_its_thread_when_ops_skipped_an_unknown_first_email(
    clean_db: Database,
) -> None:
    """Ops skipped the first email ("the provider has it"): the workflow never learnt the thread
    root, so the threaded follow-up arrives with no thread key and no subject of its own."""
    first = await _input(clean_db, name="Ada Lovelace")
    lost = CountingChannel(fail_with=OutcomeUnknownChannelError("reset", error_type="Reset"))
    with pytest.raises(ApplicationError):
        await ActivityEnvironment().run(_activities(clean_db, lost).send_step, first)

    channel = CountingChannel()
    bump = SendStep(id="bump", channel="EMAIL", body="Just bumping this", thread=True)
    follow_up = first.model_copy(update={"step_no": 3, "step": bump, "thread_key": None})
    result = await ActivityEnvironment().run(_activities(clean_db, channel).send_step, follow_up)

    assert result.status == "sent"
    [content] = channel.contents
    assert content.subject == "Re: Hi Ada"
    assert content.in_reply_to == message_id_for(first.idempotency_key)


class DeliveredBeforeRecorded(CountingChannel):
    """The provider is quick: its delivery event is applied before the send is recorded."""

    def __init__(self, db: Database) -> None:
        super().__init__()
        self.db = db

    async def send(self, lead: Recipient, content: OutboundContent) -> SendResult:
        result = await super().send(lead, content)
        async with self.db.session() as session:
            await session.exec(
                update(Message)
                .where(Message.idempotency_key == content.idempotency_key)  # type: ignore[arg-type]
                .values(delivery_status=DeliveryStatus.DELIVERED)
            )
            await session.commit()
        return result


async def test_a_send_recorded_after_its_delivery_event_stays_delivered(
    clean_db: Database,
) -> None:
    inp = await _input(clean_db)
    channel = DeliveredBeforeRecorded(clean_db)
    result = await ActivityEnvironment().run(_activities(clean_db, channel).send_step, inp)
    assert result.status == "sent"
    [message] = await outbound(clean_db, uuid.UUID(inp.lead_id))
    assert message.delivery_status == DeliveryStatus.DELIVERED
    assert message.sent_at is not None


async def test_a_reply_the_sequence_has_not_handled_stops_the_send(clean_db: Database) -> None:
    """Replies recorded but not yet handled come back, oldest first, each with the channel it
    came in on (EMAIL when no channel row is known), and nothing goes out."""
    from datetime import timedelta

    from models.enums import Direction
    from models.tables import Channel, utcnow

    channel = CountingChannel()
    inp = await _input(clean_db, name="Ada Lovelace", phone="+14155550100")
    lead_id = uuid.UUID(inp.lead_id)
    now = utcnow()
    async with clean_db.session() as session:
        whatsapp = Channel(type="WHATSAPP", provider="twilio", name="wa")
        session.add(whatsapp)
        await session.flush()
        replies = [
            Message(lead_id=lead_id, channel_id=None, direction=Direction.INBOUND,
                    content="later", provider_message_id="r-2", created_at=now),
            Message(lead_id=lead_id, channel_id=whatsapp.id, direction=Direction.INBOUND,
                    content="first", provider_message_id="r-1",
                    created_at=now - timedelta(minutes=1)),
            Message(lead_id=lead_id, channel_id=whatsapp.id, direction=Direction.INBOUND,
                    content="handled", provider_message_id="r-0", processed_at=now,
                    created_at=now - timedelta(minutes=2)),
        ]  # fmt: skip
        session.add_all(replies)
        await session.commit()

    result = await ActivityEnvironment().run(_activities(clean_db, channel).send_step, inp)

    assert result.status == "reply_pending"
    assert [(n.message_id, n.channel) for n in result.pending_replies] == [
        ("r-1", "WHATSAPP"),
        ("r-2", "EMAIL"),
    ]
    assert channel.calls == 0
    assert await outbound(clean_db, lead_id) == []
