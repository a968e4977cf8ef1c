"""SendGrid webhooks: Inbound Parse (replies) and the Event Webhook (delivery and engagement).

Inbound Parse retries only on 5xx and drops mail after three days, so once the token checks out
every post is answered 200 and kept: matched to a lead, or stored as unmatched for ops, or,
when the form cannot even be read, stored whole as unmatched. Only our own failures (the
database) give a 5xx, which SendGrid retries.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request

from api.deps import SessionDep, StateDep
from api.openapi import request_body
from api.webhooks.auth import AUTH_ERRORS, check_event_signature, check_inbound_token
from api.webhooks.inbound_mail import from_form, unreadable
from api.webhooks.sendgrid_events import sendgrid_event
from services.replies.delivery_events import apply_events
from services.replies.inbound import receive_email
from services.replies.schemas import InboundMail

log = logging.getLogger("salespad.webhooks.sendgrid")

router = APIRouter(prefix="/webhooks/sendgrid", tags=["webhooks"])

_MAX_PART_BYTES = 32 * 1024 * 1024  # SendGrid accepts mail up to 30 MB
_MAIL_FIELDS = ("from", "headers", "email", "text", "html")


@router.post(
    "/inbound",
    summary="Inbound Parse: a reply by email (multipart; ?token= or basic-auth password)",
    responses=AUTH_ERRORS,
    openapi_extra=request_body(
        "multipart/form-data",
        {
            "type": "object",
            "properties": {
                name: {"type": "string"}
                for name in ("from", "to", "subject", "text", "html", "headers", "envelope")
            },
        },
    ),
)
async def inbound_parse(request: Request, state: StateDep, session: SessionDep) -> dict[str, Any]:
    check_inbound_token(request, state.settings)
    mail = await _read_mail(request)
    return await receive_email(session, state.workflows, mail)


async def _read_mail(request: Request) -> InboundMail:
    body = await request.body()  # cached: the form parser below reads it again
    content_type = request.headers.get("content-type", "")
    try:
        async with request.form(max_part_size=_MAX_PART_BYTES) as form:
            if any(name in form for name in _MAIL_FIELDS):
                return from_form(form)
    except Exception as exc:  # a broken post must still be kept, never answered 4xx and lost
        log.warning("unreadable Inbound Parse post (%s): %s; kept as unmatched", content_type, exc)
    return unreadable(body, content_type or "untyped")


@router.post(
    "/events",
    summary="Event Webhook: delivered, bounce, dropped, unsubscribe, open, ... (ECDSA-signed)",
    responses=AUTH_ERRORS,
    openapi_extra=request_body(
        "application/json", {"type": "array", "items": {"type": "object"}, "maxItems": 100}
    ),
)
async def events(request: Request, state: StateDep, session: SessionDep) -> dict[str, Any]:
    body = await request.body()
    check_event_signature(request.headers, body, state.settings)
    try:
        payload = json.loads(body)
    except ValueError:
        payload = None
    if not isinstance(payload, list):
        # Signed by SendGrid yet unreadable: a retry would bring the same bytes, so say 200.
        log.warning("signed Event Webhook post is not a JSON array; ignored")
        return {"received": 0, "ignored": "not a JSON array"}
    parsed = [sendgrid_event(raw) for raw in payload]
    outcome = await apply_events(
        session,
        state.workflows,
        [e for e in parsed if e is not None],
        mailbox_health=state.settings.mailbox_health,
    )
    return {"received": len(payload), "untracked": parsed.count(None), **asdict(outcome)}
