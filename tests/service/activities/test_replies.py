"""process_reply: classify a recorded reply, apply its effects once, map LLM errors for Temporal."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.replies import ReplyActivities
from adapters.llm.base import (
    OfflineReplyClassifier,
    PermanentLLMError,
    ReplyClassifier,
    TransientLLMError,
)
from adapters.llm.types import Intent, ReplyClassification, ReplyInput
from models.db import Database
from models.enums import DeliveryStatus, Direction, EventType, LeadStatus, TaskStatus
from models.tables import Message, Suppression, Task
from tests.helpers import add_lead, events, lead_row
from workflows.contracts import ProcessReplyInput
from workflows.errors import LLM_RATE_LIMITED, LLM_REFUSAL, REPLY_NOT_FOUND

LAST_OUTBOUND = "Hi Ada, open to a short call next week?"


class ScriptedClassifier:
    """The ReplyClassifier protocol: answers with `result`, or raises it; records each reply."""

    source = "llm"

    def __init__(self, result: ReplyClassification | Exception) -> None:
        self.result = result
        self.calls: list[ReplyInput] = []

    async def classify(self, reply: ReplyInput) -> ReplyClassification:
        self.calls.append(reply)
        if isinstance(self.result, Exception):
            raise self.result
        return self.result


def _llm_says(intent: Intent, confidence: float = 0.92) -> ScriptedClassifier:
    return ScriptedClassifier(
        ReplyClassification(intent=intent, confidence=confidence, reason="scripted", source="llm")
    )


def _activities(db: Database, classifier: ReplyClassifier | None = None) -> ReplyActivities:
    offline = OfflineReplyClassifier()
    return ReplyActivities(db, classifier or offline, offline)


async def _reply(
    db: Database, text: str, *, offline_only: bool = False, **lead_fields: object
) -> ProcessReplyInput:
    lead = await add_lead(db, **lead_fields)
    async with db.session() as session:
        session.add(
            Message(
                lead_id=lead.id,
                direction=Direction.OUTBOUND,
                content=LAST_OUTBOUND,
                delivery_status=DeliveryStatus.SENT,
            )
        )
        await session.flush()  # created_at: the outbound comes first
        reply = Message(
            lead_id=lead.id,
            direction=Direction.INBOUND,
            subject="Re: SalesPad",
            content=text,
            delivery_status=DeliveryStatus.RECEIVED,
            details={"headers": {"X-Mailer": "test"}},
        )
        session.add(reply)
        await session.commit()
    return ProcessReplyInput(
        lead_id=str(lead.id),
        enrollment_id=None,
        db_message_id=str(reply.id),
        offline_only=offline_only,
    )


async def _message(db: Database, inp: ProcessReplyInput) -> Message:
    async with db.session() as session:
        message = await session.get(Message, uuid.UUID(inp.db_message_id))
        assert message is not None
        return message


async def test_an_interested_reply_marks_the_lead_replied_and_notifies_the_owner(
    clean_db: Database,
) -> None:
    inp = await _reply(clean_db, "Sounds great, I am interested in a demo.", owner="grace")
    res = await ActivityEnvironment().run(_activities(clean_db).process_reply, inp)

    assert (res.intent, res.source, res.lead_status) == ("interested", "offline", "REPLIED")
    lead_id = uuid.UUID(inp.lead_id)
    assert (await lead_row(clean_db, lead_id)).status == LeadStatus.REPLIED
    [classified] = await events(clean_db, lead_id, EventType.INTENT_CLASSIFIED)
    assert classified.details["intent"] == "interested"
    assert classified.details["message_id"] == inp.db_message_id
    [notified] = await events(clean_db, lead_id, EventType.OWNER_NOTIFIED)
    assert notified.details["owner"] == "grace"
    message = await _message(clean_db, inp)
    assert message.intent == "interested"
    assert message.processed_at is not None
    assert message.details["classification"]["reason"] == res.reason
    assert message.details["headers"] == {"X-Mailer": "test"}  # kept beside the classification


async def test_the_classifier_sees_the_reply_in_its_thread(clean_db: Database) -> None:
    llm = _llm_says(Intent.QUESTION)
    inp = await _reply(clean_db, "What does it cost?", timezone="Europe/Berlin")
    res = await ActivityEnvironment().run(_activities(clean_db, llm).process_reply, inp)

    [seen] = llm.calls
    assert seen.text == "What does it cost?"
    assert seen.subject == "Re: SalesPad"
    assert seen.headers == {"X-Mailer": "test"}
    assert seen.timezone == "Europe/Berlin"
    assert seen.last_outbound == LAST_OUTBOUND
    assert seen.day_first is None  # no phone: the reply's own text decides "12/8"
    assert (res.intent, res.source, res.lead_timezone) == ("question", "llm", "Europe/Berlin")


async def test_a_north_american_lead_reads_12_8_as_december_8th(clean_db: Database) -> None:
    llm = _llm_says(Intent.QUESTION)
    inp = await _reply(clean_db, "What does it cost?", phone="+14155550123")
    await ActivityEnvironment().run(_activities(clean_db, llm).process_reply, inp)
    [seen] = llm.calls
    assert seen.day_first is False

    text = "I'm on vacation until 12/8 and will reply on my return."
    for phone, back in (("+14155550124", "2026-12-09"), ("+4930123456", "2027-08-13")):
        inp = await _reply(clean_db, text, phone=phone)
        async with clean_db.session() as session:
            message = await session.get(Message, uuid.UUID(inp.db_message_id))
            assert message is not None
            message.sent_at = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
            await session.commit()
        res = await ActivityEnvironment().run(_activities(clean_db).process_reply, inp)
        assert (res.intent, str(res.return_date)) == ("out_of_office", back), phone


async def test_a_handled_reply_is_not_classified_or_applied_twice(clean_db: Database) -> None:
    inp = await _reply(clean_db, "Sounds great, I am interested in a demo.")
    first = await ActivityEnvironment().run(_activities(clean_db).process_reply, inp)

    failing = ScriptedClassifier(PermanentLLMError("must not be asked", error_type=LLM_REFUSAL))
    second = await ActivityEnvironment().run(_activities(clean_db, failing).process_reply, inp)

    assert second == first
    assert failing.calls == []
    lead_id = uuid.UUID(inp.lead_id)
    assert len(await events(clean_db, lead_id, EventType.INTENT_CLASSIFIED)) == 1
    assert len(await events(clean_db, lead_id, EventType.STATUS_CHANGED)) == 1


async def test_an_unsubscribe_reply_suppresses_the_address(clean_db: Database) -> None:
    inp = await _reply(clean_db, "Please remove me from your list", email="Ada@Example.com")
    res = await ActivityEnvironment().run(_activities(clean_db).process_reply, inp)

    assert (res.intent, res.lead_status) == ("unsubscribe", "UNSUBSCRIBED")
    lead_id = uuid.UUID(inp.lead_id)
    assert (await lead_row(clean_db, lead_id)).status == LeadStatus.UNSUBSCRIBED
    async with clean_db.session() as session:
        [row] = (await session.exec(select(Suppression))).all()
    assert (row.email, row.reason) == ("ada@example.com", "reply: unsubscribe")
    [unsubscribed] = await events(clean_db, lead_id, EventType.UNSUBSCRIBED)
    assert unsubscribed.details["source"] == "reply"


async def test_a_reply_nobody_can_classify_goes_to_a_human(clean_db: Database) -> None:
    inp = await _reply(clean_db, "Thanks", owner="grace")
    res = await ActivityEnvironment().run(_activities(clean_db).process_reply, inp)

    assert (res.intent, res.lead_status) == ("other", "REPLIED")
    async with clean_db.session() as session:
        [task] = (await session.exec(select(Task))).all()
    assert (task.kind, task.owner, task.status) == ("review_reply", "grace", TaskStatus.OPEN)
    assert task.lead_id == uuid.UUID(inp.lead_id)


async def test_a_reply_does_not_undo_an_unsubscribe(clean_db: Database) -> None:
    inp = await _reply(clean_db, "Sounds great!", status=LeadStatus.UNSUBSCRIBED)
    llm = _llm_says(Intent.INTERESTED)
    res = await ActivityEnvironment().run(_activities(clean_db, llm).process_reply, inp)

    assert (res.intent, res.lead_status) == ("interested", "UNSUBSCRIBED")
    lead_id = uuid.UUID(inp.lead_id)
    assert await events(clean_db, lead_id, EventType.STATUS_CHANGED) == []


async def test_a_transient_llm_error_is_retried_after_the_providers_delay(
    clean_db: Database,
) -> None:
    inp = await _reply(clean_db, "Sounds great, I am interested in a demo.")
    busy = ScriptedClassifier(
        TransientLLMError("429", error_type=LLM_RATE_LIMITED, retry_after=timedelta(seconds=17))
    )
    with pytest.raises(ApplicationError) as info:
        await ActivityEnvironment().run(_activities(clean_db, busy).process_reply, inp)

    assert info.value.type == LLM_RATE_LIMITED
    assert not info.value.non_retryable
    assert info.value.next_retry_delay == timedelta(seconds=17)
    assert (await _message(clean_db, inp)).processed_at is None  # the retry classifies it
    assert await events(clean_db, uuid.UUID(inp.lead_id), EventType.INTENT_CLASSIFIED) == []


async def test_a_permanent_llm_error_is_not_retried(clean_db: Database) -> None:
    inp = await _reply(clean_db, "Sounds great, I am interested in a demo.")
    refusing = ScriptedClassifier(PermanentLLMError("refused", error_type=LLM_REFUSAL))
    with pytest.raises(ApplicationError) as info:
        await ActivityEnvironment().run(_activities(clean_db, refusing).process_reply, inp)

    assert info.value.type == LLM_REFUSAL
    assert info.value.non_retryable
    assert info.value.next_retry_delay is None
    assert (await lead_row(clean_db, uuid.UUID(inp.lead_id))).status == LeadStatus.NEW


async def test_offline_only_never_asks_the_llm(clean_db: Database) -> None:
    inp = await _reply(clean_db, "unsubscribe", offline_only=True)
    refusing = ScriptedClassifier(PermanentLLMError("refused", error_type=LLM_REFUSAL))
    res = await ActivityEnvironment().run(_activities(clean_db, refusing).process_reply, inp)

    assert refusing.calls == []
    assert (res.intent, res.source, res.lead_status) == ("unsubscribe", "offline", "UNSUBSCRIBED")


@pytest.mark.parametrize("missing", ["message", "lead"])
async def test_a_missing_reply_or_lead_fails_for_good(clean_db: Database, missing: str) -> None:
    inp = await _reply(clean_db, "Sounds great!")
    gone = str(uuid.uuid4())
    inp = inp.model_copy(update={"db_message_id" if missing == "message" else "lead_id": gone})
    llm = _llm_says(Intent.INTERESTED)
    with pytest.raises(ApplicationError) as info:
        await ActivityEnvironment().run(_activities(clean_db, llm).process_reply, inp)

    assert info.value.type == REPLY_NOT_FOUND
    assert info.value.non_retryable
    assert gone in str(info.value)
    assert llm.calls == []


async def test_another_leads_reply_or_an_outbound_message_is_refused(clean_db: Database) -> None:
    inp = await _reply(clean_db, "Sounds great!")
    other = await add_lead(clean_db)
    llm = _llm_says(Intent.INTERESTED)
    wrong = inp.model_copy(update={"lead_id": str(other.id)})
    with pytest.raises(ApplicationError) as info:
        await ActivityEnvironment().run(_activities(clean_db, llm).process_reply, wrong)
    assert info.value.type == REPLY_NOT_FOUND and info.value.non_retryable
    assert "is not a reply from lead" in str(info.value)
    async with clean_db.session() as session:
        message = await session.get(Message, uuid.UUID(inp.db_message_id))
        assert message is not None
        message.direction = Direction.OUTBOUND
        await session.commit()
    with pytest.raises(ApplicationError):
        await ActivityEnvironment().run(_activities(clean_db, llm).process_reply, inp)
    assert llm.calls == []
