"""One SendGrid Event Webhook event -> one ProviderEvent (or None for events we do not track).

The SendGrid adapter puts `lead_id` and `idempotency_key` in each personalization's custom_args;
SendGrid echoes custom args as top-level keys of every event. They are the reliable way back
to our Message: `sg_message_id` is missing on asynchronous bounces.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from models.enums import DeliveryStatus
from services.replies.delivery_events import Kind, ProviderEvent

_KEPT = ("event", "sg_event_id", "sg_message_id", "timestamp", "reason", "response", "status",
         "type", "bounce_classification", "attempt", "url", "asm_group_id", "useragent", "ip",
         "sg_machine_open", "step")  # fmt: skip
_UNSUBSCRIBES = ("unsubscribe", "group_unsubscribe")


def sendgrid_event(raw: object) -> ProviderEvent | None:
    if not isinstance(raw, dict):
        return None
    name = str(raw.get("event") or "").lower()
    classified = _classify(name, raw)
    if classified is None:
        return None
    kind, message_status = classified
    args = _custom_args(raw)
    # No sg_event_id is unheard of; a hash of the event still recognises an exact replay.
    event_id = (
        str(raw.get("sg_event_id") or "")
        or hashlib.sha256(json.dumps(raw, sort_keys=True, default=str).encode()).hexdigest()
    )
    said = (raw.get(k) for k in ("type", "status", "reason", "response"))
    reason = " ".join(str(v) for v in said if v not in (None, ""))
    return ProviderEvent(
        provider="sendgrid",
        event_id=event_id,
        kind=kind,
        email=str(raw["email"]).strip().lower() if raw.get("email") else None,
        lead_id=_uuid(args.get("lead_id")),
        idempotency_key=str(args["idempotency_key"]) if args.get("idempotency_key") else None,
        provider_message_ids=_message_ids(raw.get("sg_message_id")),
        message_status=message_status,
        reason=f"sendgrid {name}: {reason}"[:500] if reason else f"sendgrid {name}",
        details={k: _short(raw[k]) for k in _KEPT if raw.get(k) is not None},
    )


def _classify(name: str, raw: dict[str, Any]) -> tuple[Kind, DeliveryStatus | None] | None:
    if name == "delivered":
        return "delivered", DeliveryStatus.DELIVERED
    if name == "deferred":
        return "deferred", None
    if name == "open":
        return "opened", None
    if name == "click":
        return "clicked", None
    if name == "bounce":
        # "blocked" is the receiving server refusing us (reputation, content), not a dead
        # address: suppressing the lead for it would lose a reachable person.
        if str(raw.get("type") or "").lower() == "blocked":
            return "failed", DeliveryStatus.FAILED
        return "bounced", DeliveryStatus.BOUNCED
    if name == "dropped":
        reason = str(raw.get("reason") or "").lower()
        if "unsubscribe" in reason or "spam report" in reason:
            return "unsubscribed", DeliveryStatus.FAILED
        return "bounced", DeliveryStatus.BOUNCED
    if name == "spamreport":
        # Unsubscribes the lead, and counts against the mailbox that sent it.
        return "complained", None
    if name in _UNSUBSCRIBES:
        return "unsubscribed", None
    return None  # processed, group_resubscribe, account events


def _custom_args(raw: dict[str, Any]) -> dict[str, Any]:
    args = dict(raw)
    for nested in ("unique_args", "custom_args"):
        if isinstance(raw.get(nested), dict):
            args.update(raw[nested])
    return args


def _message_ids(value: object) -> tuple[str, ...]:
    """X-Message-Id (what the Mail Send API returned, stored as provider_message_id) is the part
    of sg_message_id before `.filter...` / `.recvd-...`; older ids have dots of their own."""
    if not value:
        return ()
    full = str(value)
    candidates = [full, full.split(".", 1)[0]]
    for marker in (".filter", ".recvd", ".ismtpd"):
        if marker in full:
            candidates.append(full.split(marker, 1)[0])
    return tuple(dict.fromkeys(candidates))


def _uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def _short(value: object) -> object:
    return value[:500] if isinstance(value, str) else value
