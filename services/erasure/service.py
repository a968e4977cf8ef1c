"""Erasure (GDPR Art. 17): a lead's personal data leaves PostgreSQL and Temporal, its counts stay.

Order: read what is needed and end that transaction; stop and delete the lead's workflows
through the gateway (Temporal unreachable: 503 before anything changed); then ONE transaction
removes the person from every table, records ERASED (counts only) and adds a hashed
suppression, so re-importing or re-capturing the address never contacts them again.

Kept: the lead row itself, anonymised (id, status, owner, timestamps: funnels and counters
count leads by id), every event row with its type, time and attribution columns (its details
reduced by salespad_redacted_details, migration 0009), enrollments and funnel counters.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from sqlalchemy import func, text
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import Direction, EventType
from models.tables import Lead, Message, Suppression
from services.erasure.hashing import pii_hash
from services.erasure.schemas import ErasedRows, ErasureResult
from services.errors import NotFound
from services.events import add_event
from services.gateway import LeadWorkflowGateway
from services.leads.queries import lock_lead

ERASED_NAME = "Erased lead"
ERASED_TEXT = "[erased]"
SUPPRESSION_REASON = "erased"
_UUID = "^[0-9a-fA-F-]{36}$"

# Free text anywhere in the database that holds the address (a referral naming it, a
# forwarded reply): matched case-insensitively for the email, exactly for the phone.
_MENTIONS = """(
    (CAST(:email AS text) IS NOT NULL AND strpos(lower({col}), lower(CAST(:email AS text))) > 0)
    OR (CAST(:phone AS text) IS NOT NULL AND strpos({col}, CAST(:phone AS text)) > 0))"""

_UNMATCHED = f"""
SELECT m.id FROM event_log e JOIN message m ON m.id = (e.details->>'message_id')::uuid
 WHERE e.lead_id IS NULL AND e.event_type = 'UNMATCHED_REPLY'
   AND e.details->>'message_id' ~ '{_UUID}' AND m.lead_id IS NULL
   AND (lower(e.details->>'sender') = lower(CAST(:email AS text))
        OR e.details->>'sender' IN (CAST(:phone AS text), 'whatsapp:' || CAST(:phone AS text)))
"""

_EVENTS = f"""
UPDATE event_log SET details = salespad_redacted_details(details)
 WHERE (lead_id = :lead
        OR details->>'message_id' = ANY(CAST(:unmatched AS text[]))
        OR {_MENTIONS.format(col="details::text")})
   AND details IS DISTINCT FROM salespad_redacted_details(details)
"""

_MESSAGES = """
UPDATE message SET subject = NULL, content = :erased, provider_message_id = NULL,
       details = jsonb_strip_nulls(jsonb_build_object('arm', details->'arm', 'redacted', true))
 WHERE lead_id = :lead AND (content <> :erased OR subject IS NOT NULL
                            OR provider_message_id IS NOT NULL OR NOT details ? 'redacted')
"""

# Other leads' messages that quote the address keep their text, the address cut out.
_MENTIONING_MESSAGES = f"""
UPDATE message SET
       content = regexp_replace(content, :pattern, :erased, 'gi'),
       subject = regexp_replace(subject, :pattern, :erased, 'gi')
 WHERE lead_id IS DISTINCT FROM :lead
   AND ({_MENTIONS.format(col="content")} OR {_MENTIONS.format(col="coalesce(subject, '')")})
"""

# A campaign selected by a filter that names the person (a metadata value, say) keeps the
# filter, the address cut out.
_CAMPAIGN_SELECTORS = f"""
UPDATE campaign SET
       selector = regexp_replace(selector::text, :pattern, :erased, 'gi')::jsonb,
       batch_selectors = regexp_replace(batch_selectors::text, :pattern, :erased, 'gi')::jsonb
 WHERE {_MENTIONS.format(col="selector::text")} OR {_MENTIONS.format(col="batch_selectors::text")}
"""

_TASKS = """
UPDATE task SET instructions = :erased, note = NULL,
       status = CASE WHEN status = 'open' THEN 'cancelled' ELSE status END,
       completed_at = CASE WHEN status = 'open' THEN now() ELSE completed_at END
 WHERE lead_id = :lead AND (instructions <> :erased OR note IS NOT NULL)
"""

_ABOUT_LEAD = f"""(payload->'lead'->>'id' = CAST(:lead AS text)
                   OR {_MENTIONS.format(col="payload::text")})"""

_WEBHOOKS_PENDING = f"DELETE FROM webhook_delivery WHERE status = 'pending' AND {_ABOUT_LEAD}"

_WEBHOOKS_SENT = f"""
UPDATE webhook_delivery SET payload = jsonb_build_object(
           'delivery_id', payload->'delivery_id', 'event', payload->'event',
           'occurred_at', payload->'occurred_at', 'event_id', payload->'event_id',
           'lead', jsonb_build_object('id', payload->'lead'->'id', 'erased', true),
           'campaign_id', payload->'campaign_id', 'step', payload->'step',
           'channel', payload->'channel', 'intent', payload->'intent',
           'data', salespad_redacted_details(COALESCE(payload->'data', '{{}}'::jsonb)))
 WHERE {_ABOUT_LEAD} AND NOT COALESCE((payload->'lead'->>'erased')::boolean, false)
"""

_REJECTIONS = f"""
UPDATE import_rejection SET raw = '[]'::jsonb,
       reason = CASE WHEN {_MENTIONS.format(col="reason")} THEN :erased ELSE reason END
 WHERE {_MENTIONS.format(col="raw::text")} OR {_MENTIONS.format(col="reason")}
"""

_ENROLLMENTS = """
UPDATE enrollment SET state = 'stopped', ended_at = now(), updated_at = now()
 WHERE lead_id = :lead AND state IN ('active', 'paused', 'attention')
"""

_LEAD = """
UPDATE lead SET name = :name, email = NULL, phone = NULL, timezone = NULL, company = NULL,
       title = NULL, preferred_channel = NULL, metadata = '{}'::jsonb,
       erased_at = now(), updated_at = now()
 WHERE id = :lead
"""


async def _run(session: AsyncSession, sql: str, params: dict[str, Any]) -> Any:
    return await session.exec(text(sql), params=params)  # type: ignore[call-overload]


async def erase_lead(
    session: AsyncSession, workflows: LeadWorkflowGateway, lead_id: uuid.UUID
) -> ErasureResult:
    """Erase one lead (see the module's docstring). Erasing again changes nothing in
    PostgreSQL and asks Temporal again to delete what it may still hold."""
    lead = await session.get(Lead, lead_id)
    if lead is None:
        raise NotFound(f"lead {lead_id} not found")
    already = lead.erased_at is not None
    replies = (
        await session.exec(
            select(Message.id).where(
                Message.lead_id == lead_id, Message.direction == Direction.INBOUND
            )
        )
    ).all()
    await session.commit()  # the reads end here: no transaction is open across the engine
    await workflows.ensure_connected()
    temporal = await workflows.erase(lead_id, [str(m) for m in replies])
    result = ErasureResult(
        lead_id=lead_id,
        already_erased=already,
        workflow_terminated=temporal.terminated,
        temporal_executions_deleted=temporal.deleted,
        temporal_refused=temporal.refused,
        removed=ErasedRows(),
    )
    if already:
        return result
    return await _erase_rows(session, lead_id, result)


async def _erase_rows(
    session: AsyncSession, lead_id: uuid.UUID, result: ErasureResult
) -> ErasureResult:
    """The one transaction that removes the person from PostgreSQL."""
    await _run(
        session, "SELECT set_config('salespad.erasing', :lead, true)", {"lead": str(lead_id)}
    )
    lead = await lock_lead(session, lead_id)
    if lead is None or lead.erased_at is not None:  # deleted, or erased meanwhile
        await session.rollback()
        return result.model_copy(update={"already_erased": lead is not None})
    email, phone = lead.email, lead.phone
    p: dict[str, Any] = {
        "lead": lead_id,
        "email": email,
        "phone": phone,
        "erased": ERASED_TEXT,
        "name": ERASED_NAME,
        "pattern": "|".join(re.escape(v) for v in (email, phone) if v) or "(?!)",
    }
    unmatched = [row[0] for row in (await _run(session, _UNMATCHED, p)).all()]
    p["unmatched"] = [str(m) for m in unmatched]
    removed = result.removed.model_copy()
    removed.events = (await _run(session, _EVENTS, p)).rowcount
    removed.messages = (await _run(session, _MESSAGES, p)).rowcount
    await _run(session, _MENTIONING_MESSAGES, p)
    await _run(session, _CAMPAIGN_SELECTORS, p)
    if unmatched:
        # Owner notifications of these messages go with them (ON DELETE CASCADE).
        removed.unmatched_replies = (
            await _run(session, "DELETE FROM message WHERE id = ANY(:ids)", {"ids": unmatched})
        ).rowcount
    removed.tasks = (await _run(session, _TASKS, p)).rowcount
    removed.notifications = (
        await _run(session, "DELETE FROM owner_notification WHERE lead_id = :lead", p)
    ).rowcount
    removed.webhook_deliveries_deleted = (await _run(session, _WEBHOOKS_PENDING, p)).rowcount
    removed.webhook_deliveries_redacted = (await _run(session, _WEBHOOKS_SENT, p)).rowcount
    removed.import_rejections = (await _run(session, _REJECTIONS, p)).rowcount
    removed.enrollments_stopped = (await _run(session, _ENROLLMENTS, p)).rowcount
    suppressed = await _hashed_suppression(session, email, phone)
    await _run(session, _LEAD, p)
    add_event(session, lead_id, EventType.ERASED, **removed.model_dump())
    await session.commit()
    return result.model_copy(update={"removed": removed, "suppressed": suppressed})


async def _hashed_suppression(
    session: AsyncSession, email: str | None, phone: str | None
) -> list[str]:
    """Replace any plain suppression of the address or number with its hash, and add the
    hash if there was none: the person is never contacted again, and not named either."""
    covered = []
    for kind, value, plain in (
        ("email", email, "lower(email) = lower(:value)"),
        ("phone", phone, "phone = :value"),
    ):
        if not value:
            continue
        await _run(session, f"DELETE FROM suppression WHERE {plain}", {"value": value})
        await _run(
            session,
            f"INSERT INTO suppression (id, {kind}_sha256, reason, created_at) "
            "VALUES (gen_random_uuid(), :hash, :reason, now()) ON CONFLICT DO NOTHING",
            {"hash": pii_hash(value), "reason": SUPPRESSION_REASON},
        )
        covered.append(kind)
    return covered


async def find_lead_by_email(session: AsyncSession, email: str) -> uuid.UUID | None:
    """The lead with this email (case-insensitive), if any."""
    return (
        await session.exec(select(Lead.id).where(func.lower(Lead.email) == email.strip().lower()))
    ).first()


async def erased_before(session: AsyncSession, email: str) -> bool:
    """Whether an erasure's hashed suppression covers this email (for `salespad erase` again)."""
    found = await session.exec(
        select(Suppression.id).where(
            Suppression.email_sha256 == pii_hash(email), Suppression.reason == SUPPRESSION_REASON
        )
    )
    return found.first() is not None
