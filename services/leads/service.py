"""Leads: upsert by email (case-insensitive), else by phone; detail with a timeline."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import EventType
from models.tables import Channel, EventLog, Lead, Message, utcnow
from services.errors import InvalidInput, NotFound, field_errors
from services.events import add_event
from services.leads import queries
from services.leads.listing import LeadCursor, LeadFilter
from services.leads.schemas import (
    EnrollmentPublic,
    LeadBatchResult,
    LeadCreate,
    LeadDetail,
    LeadList,
    LeadPublic,
    RejectedRow,
    RowError,
    TimelineEntry,
)
from workflows.contracts import workflow_id_for


def to_public(lead: Lead) -> LeadPublic:
    return LeadPublic.model_validate(lead.model_dump())


async def upsert_lead(
    session: AsyncSession, data: LeadCreate, *, source: str = "api"
) -> tuple[Lead, bool]:
    """Create or update one lead and commit; returns (lead, created). An update that changes
    nothing (a repeated post) writes nothing and records no event."""
    for attempt in range(2):
        existing = await queries.find_for_upsert(session, data.email, data.phone)
        if existing is not None:
            given = data.model_dump(exclude_unset=True, exclude={"meta"})
            changes = {f: v for f, v in given.items() if getattr(existing, f) != v}
            if "meta" in data.model_fields_set:
                merged = {**existing.meta, **data.meta}
                if merged != existing.meta:
                    existing.meta = merged
                    changes["metadata"] = merged
            if not changes:
                await session.commit()  # releases the row lock
                return existing, False
            for field, value in changes.items():
                if field != "metadata":
                    setattr(existing, field, value)
            existing.updated_at = utcnow()
            add_event(session, existing.id, EventType.LEAD_UPDATED, fields=sorted(changes))
            await session.commit()
            return existing, False
        lead = Lead.model_validate(data.model_dump())
        session.add(lead)
        try:
            await session.flush()
        except IntegrityError:
            # Another request created the same lead between our read and write: update it.
            await session.rollback()
            if attempt == 0:
                continue
            raise
        add_event(session, lead.id, EventType.LEAD_CREATED, source=source)
        await session.commit()
        return lead, True
    raise AssertionError("unreachable")


async def upsert_many(session: AsyncSession, rows: list[Any]) -> LeadBatchResult:
    """Each valid row is stored even when others are rejected; rejections name row and field."""
    result = LeadBatchResult(created=[], updated=[], rejected=[])
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            result.rejected.append(
                RejectedRow(row=index, errors=[RowError(field="row", message="must be an object")])
            )
            continue
        try:
            data = LeadCreate.model_validate(row)
        except ValidationError as exc:
            errors = [RowError(**e) for e in field_errors(exc.errors())]
            result.rejected.append(RejectedRow(row=index, errors=errors))
            continue
        lead, created = await upsert_lead(session, data)
        (result.created if created else result.updated).append(to_public(lead))
    return result


async def list_leads(
    session: AsyncSession,
    where: LeadFilter,
    limit: int,
    offset: int = 0,
    cursor: str | None = None,
) -> LeadList:
    """Newest first. `next_cursor` continues after this page; None when nothing follows."""
    try:
        after = LeadCursor.decode(cursor) if cursor else None
    except ValueError as exc:  # the route checks it first; other callers get the same 422
        raise InvalidInput("invalid cursor", [{"field": "cursor", "message": str(exc)}]) from exc
    rows, total, more = await queries.page_of_leads(session, where, limit, offset, after)
    next_cursor = LeadCursor(rows[-1].created_at, rows[-1].id).encode() if more else None
    return LeadList(
        items=[to_public(r) for r in rows],
        total=total,
        limit=limit,
        offset=offset,
        next_cursor=next_cursor,
    )


async def get_lead(session: AsyncSession, lead_id: uuid.UUID) -> Lead:
    lead = await session.get(Lead, lead_id)
    if lead is None:
        raise NotFound(f"lead {lead_id} not found")
    return lead


async def lead_detail(
    session: AsyncSession, lead_id: uuid.UUID, ui_url: str, ns: str
) -> LeadDetail:
    lead = await get_lead(session, lead_id)
    enrollment = await queries.latest_enrollment(session, lead_id)
    channel_types = {c.id: c.type for c in (await session.exec(select(Channel))).all()}
    messages = (await session.exec(select(Message).where(Message.lead_id == lead_id))).all()
    events = (await session.exec(select(EventLog).where(EventLog.lead_id == lead_id))).all()
    timeline = [
        TimelineEntry(
            at=m.sent_at or m.created_at,
            kind="message",
            direction=m.direction,
            channel=channel_types.get(m.channel_id) if m.channel_id else None,
            step=m.step,
            subject=m.subject,
            content=m.content,
            delivery_status=m.delivery_status,
        )
        for m in messages
    ] + [
        TimelineEntry(at=e.timestamp, kind="event", event_type=e.event_type, details=e.details)
        for e in events
    ]
    timeline.sort(key=lambda t: t.at)
    wf_id = workflow_id_for(str(lead_id))
    return LeadDetail(
        lead=to_public(lead),
        enrollment=EnrollmentPublic.model_validate(enrollment, from_attributes=True)
        if enrollment
        else None,
        temporal_url=f"{ui_url.rstrip('/')}/namespaces/{quote(ns)}/workflows/{quote(wf_id)}"
        if enrollment
        else None,
        timeline=timeline,
    )
