"""A Message step goes out on the lead's preferred channel when the lead can receive it there,
else on the step's default channel; the records say which channel was used. Email follow-ups
answer in the enrollment's thread."""

from __future__ import annotations

import io
import uuid

from sqlalchemy import update
from sqlmodel import select
from temporalio.testing import ActivityEnvironment

from activities.sending import SendActivities
from adapters.channels.base import OutboundContent, Recipient, SendResult
from adapters.channels.email import message_id_for
from adapters.channels.outbox import OutboxChannel
from adapters.channels.registry import CHANNEL_TYPES, ChannelRouter
from models.db import Database
from models.enums import DeliveryStatus, EventType
from models.tables import Campaign, Channel, Enrollment, Message, Suppression
from tests.helpers import add_lead, events, outbound
from workflows.contracts import SendStepInput
from workflows.spec import ChannelBody, SendStep

MESSAGE = SendStep(
    id="intro",
    channel="EMAIL",
    subject="Hi {{ lead.first_name }}",
    body="Email for {{ lead.first_name }}",
    thread=True,
    alternatives=(
        ChannelBody(channel="WHATSAPP", body="WhatsApp for {{ lead.first_name }}"),
        ChannelBody(channel="SMS", body="SMS for {{ lead.first_name }}"),
    ),
)
PHONE = "+14155552671"


class Recording(OutboxChannel):
    def __init__(self, channel_type: str) -> None:
        super().__init__(channel_type, io.StringIO())
        self.sent: list[tuple[Recipient, OutboundContent]] = []

    async def send(self, lead: Recipient, content: OutboundContent) -> SendResult:
        self.sent.append((lead, content))
        return await super().send(lead, content)


class Channels:
    def __init__(self) -> None:
        self.by_type = {t: Recording(t) for t in CHANNEL_TYPES}

    def used(self) -> list[str]:
        return [t for t, ch in self.by_type.items() for _ in ch.sent]


async def _input(
    db: Database, step: SendStep = MESSAGE, thread_key: str | None = None, **lead: object
) -> SendStepInput:
    row = await add_lead(db, **lead)
    async with db.session() as session:
        campaign = Campaign(name="t", sequence_name="s", sequence_version="v")
        session.add(campaign)
        await session.flush()
        enrollment = Enrollment(campaign_id=campaign.id, lead_id=row.id, workflow_id="w")
        session.add(enrollment)
        await session.commit()
    return SendStepInput(
        lead_id=str(row.id),
        enrollment_id=str(enrollment.id),
        campaign_id=str(campaign.id),
        step_no=1,
        step=step,
        thread_key=thread_key,
    )


async def _send(
    db: Database, step: SendStep = MESSAGE, thread_key: str | None = None, **lead: object
) -> tuple[SendStepInput, Channels, str | None]:
    inp = await _input(db, step, thread_key, **lead)
    channels = Channels()
    acts = SendActivities(db, ChannelRouter(channels.by_type))
    res = await ActivityEnvironment().run(acts.send_step, inp)
    assert res.status == "sent", res
    return inp, channels, res.channel


async def _channel_type(db: Database, channel_id: uuid.UUID | None) -> str:
    async with db.session() as session:
        row = (await session.exec(select(Channel).where(Channel.id == channel_id))).one()
        return row.type


async def test_a_lead_preferring_whatsapp_with_a_phone_gets_the_whatsapp_body(
    clean_db: Database,
) -> None:
    inp, channels, used = await _send(
        clean_db, thread_key="lead-x:step-0", preferred_channel="WHATSAPP", phone=PHONE
    )

    assert used == "WHATSAPP"
    assert channels.used() == ["WHATSAPP"]
    [(recipient, content)] = channels.by_type["WHATSAPP"].sent
    assert recipient.phone == PHONE
    assert content.body == "WhatsApp for Ada"
    assert content.subject is None
    assert content.in_reply_to is None  # threading is for email only
    assert content.unsubscribe_token is None
    lead_id = uuid.UUID(inp.lead_id)
    [message] = await outbound(clean_db, lead_id)
    assert message.content == "WhatsApp for Ada"
    assert message.details["channel"] == "WHATSAPP"
    assert await _channel_type(clean_db, message.channel_id) == "WHATSAPP"
    [sent] = await events(clean_db, lead_id, EventType.WHATSAPP_SENT)
    assert sent.details["channel"] == "WHATSAPP"
    assert sent.details["step_id"] == "intro"
    assert await events(clean_db, lead_id, EventType.EMAIL_SENT) == []


async def test_without_a_phone_the_default_email_body_goes_out(clean_db: Database) -> None:
    inp, channels, used = await _send(clean_db, preferred_channel="WHATSAPP", phone=None)

    assert used == "EMAIL"
    assert channels.used() == ["EMAIL"]
    [(_, content)] = channels.by_type["EMAIL"].sent
    assert (content.subject, content.body) == ("Hi Ada", "Email for Ada")
    lead_id = uuid.UUID(inp.lead_id)
    [message] = await outbound(clean_db, lead_id)
    assert message.details["channel"] == "EMAIL"
    assert await _channel_type(clean_db, message.channel_id) == "EMAIL"
    assert len(await events(clean_db, lead_id, EventType.EMAIL_SENT)) == 1


async def test_a_suppressed_phone_falls_back_to_email(clean_db: Database) -> None:
    async with clean_db.session() as session:
        session.add(Suppression(phone=PHONE, reason="opted out"))
        await session.commit()

    inp, channels, used = await _send(clean_db, preferred_channel="SMS", phone=PHONE)

    assert used == "EMAIL"
    assert channels.used() == ["EMAIL"]
    [message] = await outbound(clean_db, uuid.UUID(inp.lead_id))
    assert message.content == "Email for Ada"


async def test_sms_preference_uses_the_sms_body(clean_db: Database) -> None:
    _, channels, used = await _send(clean_db, preferred_channel="SMS", phone=PHONE)
    assert used == "SMS"
    [(_, content)] = channels.by_type["SMS"].sent
    assert content.body == "SMS for Ada"


async def test_no_preference_or_no_body_for_it_means_the_default_channel(
    clean_db: Database,
) -> None:
    _, _, used = await _send(clean_db, phone=PHONE)
    assert used == "EMAIL"
    email_and_whatsapp = MESSAGE.model_copy(update={"alternatives": MESSAGE.alternatives[:1]})
    _, channels, used = await _send(
        clean_db, email_and_whatsapp, preferred_channel="SMS", phone="+14155552672"
    )
    assert used == "EMAIL"
    assert channels.used() == ["EMAIL"]


async def test_a_single_channel_step_ignores_the_preference(clean_db: Database) -> None:
    plain = SendStep(id="intro", channel="EMAIL", subject="Hi", body="Plain email")
    _, channels, used = await _send(clean_db, plain, preferred_channel="WHATSAPP", phone=PHONE)
    assert used == "EMAIL"
    assert channels.used() == ["EMAIL"]


async def test_a_channel_without_a_provider_is_not_preferred_over_a_real_one(
    clean_db: Database,
) -> None:
    """WhatsApp still on the dev outbox while email goes through SendGrid: the outbox would
    swallow the message, so the default channel is used."""
    inp = await _input(clean_db, preferred_channel="WHATSAPP", phone=PHONE)
    channels = Channels()
    channels.by_type["EMAIL"].provider = "sendgrid"
    res = await ActivityEnvironment().run(
        SendActivities(clean_db, ChannelRouter(channels.by_type)).send_step, inp
    )
    assert (res.status, res.channel) == ("sent", "EMAIL")
    assert channels.used() == ["EMAIL"]


async def test_a_retry_reports_the_channel_first_used(clean_db: Database) -> None:
    inp, _, _ = await _send(clean_db, preferred_channel="WHATSAPP", phone=PHONE)
    channels = Channels()
    again = await ActivityEnvironment().run(
        SendActivities(clean_db, ChannelRouter(channels.by_type)).send_step, inp
    )
    assert (again.status, again.channel) == ("already_sent", "WHATSAPP")
    assert channels.used() == []


async def test_a_threaded_follow_up_without_a_known_root_answers_the_first_email(
    clean_db: Database,
) -> None:
    """Ops skipped a first email whose outcome was unknown, so the sequence holds no thread
    root: the follow-up still answers the enrollment's first email instead of dead-lettering
    for want of a subject."""
    first = SendStep(id="intro", channel="EMAIL", subject="Hi {{ lead.first_name }}", body="One")
    inp = await _input(clean_db, first)
    channels = Channels()
    acts = SendActivities(clean_db, ChannelRouter(channels.by_type))
    assert (await ActivityEnvironment().run(acts.send_step, inp)).status == "sent"
    async with clean_db.session() as session:
        # As an unknown outcome leaves it: claimed, never confirmed.
        await session.exec(  # type: ignore[call-overload]
            update(Message).values(delivery_status=DeliveryStatus.SENDING)
        )
        await session.commit()

    follow_up = SendStep(id="bump", channel="EMAIL", body="Two", thread=True)
    res = await ActivityEnvironment().run(
        acts.send_step,
        inp.model_copy(update={"step_no": 3, "step": follow_up, "thread_key": None}),
    )

    assert res.status == "sent", res
    [_, (_, content)] = channels.by_type["EMAIL"].sent
    assert content.subject == "Re: Hi Ada"
    assert content.in_reply_to == message_id_for(inp.idempotency_key)
