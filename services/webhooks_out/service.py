"""Webhook subscriptions (secrets sealed, shown once) and the delivery log with redeliver."""

from __future__ import annotations

import secrets
import uuid

from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.secrets import seal_value
from models.tables import WebhookDelivery, WebhookSubscription
from services.errors import InvalidInput, NotFound
from services.webhooks_out import queries
from services.webhooks_out.events import NOTIFY_CHANNEL
from services.webhooks_out.queries import DeliveryCursor, DeliveryFilter
from services.webhooks_out.schemas import (
    AttemptPublic,
    DeliveryDetail,
    DeliveryList,
    DeliveryPublic,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionPublic,
    SubscriptionUpdate,
)


def new_secret() -> str:
    """256 random bits, recognisable as a SalesPad webhook secret."""
    return "whsec_" + secrets.token_urlsafe(32)


def to_public(row: WebhookSubscription) -> SubscriptionPublic:
    return SubscriptionPublic(
        id=row.id,
        url=row.url,
        events=row.events,
        active=row.active,
        description=row.description,
        created_at=row.created_at,
    )


def delivery_public(row: WebhookDelivery) -> DeliveryPublic:
    return DeliveryPublic.model_validate(
        {
            **row.model_dump(exclude={"payload"}),
            # While in flight `next_attempt_at` is the lease: still "when it is due next".
            "next_attempt_at": row.next_attempt_at if row.status == "pending" else None,
        }
    )


async def create_subscription(
    session: AsyncSession, body: SubscriptionCreate, secret_key: str
) -> SubscriptionCreated:
    """Store it with its secret sealed; the plain secret is in this answer and nowhere else."""
    secret = body.secret or new_secret()
    row = WebhookSubscription(
        url=body.url,
        events=body.events,
        secret=seal_value(secret, secret_key),
        active=body.active,
        description=body.description,
    )
    session.add(row)
    await session.commit()
    return SubscriptionCreated(**to_public(row).model_dump(), secret=secret)


async def list_subscriptions(session: AsyncSession) -> list[SubscriptionPublic]:
    stmt = select(WebhookSubscription).order_by(
        col(WebhookSubscription.created_at), col(WebhookSubscription.id)
    )
    return [to_public(r) for r in (await session.exec(stmt)).all()]


async def _subscription(session: AsyncSession, subscription_id: uuid.UUID) -> WebhookSubscription:
    row = await session.get(WebhookSubscription, subscription_id)
    if row is None:
        raise NotFound(f"webhook subscription {subscription_id} not found")
    return row


async def get_subscription(session: AsyncSession, subscription_id: uuid.UUID) -> SubscriptionPublic:
    return to_public(await _subscription(session, subscription_id))


async def update_subscription(
    session: AsyncSession, subscription_id: uuid.UUID, body: SubscriptionUpdate
) -> SubscriptionPublic:
    """Change what was sent. New events are followed from now on (nothing is backfilled);
    pending deliveries go to the new URL. Inactive: no new deliveries, and pending ones wait
    until it is active again."""
    row = await _subscription(session, subscription_id)
    for field in ("url", "events", "active"):
        value = getattr(body, field)
        if value is not None:
            setattr(row, field, value)
    if "description" in body.model_fields_set:
        row.description = body.description
    await session.commit()
    return to_public(row)


async def delete_subscription(session: AsyncSession, subscription_id: uuid.UUID) -> None:
    """Delete it with its deliveries and their log; nothing more is sent to it."""
    await session.delete(await _subscription(session, subscription_id))
    await session.commit()


async def list_deliveries(
    session: AsyncSession, where: DeliveryFilter, limit: int, cursor: str | None = None
) -> DeliveryList:
    """Newest event first; `next_cursor` continues after this page, None on the last."""
    try:
        after = DeliveryCursor.decode(cursor) if cursor else None
    except ValueError as exc:
        raise InvalidInput("invalid cursor", [{"field": "cursor", "message": str(exc)}]) from exc
    rows, more = await queries.page_of_deliveries(session, where, limit, after)
    next_cursor = DeliveryCursor(rows[-1].event_id, rows[-1].id).encode() if more else None
    return DeliveryList(
        items=[delivery_public(r) for r in rows], limit=limit, next_cursor=next_cursor
    )


async def _delivery(session: AsyncSession, delivery_id: uuid.UUID) -> WebhookDelivery:
    row = await session.get(WebhookDelivery, delivery_id)
    if row is None:
        raise NotFound(f"webhook delivery {delivery_id} not found")
    return row


async def get_delivery(session: AsyncSession, delivery_id: uuid.UUID) -> DeliveryDetail:
    row = await _delivery(session, delivery_id)
    attempts = await queries.attempts_of(session, delivery_id)
    return DeliveryDetail(
        **delivery_public(row).model_dump(),
        payload=row.payload,
        attempt_log=[AttemptPublic.model_validate(a, from_attributes=True) for a in attempts],
    )


async def redeliver(session: AsyncSession, delivery_id: uuid.UUID) -> DeliveryPublic:
    """Send it again, due now, under the same delivery id (receivers dedupe on it), with a
    fresh retry window: a failed delivery comes back, a delivered one is posted once more."""
    row = await _delivery(session, delivery_id)
    await session.exec(
        update(WebhookDelivery)
        .where(col(WebhookDelivery.id) == delivery_id)
        .values(
            status="pending",
            next_attempt_at=func.now(),
            attempts=0,
            first_attempt_at=None,
            delivered_at=None,
        )
    )
    # Sent at commit: a dispatcher wakes now rather than at its next poll.
    await session.exec(select(func.pg_notify(NOTIFY_CHANNEL, "")))
    await session.commit()
    await session.refresh(row)
    return delivery_public(row)
