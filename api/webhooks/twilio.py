"""Twilio webhooks: incoming SMS / WhatsApp messages and outbound message status callbacks.

Twilio's signature carries no timestamp, so replays are recognised by MessageSid (a reply) or
MessageSid + MessageStatus (a status report), never by time.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.datastructures import FormData

from adapters.channels.twilio import TWILIO_OPTED_OUT_CODE, to_e164
from api.deps import SessionDep, StateDep
from api.openapi import request_body
from api.webhooks.auth import AUTH_ERRORS, check_twilio_signature
from models.enums import ChannelType, DeliveryStatus
from services.replies.delivery_events import ProviderEvent, apply_events
from services.replies.inbound import receive_text

log = logging.getLogger("salespad.webhooks.twilio")

router = APIRouter(prefix="/webhooks/twilio", tags=["webhooks"])

# The opt-out keywords Twilio's Advanced Opt-Out recognises; matched on the whole trimmed body.
STOP_KEYWORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "END", "QUIT", "REVOKE", "OPTOUT", "CANCEL"}
)
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
FORM = "application/x-www-form-urlencoded"


def _form(*names: str) -> dict[str, Any]:
    """What Twilio posts (the fields read here; it sends many more, all kept out of the way)."""
    return request_body(
        FORM, {"type": "object", "properties": {name: {"type": "string"} for name in names}}
    )


def _field(form: FormData, *names: str) -> str:
    for name in names:
        value = form.get(name)
        if isinstance(value, str) and value:
            return value
    return ""


@router.post(
    "/inbound",
    summary="An incoming SMS or WhatsApp message (X-Twilio-Signature); answers empty TwiML",
    responses={200: {"content": {"text/xml": {}}}, **AUTH_ERRORS},
    response_class=Response,
    openapi_extra=_form("From", "To", "Body", "MessageSid", "NumMedia"),
)
async def inbound(request: Request, state: StateDep, session: SessionDep) -> Response:
    await check_twilio_signature(request, state.settings)
    form = await request.form()
    sender = _field(form, "From")
    body = _field(form, "Body")
    sid = _field(form, "MessageSid", "SmsMessageSid", "SmsSid") or (
        "twilio-" + hashlib.sha256(f"{sender}\0{body}".encode()).hexdigest()[:32]
    )
    channel = ChannelType.WHATSAPP if sender.startswith("whatsapp:") else ChannelType.SMS
    number = to_e164(sender)
    if body.strip().upper() in STOP_KEYWORDS:
        if number is None:
            log.warning("opt-out %r from %r: not a phone number, nothing suppressed", body, sender)
        else:
            opt_out = ProviderEvent(
                provider="twilio",
                event_id=sid,
                kind="unsubscribed",
                phone=number,
                reason=f"{body.strip().upper()} keyword ({channel.lower()})",
                details={"message_sid": sid, "channel": channel, "body": body[:160]},
            )
            await apply_events(session, state.workflows, [opt_out])
    else:
        media = _field(form, "NumMedia")
        content = body or (f"(no text; {media} media item(s))" if media not in ("", "0") else "")
        await receive_text(
            session,
            state.workflows,
            channel=channel,
            number=number,
            sender=sender,
            content=content,
            message_sid=sid,
            details={"to": _field(form, "To")},
        )
    return Response(EMPTY_TWIML, media_type="text/xml")


@router.post(
    "/status",
    summary="Outbound message status callback (X-Twilio-Signature)",
    responses=AUTH_ERRORS,
    openapi_extra=_form("MessageSid", "MessageStatus", "To", "ErrorCode"),
    status_code=204,
    response_class=Response,
)
async def status(request: Request, state: StateDep, session: SessionDep) -> Response:
    await check_twilio_signature(request, state.settings)
    event = status_event(await request.form())
    if event is not None:
        await apply_events(session, state.workflows, [event])
    return Response(status_code=204)


def status_event(form: FormData) -> ProviderEvent | None:
    """delivered -> DELIVERED; failed / undelivered -> FAILED, and 21610 (the recipient
    texted STOP) suppresses the number. Intermediate statuses are not tracked."""
    sid = _field(form, "MessageSid", "SmsSid")
    state = _field(form, "MessageStatus", "SmsStatus").lower()
    if not sid or state not in ("delivered", "failed", "undelivered"):
        return None
    code = _field(form, "ErrorCode")
    details: dict[str, Any] = {"message_sid": sid, "message_status": state}
    if code:
        details["error_code"] = code
    common: dict[str, Any] = {
        "provider": "twilio",
        "event_id": f"{sid}:{state}",
        "provider_message_ids": (sid,),
        "phone": to_e164(_field(form, "To")),
        "details": details,
    }
    if state == "delivered":
        return ProviderEvent(kind="delivered", message_status=DeliveryStatus.DELIVERED, **common)
    if code == str(TWILIO_OPTED_OUT_CODE):
        reason = f"Twilio {TWILIO_OPTED_OUT_CODE}: the recipient opted out"
        return ProviderEvent(
            kind="unsubscribed", message_status=DeliveryStatus.FAILED, reason=reason, **common
        )
    reason = f"Twilio {state}" + (f" (error {code})" if code else "")
    return ProviderEvent(
        kind="failed", message_status=DeliveryStatus.FAILED, reason=reason, **common
    )
