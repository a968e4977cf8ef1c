"""Outgoing webhooks: subscriptions (where to post which events) and the delivery log."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.auth import OPS
from api.deps import SessionDep, SettingsDep
from api.openapi import errors
from services.webhooks_out import service
from services.webhooks_out.queries import MAX_LIMIT, DeliveryFilter
from services.webhooks_out.schemas import (
    CursorToken,
    DeliveryDetail,
    DeliveryList,
    DeliveryPublic,
    DeliveryStatus,
    EventName,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionPublic,
    SubscriptionUpdate,
)

router = APIRouter(tags=["webhooks (outgoing)"])
SUBSCRIPTIONS = "/webhook-subscriptions"
DELIVERIES = "/webhook-deliveries"


@router.post(
    SUBSCRIPTIONS,
    dependencies=[OPS],
    status_code=201,
    response_model=SubscriptionCreated,
    summary="Subscribe a URL to events; the answer holds the signing secret, shown only here",
)
async def create_subscription(
    body: SubscriptionCreate, session: SessionDep, settings: SettingsDep
) -> SubscriptionCreated:
    return await service.create_subscription(session, body, settings.secret_key.get_secret_value())


@router.get(SUBSCRIPTIONS, response_model=list[SubscriptionPublic], summary="Subscriptions")
async def list_subscriptions(session: SessionDep) -> list[SubscriptionPublic]:
    return await service.list_subscriptions(session)


@router.get(
    f"{SUBSCRIPTIONS}/{{subscription_id}}", response_model=SubscriptionPublic, responses=errors(404)
)
async def get_subscription(subscription_id: uuid.UUID, session: SessionDep) -> SubscriptionPublic:
    return await service.get_subscription(session, subscription_id)


@router.patch(
    f"{SUBSCRIPTIONS}/{{subscription_id}}",
    dependencies=[OPS],
    response_model=SubscriptionPublic,
    summary="Change url, events, active or description (inactive: pending deliveries wait)",
    responses=errors(404),
)
async def update_subscription(
    subscription_id: uuid.UUID, body: SubscriptionUpdate, session: SessionDep
) -> SubscriptionPublic:
    return await service.update_subscription(session, subscription_id, body)


@router.delete(
    f"{SUBSCRIPTIONS}/{{subscription_id}}",
    dependencies=[OPS],
    status_code=204,
    response_class=Response,
    summary="Delete a subscription with its deliveries and their log",
    responses=errors(404),
)
async def delete_subscription(subscription_id: uuid.UUID, session: SessionDep) -> Response:
    await service.delete_subscription(session, subscription_id)
    return Response(status_code=204)


@router.get(
    DELIVERIES,
    response_model=DeliveryList,
    summary="Deliveries, newest event first: filter, then page with `cursor`",
)
async def list_deliveries(
    session: SessionDep,
    subscription_id: uuid.UUID | None = None,
    status: DeliveryStatus | None = None,
    event: Annotated[EventName | None, Query(max_length=64)] = None,
    limit: int = Query(default=50, ge=1, le=MAX_LIMIT),
    cursor: Annotated[
        CursorToken | None,
        Query(max_length=200, description="`next_cursor` of the previous page"),
    ] = None,
) -> DeliveryList:
    where = DeliveryFilter(subscription_id=subscription_id, status=status, event=event)
    return await service.list_deliveries(session, where, limit, cursor)


@router.get(
    f"{DELIVERIES}/{{delivery_id}}",
    response_model=DeliveryDetail,
    summary="One delivery: its payload and every attempt (time, HTTP status or error, duration)",
    responses=errors(404),
)
async def get_delivery(delivery_id: uuid.UUID, session: SessionDep) -> DeliveryDetail:
    return await service.get_delivery(session, delivery_id)


@router.post(
    f"{DELIVERIES}/{{delivery_id}}/redeliver",
    dependencies=[OPS],
    response_model=DeliveryPublic,
    summary="Send it again now under the same delivery id, with a fresh retry window",
    responses=errors(404),
)
async def redeliver(delivery_id: uuid.UUID, session: SessionDep) -> DeliveryPublic:
    return await service.redeliver(session, delivery_id)
