"""`POST /webhooks/leads`: forms and tools post a lead, signed with SALESPAD_LEAD_CAPTURE_SECRET.

The body is a LeadCreate object (as for `POST /api/leads`) plus an optional `campaign` (id or
exact name) to enroll the lead into. Checked in this order, and nothing is stored unless every
check passes: secret configured (else 503), signature and timestamp (403), JSON and fields (422
naming the field), campaign exists (422 naming `campaign`).
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import Field, ValidationError

from api.deps import SessionDep, StateDep
from api.openapi import errors, request_body
from api.webhooks.auth import AUTH_ERRORS, check_lead_capture_signature
from services.errors import InvalidInput, SalesPadError, field_errors
from services.leads.capture import CaptureResult, capture_lead
from services.leads.schemas import LeadCreate, check_storable

router = APIRouter(prefix="/webhooks", tags=["webhooks"])

MAX_BODY_BYTES = 64 * 1024
_UNAVAILABLE = (
    "SALESPAD_LEAD_CAPTURE_SECRET is not set, or a campaign was named while Temporal is "
    "unreachable; nothing was stored"
)


class PayloadTooLarge(SalesPadError):
    status_code = 413


class LeadCapture(LeadCreate):
    """A lead, as for POST /api/leads, and the campaign to enroll it into."""

    campaign: str | None = Field(
        default=None, max_length=200, description="A campaign's id or exact name"
    )


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_lead_capture(body: bytes) -> tuple[LeadCreate, str | None]:
    """(the lead, the campaign reference) or InvalidInput naming every bad field."""
    try:
        payload = json.loads(body, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise InvalidInput("invalid JSON", [{"field": "body", "message": str(exc)}]) from None
    if not isinstance(payload, dict):
        raise InvalidInput("invalid lead", [{"field": "body", "message": "must be an object"}])
    campaign = payload.pop("campaign", None)
    errors: list[dict[str, str]] = []
    if campaign is not None:
        if not isinstance(campaign, str) or not campaign.strip() or len(campaign) > 200:
            message = "must be a campaign id or name (1 to 200 characters)"
            errors.append({"field": "campaign", "message": message})
        else:
            try:
                campaign = check_storable(campaign.strip())
            except ValueError as exc:
                errors.append({"field": "campaign", "message": str(exc)})
    lead: LeadCreate | None = None
    try:
        lead = LeadCreate.model_validate(payload)
    except ValidationError as exc:
        errors.extend(field_errors(exc.errors()))
    if errors or lead is None:
        raise InvalidInput("invalid lead", errors)
    return lead, campaign


@router.post(
    "/leads",
    response_model=CaptureResult,
    status_code=201,
    summary="Lead capture: upsert a lead (by email, else phone), optionally enroll it (signed)",
    openapi_extra=request_body("application/json", LeadCapture),
    responses={
        **AUTH_ERRORS,
        200: {"description": "The lead existed (a repeated post changes nothing)"},
        201: {"description": "Lead created"},
        **errors(
            e413="Body over 64 KiB",
            e422="Invalid JSON, field or campaign; nothing was stored",
            e503=_UNAVAILABLE,
        ),
    },
)
async def lead_capture(
    request: Request, response: Response, state: StateDep, session: SessionDep
) -> CaptureResult:
    body = await request.body()
    check_lead_capture_signature(request.headers, body, state.settings)
    if len(body) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"a lead capture body is at most {MAX_BODY_BYTES} bytes")
    lead, campaign = parse_lead_capture(body)
    result = await capture_lead(session, state.workflows, lead, campaign)
    response.status_code = 201 if result.created else 200
    return result
