"""The send step: ONE activity that never sends twice.

1. In one transaction, with the lead row locked: refuse if the lead is in a final state or
   suppressed, render the templates, and claim the idempotency key (a Message in `sending`).
2. Call the provider, outside any transaction.
3. In one transaction: the Message becomes `sent`, the EventLog gets `EMAIL_SENT` (or the
   channel's event) and the lead moves NEW -> OUTREACHED.

A retry that finds the key `sent` returns what happened. A retry that finds it still `sending`
cannot know whether the provider accepted the message (the worker died between 2 and 3), so it
fails non-retryably for ops to decide instead of risking a double send.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.enrollment import record_enrollment_end
from activities.pacing import next_slot, pending_replies
from adapters.channels.base import (
    OutboundContent,
    OutcomeUnknownChannelError,
    OutreachChannel,
    PermanentChannelError,
    Recipient,
    SendResult,
    TransientChannelError,
    WhatsAppTemplate,
)
from adapters.channels.email import message_id_for, reply_subject
from adapters.channels.registry import ChannelRouter
from config.settings import MailboxHealthSettings
from models.db import Database
from models.enums import (
    FINAL_LEAD_STATUSES,
    SENT_EVENT_BY_CHANNEL,
    ChannelType,
    DeliveryStatus,
    Direction,
    EventType,
    LeadStatus,
)
from models.mailboxes import Mailbox
from models.tables import Channel, Enrollment, Lead, Message, Suppression, utcnow
from sequences.templating import TemplateError, render
from services.channels.queries import channel_row_for, suppression_for
from services.clock import activity_now
from services.events import add_event
from services.leads.context import template_context
from services.leads.queries import lock_lead
from services.mailboxes.health import REJECTED_AT_SEND, guard_mailboxes
from services.mailboxes.sending import MailboxConfigError, MailboxSenders, RaceLost
from workflows.contracts import SEND_STEP_ACTIVITY, SendStepInput, SendStepResult
from workflows.errors import (
    MAILBOX_CONFIG_ERROR,
    RECIPIENT_OPTED_OUT,
    SEND_OUTCOME_UNKNOWN,
    TEMPLATE_ERROR,
)
from workflows.spec import SendStep
from workflows.timing import zone


@dataclass(frozen=True)
class _Claim:
    message_id: uuid.UUID
    # The step as it goes out: a Message step resolved to the channel picked for this lead.
    step: SendStep
    channel: OutreachChannel
    recipient: Recipient
    content: OutboundContent
    # The mailbox it goes out from, or None for the channel's own sender.
    mailbox: Mailbox | None = None


UnsubscribeTokens = Callable[[str], str]


class SendActivities:
    def __init__(
        self,
        db: Database,
        channels: ChannelRouter,
        unsubscribe_token: UnsubscribeTokens | None = None,
        mailboxes: MailboxSenders | None = None,
        mailbox_health: MailboxHealthSettings | None = None,
    ) -> None:
        self._db = db
        self._channels = channels
        # Which mailbox each send goes out from, and its adapter (services/mailboxes).
        self._mailboxes = mailboxes or MailboxSenders()
        # The thresholds a mailbox is paused at when a recipient is refused at send time.
        self._mailbox_health = mailbox_health or MailboxHealthSettings()
        # lead id -> the token of its one-click unsubscribe link (RFC 8058 headers on email).
        self._unsubscribe_token = unsubscribe_token

    @activity.defn(name=SEND_STEP_ACTIVITY)
    async def send_step(self, inp: SendStepInput) -> SendStepResult:
        # One snapshot for the whole send: a configuration change swaps the router, never the
        # adapter under a send already under way.
        channels = await self._channels.current()
        for attempt in range(CHOICE_ATTEMPTS):
            try:
                final = attempt == CHOICE_ATTEMPTS - 1
                claim = await self._claim(inp, channels, _clock(), final=final)
                break
            except RaceLost:
                # Rolled back: the mailbox ranked free was taken meanwhile; choose again.
                continue
        if isinstance(claim, SendStepResult):
            return claim
        if claim.mailbox is not None:
            await self._mailboxes.keep_gap(claim.mailbox, _clock)
        try:
            result = await claim.channel.send(claim.recipient, claim.content)
        except TransientChannelError as exc:
            # The provider did not take the message: release the claim so a retry can send.
            await self._release(claim.message_id)
            raise ApplicationError(
                str(exc), type=exc.error_type, next_retry_delay=exc.retry_after
            ) from exc
        except OutcomeUnknownChannelError as exc:
            # Keep the claim in `sending`: ops check the provider, then retry (which releases
            # the claim) or skip. Never resent automatically.
            raise ApplicationError(
                f"{exc.error_type}: {exc}", type=SEND_OUTCOME_UNKNOWN, non_retryable=True
            ) from exc
        except PermanentChannelError as exc:
            await self._fail(inp, claim.message_id, exc)
            if exc.error_type == RECIPIENT_OPTED_OUT:
                return await self._opted_out(inp, claim.recipient)
            # The provider's own type (SendGridBadRequest, ...) reaches ops with the dead letter.
            raise ApplicationError(str(exc), type=exc.error_type, non_retryable=True) from exc
        return await self._record(inp, claim, result, activity_now())

    async def _claim(
        self, inp: SendStepInput, channels: ChannelRouter, now: datetime, *, final: bool = True
    ) -> _Claim | SendStepResult:
        lead_id = uuid.UUID(inp.lead_id)
        key = inp.idempotency_key
        async with self._db.session() as session:
            lead = await lock_lead(session, lead_id)
            if lead is None:
                return SendStepResult(status="skipped", lead_status="NEW", reason="lead deleted")
            existing = (
                await session.exec(select(Message).where(Message.idempotency_key == key))
            ).first()
            if existing is not None:
                if existing.delivery_status == DeliveryStatus.SENDING:
                    raise ApplicationError(
                        f"send {key} was claimed but never confirmed: the provider may or may "
                        "not have accepted it, so it is not resent automatically",
                        type=SEND_OUTCOME_UNKNOWN,
                        non_retryable=True,
                    )
                return SendStepResult(
                    status="already_sent",
                    lead_status=lead.status,
                    message_id=str(existing.id),
                    provider_message_id=existing.provider_message_id,
                    channel=existing.details.get("channel"),
                )
            recipient = Recipient(
                lead_id=inp.lead_id,
                name=lead.name,
                email=lead.email,
                phone=lead.phone,
                timezone=lead.timezone,
            )
            step = await self._route(session, channels, inp.step, lead, recipient)
            skip = await self._skip_reason(
                session, lead, step, per_channel=bool(inp.step.alternatives)
            )
            channel = channels.for_type(step.channel)
            if skip is None and not channel.validate_recipient(recipient):
                skip = f"lead has no valid address for {step.channel}"
            if skip is not None:
                add_event(session, lead_id, EventType.SEND_SKIPPED, step=inp.step_no, reason=skip)
                await session.commit()
                return SendStepResult(
                    status="skipped",
                    lead_status=lead.status,
                    reason=skip,
                )
            pending = await pending_replies(session, lead_id)
            if pending:
                # A reply is recorded but the sequence has not handled it: it decides first.
                return SendStepResult(
                    status="reply_pending", lead_status=lead.status, pending_replies=pending
                )
            choice = await self._mailboxes.choose(
                session, campaign_id=inp.campaign_id, channel_type=step.channel, lead=lead,
                key=key, now=now, final=final,
            )  # fmt: skip
            mailbox = choice.mailbox if choice is not None else None
            if choice is None:
                # No mailbox serves it: the channel's own sender, cap and window.
                channel_row = await channel_row_for(session, step.channel, channel.provider)
                retry_at = await next_slot(
                    session, channel_row, zone(lead.timezone, inp.campaign_timezone), now, key
                )
                reason = "channel cap or send window"
            else:
                retry_at, reason = choice.at, choice.reason
                if retry_at is None and mailbox is not None:
                    try:
                        channel = self._mailboxes.sender(mailbox, channel)
                    except MailboxConfigError as exc:
                        raise ApplicationError(
                            str(exc), type=MAILBOX_CONFIG_ERROR, non_retryable=True
                        ) from exc
                    channel_row = await channel_row_for(session, step.channel, channel.provider)
            if retry_at is not None:
                add_event(
                    session,
                    lead_id,
                    EventType.SEND_DEFERRED,
                    step=inp.step_no,
                    channel=step.channel,
                    until=retry_at.isoformat(),
                    **_mailbox_details(mailbox, reason=reason),
                )
                await session.commit()
                return SendStepResult(
                    status="deferred",
                    lead_status=lead.status,
                    retry_at=retry_at,
                    reason=f"mailbox {mailbox.name}: {reason}" if mailbox else reason,
                )
            override = inp.content_override
            # An approved AI draft is sent exactly as approved: never re-rendered.
            subject, body = (
                (override.subject, override.body) if override else self._render(inp, step, lead)
            )
            # Threading is an email thing: a Message step that goes out by text ignores it.
            thread_key = inp.thread_key if step.channel == "EMAIL" else None
            if step.channel == "EMAIL" and step.thread and thread_key is None:
                # The sequence knows no root (ops skipped a first email whose outcome was
                # unknown): the enrollment's first email, in whatever state, roots the thread.
                thread_key = await _first_email_key(session, inp.enrollment_id)
            if subject is None and thread_key:
                subject = await _thread_subject(session, thread_key)
            message = Message(
                lead_id=lead_id,
                channel_id=channel_row.id,
                mailbox_id=mailbox.id if mailbox else None,
                enrollment_id=uuid.UUID(inp.enrollment_id),
                step=inp.step_no,
                direction=Direction.OUTBOUND,
                subject=subject,
                content=body,
                delivery_status=DeliveryStatus.SENDING,
                idempotency_key=key,
                details={"channel": step.channel}
                | ({"mailbox": mailbox.name} if mailbox else {})
                | ({"arm": inp.variant.name} if inp.variant else {})
                | ({"content": override.source or "override"} if override else {}),
                created_at=now,
            )
            session.add(message)
            await session.commit()
        unsubscribe_token = None
        if step.channel == "EMAIL" and self._unsubscribe_token is not None:
            unsubscribe_token = self._unsubscribe_token(inp.lead_id)
        content_sid = step.content_sid
        content = OutboundContent(
            body=body,
            subject=subject,
            idempotency_key=key,
            step=inp.step_no,
            in_reply_to=message_id_for(thread_key) if thread_key else None,
            unsubscribe_token=unsubscribe_token,
            whatsapp_template=WhatsAppTemplate(content_sid) if content_sid else None,
        )
        return _Claim(
            message.id,
            step,
            channel,
            recipient,
            content,
            mailbox,
        )

    async def _route(
        self,
        session: AsyncSession,
        channels: ChannelRouter,
        step: SendStep,
        lead: Lead,
        recipient: Recipient,
    ) -> SendStep:
        """A Message step goes out on the lead's preferred channel when it has a body for it
        and the lead can receive it there (an address, not suppressed), else on its default."""
        preferred = lead.preferred_channel
        if preferred is None or preferred == step.channel or preferred not in step.channels:
            return step
        there = channels.for_type(preferred)
        if not there.validate_recipient(recipient):
            return step
        if there.provider == "outbox" != channels.for_type(step.channel).provider:
            # No provider is configured for it (the dev outbox): a message "sent" there would
            # never reach the lead, while the default channel really sends.
            return step
        if await suppression_for(session, *_address(preferred, lead)) is not None:
            return step
        return step.on(preferred)

    async def _skip_reason(
        self, session: AsyncSession, lead: Lead, step: SendStep, *, per_channel: bool
    ) -> str | None:
        if lead.status in FINAL_LEAD_STATUSES:
            return f"lead is {lead.status}"
        # A single-channel step refuses a lead with any suppressed address, as it always did;
        # a Message step only asks about the address of the channel it goes out on.
        email, phone = _address(step.channel, lead) if per_channel else (lead.email, lead.phone)
        suppressed = await suppression_for(session, email, phone)
        if suppressed is not None:
            return f"suppressed: {suppressed.reason}"
        return None

    def _render(self, inp: SendStepInput, step: SendStep, lead: Lead) -> tuple[str | None, str]:
        context = template_context(lead)
        source_subject = step.subject
        source_body = step.body
        if inp.variant is not None:
            source_subject = inp.variant.subject or source_subject
            source_body = inp.variant.body
        try:
            subject = render(source_subject, context) if source_subject else None
            body = render(source_body, context)
        except TemplateError as exc:
            raise ApplicationError(
                f"step {inp.step_no} ({inp.step.id}): {exc}",
                type=TEMPLATE_ERROR,
                non_retryable=True,
            ) from exc
        return subject, body

    async def _release(self, message_id: uuid.UUID) -> None:
        async with self._db.session() as session:
            await session.exec(
                delete(Message).where(
                    Message.id == message_id,  # type: ignore[arg-type]
                    Message.delivery_status == DeliveryStatus.SENDING,  # type: ignore[arg-type]
                )
            )
            await session.commit()

    async def _opted_out(self, inp: SendStepInput, recipient: Recipient) -> SendStepResult:
        """The carrier says this number opted out (Twilio 21610): suppress it, stop the lead."""
        lead_id = uuid.UUID(inp.lead_id)
        async with self._db.session() as session:
            lead = await lock_lead(session, lead_id)
            assert lead is not None
            if recipient.phone and await suppression_for(session, None, recipient.phone) is None:
                session.add(Suppression(phone=recipient.phone, reason="opted out at the carrier"))
            add_event(session, lead_id, EventType.UNSUBSCRIBED, source="provider", step=inp.step_no)
            if lead.status not in (LeadStatus.CONVERTED, LeadStatus.UNSUBSCRIBED):
                add_event(
                    session, lead_id, EventType.STATUS_CHANGED, old=lead.status, new="UNSUBSCRIBED"
                )
                lead.status = LeadStatus.UNSUBSCRIBED
            await session.commit()
            return SendStepResult(
                status="skipped", lead_status=lead.status, reason="recipient opted out"
            )

    async def _fail(
        self, inp: SendStepInput, message_id: uuid.UUID, exc: PermanentChannelError
    ) -> None:
        """Keep the failed attempt on record; the workflow dead-letters the step. A recipient
        refused at send time is a hard bounce of the mailbox it went out from: check it."""
        async with self._db.session() as session:
            message = await session.get(Message, message_id)
            mailbox_id = message.mailbox_id if message is not None else None
            if message is not None:
                message.delivery_status = DeliveryStatus.FAILED
                message.idempotency_key = f"{inp.idempotency_key}:failed-{message.id}"
                message.details = {
                    **message.details,
                    "error_type": exc.error_type,
                    "error": str(exc)[:500],
                }
            await session.commit()
            if mailbox_id is not None and exc.error_type in REJECTED_AT_SEND:
                try:
                    await guard_mailboxes(session, [mailbox_id], self._mailbox_health)
                except Exception:  # the failure is recorded; the step's outcome must not change
                    activity.logger.exception("checking mailbox %s's health failed", mailbox_id)

    async def _record(
        self, inp: SendStepInput, claim: _Claim, result: SendResult, now: datetime
    ) -> SendStepResult:
        lead_id = uuid.UUID(inp.lead_id)
        async with self._db.session() as session:
            lead = await lock_lead(session, lead_id)
            assert lead is not None  # the claim references it; leads are not deleted
            message = await session.get(Message, claim.message_id)
            assert message is not None
            if message.delivery_status == DeliveryStatus.SENDING:
                # A delivery event can beat this commit: never move it back to `sent`.
                message.delivery_status = DeliveryStatus.SENT
            message.provider_message_id = result.provider_message_id
            message.sent_at = now
            add_event(
                session,
                lead_id,
                SENT_EVENT_BY_CHANNEL[ChannelType(claim.step.channel)],
                step=inp.step_no,
                step_id=inp.step.id,
                channel=claim.step.channel,
                message_id=str(message.id),
                provider=result.provider,
                provider_message_id=result.provider_message_id,
                campaign_id=inp.campaign_id,
                **_mailbox_details(claim.mailbox),
            )
            if lead.status == LeadStatus.NEW:
                lead.status = LeadStatus.OUTREACHED
                lead.updated_at = utcnow()
                add_event(session, lead_id, EventType.STATUS_CHANGED, old="NEW", new="OUTREACHED")
            await session.exec(
                update(Enrollment)
                .where(Enrollment.id == uuid.UUID(inp.enrollment_id))  # type: ignore[arg-type]
                .values(
                    current_step=inp.step_no,
                    updated_at=utcnow(),
                    **({"arm": inp.variant.name} if inp.variant else {}),
                )
            )
            if inp.finish is not None:
                # The sequence's last step: its end goes with the message, one commit for both.
                await record_enrollment_end(session, inp.finish)
            await session.commit()
            return SendStepResult(
                status="sent",
                finished=inp.finish is not None,
                lead_status=lead.status,
                message_id=str(message.id),
                provider_message_id=result.provider_message_id,
                channel=claim.step.channel,
            )


# A send whose mailbox was taken between the snapshot and its lock chooses again this often
# at most; the last time it takes what its lock gives (a deferral if need be).
CHOICE_ATTEMPTS = 3


def _clock() -> datetime:
    """The time a send is claimed and made at: the wall clock in production (later than the
    attempt's scheduled time by the time it waited for a worker: caps and gaps count what the
    provider sees), the skipped-ahead clock under the time-skipping test server (always the
    later of the two there)."""
    return max(activity_now(), datetime.now(UTC))


def _mailbox_details(mailbox: Mailbox | None, **more: Any) -> dict[str, Any]:
    """What an event says of the mailbox a send goes (or waits to go) out from."""
    if mailbox is None:
        return {}
    return {"mailbox_id": str(mailbox.id), "mailbox": mailbox.name, **more}


def _address(channel: str, lead: Lead) -> tuple[str | None, str | None]:
    """(email, phone) as far as `channel` uses them: suppression is per address."""
    return (lead.email, None) if channel == "EMAIL" else (None, lead.phone)


async def _first_email_key(session: AsyncSession, enrollment_id: str) -> str | None:
    """The idempotency key of the enrollment's first outbound email with a subject."""
    return (
        await session.exec(
            select(Message.idempotency_key)
            .join(Channel, col(Channel.id) == col(Message.channel_id))
            .where(
                Message.enrollment_id == uuid.UUID(enrollment_id),
                Message.direction == Direction.OUTBOUND,
                Channel.type == ChannelType.EMAIL,
                col(Message.subject).is_not(None),
            )
            .order_by(col(Message.created_at))
            .limit(1)
        )
    ).first()


async def _thread_subject(session: AsyncSession, thread_key: str) -> str | None:
    """A follow-up without its own subject answers in the thread: "Re: <first subject>"."""
    root = (
        await session.exec(select(Message.subject).where(Message.idempotency_key == thread_key))
    ).first()
    if not root:
        return None
    return reply_subject(root)
