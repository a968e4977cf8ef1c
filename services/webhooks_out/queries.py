"""Reading the delivery log, and the dispatcher's two statements: claim what is due, record
what happened.

Deliveries are listed newest event first, ordered by (event_id, id); a cursor is that pair for
the last row of a page, so deliveries fanned out while a client pages never shift a later page.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.tables import WebhookAttempt, WebhookDelivery
from services.paging import NOT_A_CURSOR, pack, unpack

MAX_LIMIT = 500


@dataclass(frozen=True)
class DeliveryCursor:
    event_id: int
    id: uuid.UUID

    def encode(self) -> str:
        return pack(self.event_id, self.id)

    @classmethod
    def decode(cls, token: str) -> DeliveryCursor:
        """Raises ValueError for anything `encode` did not make."""
        event_id, delivery_id = unpack(token)
        if not isinstance(event_id, int) or isinstance(event_id, bool):
            raise ValueError(NOT_A_CURSOR)
        return cls(event_id=event_id, id=delivery_id)


@dataclass(frozen=True)
class DeliveryFilter:
    subscription_id: uuid.UUID | None = None
    status: str | None = None
    event: str | None = None


async def page_of_deliveries(
    session: AsyncSession, where: DeliveryFilter, limit: int, after: DeliveryCursor | None
) -> tuple[Sequence[WebhookDelivery], bool]:
    """One page, newest event first, and whether more follow."""
    stmt = select(WebhookDelivery)
    if where.subscription_id is not None:
        stmt = stmt.where(WebhookDelivery.subscription_id == where.subscription_id)
    if where.status is not None:
        stmt = stmt.where(WebhookDelivery.status == where.status)
    if where.event is not None:
        stmt = stmt.where(WebhookDelivery.event == where.event)
    if after is not None:
        key = tuple_(col(WebhookDelivery.event_id), col(WebhookDelivery.id))
        stmt = stmt.where(key < tuple_(after.event_id, after.id))
    stmt = stmt.order_by(col(WebhookDelivery.event_id).desc(), col(WebhookDelivery.id).desc())
    rows = (await session.exec(stmt.limit(limit + 1))).all()
    return rows[:limit], len(rows) > limit


async def attempts_of(session: AsyncSession, delivery_id: uuid.UUID) -> Sequence[WebhookAttempt]:
    stmt = (
        select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id == delivery_id)
        .order_by(col(WebhookAttempt.at), col(WebhookAttempt.id))
    )
    return (await session.exec(stmt)).all()


# One statement: pick what is due (skipping rows another worker holds), and lease it by moving
# its due time past the end of the POST. A worker that dies mid-POST leaves the row to be
# claimed again when the lease ends. Paused subscriptions keep their deliveries pending.
_CLAIM = text("""
UPDATE webhook_delivery d
   SET next_attempt_at = :lease_until,
       attempts = d.attempts + 1,
       first_attempt_at = COALESCE(d.first_attempt_at, :now)
  FROM webhook_subscription s
 WHERE s.id = d.subscription_id
   AND d.id IN (SELECT w.id FROM webhook_delivery w
                  JOIN webhook_subscription a ON a.id = w.subscription_id AND a.active
                 WHERE w.status = 'pending' AND w.next_attempt_at <= :now
                 ORDER BY w.next_attempt_at
                 LIMIT :n
                 FOR UPDATE OF w SKIP LOCKED)
RETURNING d.id, d.event, d.payload::text AS body, d.attempts, d.first_attempt_at,
          d.next_attempt_at AS lease_until, s.url, s.secret
""")


@dataclass(frozen=True)
class Claimed:
    id: uuid.UUID
    event: str
    body: bytes
    attempts: int
    first_attempt_at: datetime
    lease_until: datetime
    url: str
    sealed_secret: str


async def claim_due(
    conn: AsyncConnection, now: datetime, lease: timedelta, n: int
) -> list[Claimed]:
    result = await conn.execute(_CLAIM, {"now": now, "lease_until": now + lease, "n": n})
    return [
        Claimed(
            id=r.id,
            event=r.event,
            body=r.body.encode(),
            attempts=r.attempts,
            first_attempt_at=r.first_attempt_at,
            lease_until=r.lease_until,
            url=r.url,
            sealed_secret=r.secret,
        )
        for r in result
    ]


@dataclass(frozen=True)
class Outcome:
    """What one attempt did, and what happens next: delivered, retry at `retry_at`, or (both
    unset) failed for good."""

    id: uuid.UUID
    lease_until: datetime
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int
    delivered: bool
    retry_at: datetime | None


# The attempt is always logged. The delivery changes only if this worker still holds it (its
# lease unchanged): a redeliver, or another worker that took it over after the lease ended,
# wins. A delivery deleted meanwhile (its subscription was) takes its attempts with it.
_RECORD = text("""
WITH r AS (
    SELECT * FROM unnest(
        CAST(:ids AS uuid[]), CAST(:leases AS timestamptz[]), CAST(:ats AS timestamptz[]),
        CAST(:codes AS integer[]), CAST(:errors AS text[]), CAST(:durations AS integer[]),
        CAST(:delivered AS boolean[]), CAST(:retry_ats AS timestamptz[])
    ) AS r(id, lease_until, at, code, error, duration_ms, delivered, retry_at)
), changed AS (
    UPDATE webhook_delivery d
       SET status = CASE WHEN r.delivered THEN 'delivered'
                         WHEN r.retry_at IS NULL THEN 'failed' ELSE 'pending' END,
           next_attempt_at = COALESCE(r.retry_at, d.next_attempt_at),
           delivered_at = CASE WHEN r.delivered THEN r.at ELSE d.delivered_at END,
           last_status_code = r.code,
           last_error = r.error
      FROM r
     WHERE d.id = r.id AND d.status = 'pending' AND d.next_attempt_at = r.lease_until
    RETURNING d.id
)
INSERT INTO webhook_attempt (delivery_id, at, status_code, error, duration_ms)
SELECT r.id, r.at, r.code, r.error, r.duration_ms
  FROM r JOIN webhook_delivery d ON d.id = r.id
""")


async def record_outcomes(conn: AsyncConnection, outcomes: Sequence[Outcome]) -> None:
    columns: dict[str, list[Any]] = {
        "ids": [o.id for o in outcomes],
        "leases": [o.lease_until for o in outcomes],
        "ats": [o.at for o in outcomes],
        "codes": [o.status_code for o in outcomes],
        "errors": [o.error for o in outcomes],
        "durations": [o.duration_ms for o in outcomes],
        "delivered": [o.delivered for o in outcomes],
        "retry_ats": [o.retry_at for o in outcomes],
    }
    await conn.execute(_RECORD, columns)
