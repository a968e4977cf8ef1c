"""A campaign built with known outcomes: every figure of its funnel is checked by hand.

The events are written by the same services the engine and the webhooks use (enrollment over
the API, provider reports through apply_events, replies through record_reply and the intent
effects, convert over the API); sends and dead letters carry the details the send and
bookkeeping activities write.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlmodel import select

from models.db import Database
from models.enums import DeliveryStatus, Direction, EventType
from models.tables import Channel, Enrollment, Lead, Message
from services.analytics import queries
from services.events import add_event
from services.leads.queries import lock_lead
from services.replies.delivery_events import ProviderEvent, apply_events
from services.replies.effects import apply_classification, suppress_for_intent
from services.replies.schemas import ReplyCreate
from services.replies.service import record_reply
from tests.fakes.gateway import RecordingGateway
from tests.helpers import api_lead, enrolled_campaign_now

pytestmark = pytest.mark.service

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


class Campaign:
    """Writes one campaign's history the way the engine and the webhooks write it."""

    def __init__(self, db: Database, campaign_id: str, channels: dict[str, uuid.UUID]):
        self.db, self.id, self.channels = db, campaign_id, channels
        self.reports = 0

    async def enrollment(self, lead_id: str) -> Enrollment:
        async with self.db.session() as session:
            row = (
                await session.exec(
                    select(Enrollment).where(
                        Enrollment.lead_id == uuid.UUID(lead_id),
                        Enrollment.campaign_id == uuid.UUID(self.id),
                    )
                )
            ).one()
            return row

    async def send(self, lead_id: str, step: int, channel: str, at: datetime, arm: str) -> Message:
        enrollment = await self.enrollment(lead_id)
        async with self.db.session() as session:
            message = Message(
                lead_id=uuid.UUID(lead_id),
                channel_id=self.channels[channel],
                enrollment_id=enrollment.id,
                step=step,
                direction=Direction.OUTBOUND,
                content="hi",
                delivery_status=DeliveryStatus.SENT,
                sent_at=at,
                idempotency_key=f"lead-{lead_id}:step-{step}",
                provider_message_id=f"pm-{lead_id}-{step}",
                details={"arm": arm},
            )
            session.add(message)
            await session.flush()
            add_event(
                session,
                uuid.UUID(lead_id),
                EventType.EMAIL_SENT if channel == "EMAIL" else EventType.SMS_SENT,
                at=at,
                step=step,
                channel=channel,
                message_id=str(message.id),
                campaign_id=self.id,
            )
            row = await session.get(Enrollment, enrollment.id)
            assert row is not None
            row.current_step, row.arm = step, arm
            await session.commit()
            return message

    async def report(self, message: Message, kind: Any, email: str | None = None) -> None:
        self.reports += 1
        async with self.db.session() as session:
            outcome = await apply_events(
                session,
                None,
                [
                    ProviderEvent(
                        provider="sendgrid",
                        event_id=f"ev-{self.reports}",
                        kind=kind,
                        email=email,
                        idempotency_key=message.idempotency_key,
                        message_status=DeliveryStatus.BOUNCED if kind == "bounced" else None,
                    )
                ],
            )
            assert outcome.applied == 1

    async def reply(self, lead_id: str, intent: str, at: datetime, channel: str = "EMAIL") -> None:
        async with self.db.session() as session:
            message, _ = await record_reply(
                session,
                uuid.UUID(lead_id),
                ReplyCreate(content=f"a reply: {intent}", channel=channel, received_at=at),  # type: ignore[arg-type]
            )
        async with self.db.session() as session:
            lead = await lock_lead(session, uuid.UUID(lead_id))
            inbound = await session.get(Message, message.id)
            assert lead is not None and inbound is not None
            apply_classification(session, lead, inbound, {"intent": intent, "confidence": 0.9})
            await suppress_for_intent(session, lead, intent)
            await session.commit()

    async def dead_letter(self, lead_id: str, step: int) -> None:
        enrollment = await self.enrollment(lead_id)
        async with self.db.session() as session:
            add_event(
                session,
                uuid.UUID(lead_id),
                EventType.DEAD_LETTERED,
                enrollment_id=str(enrollment.id),
                step=step,
                error="SendOutcomeUnknown",
            )
            await session.commit()


async def _channels(db: Database) -> dict[str, uuid.UUID]:
    async with db.session() as session:
        rows = {t: Channel(type=t, provider="outbox", name=t.lower()) for t in ("EMAIL", "SMS")}
        session.add_all(rows.values())
        await session.commit()
        return {t: c.id for t, c in rows.items()}


async def _lead(db: Database, lead_id: str) -> Lead:
    async with db.session() as session:
        lead = await session.get(Lead, uuid.UUID(lead_id))
        assert lead is not None
        return lead


async def test_funnel_equals_a_campaign_built_with_known_outcomes(
    api: httpx.AsyncClient, gateway: RecordingGateway, clean_db: Database
) -> None:
    db = clean_db
    leads = [await api_lead(api, f"l{i}@example.com") for i in range(1, 7)]
    l1, l2, l3, l4, l5, _l6 = leads
    body = await enrolled_campaign_now(api, gateway, db, leads, name="known")
    c = Campaign(db, body["id"], await _channels(db))

    # Another campaign's lead, with its own sends and reply: never counted in this one.
    other_lead = await api_lead(api, "other@example.com")
    other = Campaign(db, (await enrolled_campaign_now(api, gateway, db, [other_lead]))["id"], {})
    other.channels = c.channels
    await other.send(other_lead, 1, "EMAIL", T0, "A")
    await other.reply(other_lead, "interested", T0 + timedelta(minutes=5))

    m1 = await c.send(l1, 1, "EMAIL", T0, "A")
    await c.report(m1, "delivered")
    await c.report(m1, "opened")
    await c.report(m1, "opened")  # opened twice: one lead, two opens
    await c.report(m1, "clicked")
    await c.reply(l1, "interested", T0 + timedelta(hours=1))
    res = await api.post(f"/api/leads/{l1}/convert")
    assert res.status_code == 200, res.text

    m2 = await c.send(l2, 1, "EMAIL", T0, "B")
    await c.report(m2, "delivered")
    m2b = await c.send(l2, 3, "EMAIL", T0 + timedelta(days=2), "B")
    await c.report(m2b, "opened")
    await c.reply(l2, "out_of_office", T0 + timedelta(days=2, hours=2))  # not a reply
    await c.reply(l2, "question", T0 + timedelta(days=2, hours=5))

    m3 = await c.send(l3, 1, "EMAIL", T0, "A")
    await c.report(m3, "bounced", email="l3@example.com")

    await c.send(l4, 1, "EMAIL", T0, "B")
    await c.send(l4, 3, "EMAIL", T0 + timedelta(days=2), "B")
    await c.send(l4, 5, "SMS", T0 + timedelta(days=4), "B")
    await c.reply(l4, "unsubscribe", T0 + timedelta(days=4, hours=3), channel="SMS")

    await c.send(l5, 1, "EMAIL", T0, "A")
    await c.dead_letter(l5, 3)
    # l6: enrolled, nothing sent yet.

    res = await api.get(f"/api/campaigns/{c.id}/funnel")
    assert res.status_code == 200, res.text
    funnel = res.json()
    assert funnel["name"] == "known"
    overall = funnel["overall"]
    assert overall == {
        "enrolled": 6,
        "sent": 5,
        "delivered": 2,
        "opened": 2,
        "clicked": 1,
        "replied": 3,
        "replies_by_intent": {"interested": 1, "out_of_office": 1, "question": 1, "unsubscribe": 1},
        "positive": 2,
        "bounced": 1,
        "unsubscribed": 1,
        "dead_lettered": 1,
        "converted": 1,
        "messages_sent": 8,
        "opens": 3,
        "clicks": 1,
        "reply_rate": 0.6,
        "positive_rate": 0.4,
    }
    # First real replies: l1 1 h, l2 2 days 5 h, l4 4 days 3 h after their first send.
    assert funnel["median_time_to_first_reply_seconds"] == (2 * 24 + 5) * 3600

    steps = {s["step"]: s for s in funnel["steps"]}
    # Step numbers count from 1, as the engine writes them (the demo sends at 1, 3 and 5).
    assert sorted(steps) == [1, 3, 5]
    assert [steps[n]["step_id"] for n in (1, 3, 5)] == ["intro", "bump", "breakup"]
    intro, bump, last = steps[1], steps[3], steps[5]
    assert (intro["sent"], intro["delivered"], intro["opened"], intro["opens"]) == (5, 2, 1, 2)
    assert (intro["clicked"], intro["replied"], intro["positive"]) == (1, 1, 1)
    assert (intro["bounced"], intro["converted"], intro["reply_rate"]) == (1, 1, 0.2)
    assert (bump["sent"], bump["opened"], bump["replied"], bump["positive"]) == (2, 1, 1, 1)
    assert bump["replies_by_intent"] == {"out_of_office": 1, "question": 1}
    assert bump["dead_lettered"] == 1
    assert (last["sent"], last["replied"], last["unsubscribed"]) == (1, 1, 1)
    assert last["replies_by_intent"] == {"unsubscribe": 1}

    channels = {ch["channel"]: ch for ch in funnel["channels"]}
    assert (channels["EMAIL"]["sent"], channels["EMAIL"]["messages_sent"]) == (5, 7)
    assert (channels["EMAIL"]["replied"], channels["SMS"]["replied"]) == (2, 1)
    assert (channels["SMS"]["sent"], channels["SMS"]["unsubscribed"]) == (1, 1)

    arms = {a["arm"]: a for a in funnel["arms"]}
    assert [a["arm"] for a in funnel["arms"]] == ["A", "B"]
    assert (arms["A"]["control"], arms["A"]["sent"], arms["A"]["replied"]) == (True, 3, 1)
    assert (arms["B"]["control"], arms["B"]["sent"], arms["B"]["replied"]) == (False, 2, 2)
    assert arms["A"]["p_value"] is None
    # 1/3 vs 2/2 replied: pooled p = 0.6, z = (1 - 1/3) / sqrt(0.24 * (1/3 + 1/2)) = 1.4907.
    assert arms["B"]["z"] == pytest.approx(1.4907, abs=1e-4)
    assert arms["B"]["p_value"] == pytest.approx(0.13604, abs=1e-4)
    assert arms["B"]["significant"] is False

    # The same figures recounted from the log from scratch.
    async with db.session() as session:
        await queries.rebuild(session, uuid.UUID(c.id))
    again = (await api.get(f"/api/campaigns/{c.id}/funnel")).json()
    assert again == funnel

    csv_res = await api.get(f"/api/campaigns/{c.id}/funnel.csv")
    assert csv_res.status_code == 200
    assert csv_res.headers["content-type"].startswith("text/csv")
    lines = csv_res.text.splitlines()
    assert lines[0].startswith("scope,value,enrolled,sent,delivered")
    assert lines[1].startswith(f"campaign,{c.id},6,5,2,2,1,3,2,1,1,1,1,8,3,1,0.6,0.4")
    assert any(line.startswith("arm,B,") for line in lines)


async def test_an_unknown_campaign_is_a_404(api: httpx.AsyncClient) -> None:
    res = await api.get(f"/api/campaigns/{uuid.uuid4()}/funnel")
    assert res.status_code == 404
    assert "not found" in res.json()["error"]
