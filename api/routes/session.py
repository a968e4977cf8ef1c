"""The dashboard's sign-in: the API key for an HttpOnly session cookie (api.sessions says why it
is a signed token and what the CSRF token is for). Mounted outside the API-key router: signing
in is how a browser gets its credentials."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from api import sessions
from api.deps import SessionCookieDep, SettingsDep
from api.errors import Unauthorized
from api.openapi import errors

router = APIRouter(prefix="/api/session", tags=["session"])

_FOREIGN = "The request names an Origin other than this server's"


class SignIn(BaseModel):
    api_key: str = Field(
        min_length=1, max_length=1000, description="SALESPAD_API_KEY (printed by salespad dev)"
    )


class SessionPublic(BaseModel):
    csrf_token: str = Field(
        description="Send as the X-CSRF-Token header on every POST, PUT, PATCH and DELETE made "
        "with the session cookie; keep it in memory, not in storage"
    )
    expires_at: datetime = Field(description="When the session ends and sign-in is needed again")


def _public(session: sessions.Session, response: Response) -> SessionPublic:
    # The CSRF token is a credential of sorts: no cache keeps a copy.
    response.headers["Cache-Control"] = "no-store"
    return SessionPublic(csrf_token=session.csrf_token, expires_at=session.expires_at)


@router.post(
    "",
    response_model=SessionPublic,
    summary="Sign in with the API key: sets the HttpOnly session cookie (no auth)",
    responses=errors(401, e403=_FOREIGN),
)
async def sign_in(
    body: SignIn, request: Request, response: Response, settings: SettingsDep
) -> SessionPublic:
    sessions.require_same_origin(settings, request)
    if settings.api_key is None or not sessions.api_key_matches(settings, body.api_key):
        raise Unauthorized(
            "wrong API key: sign in with the SALESPAD_API_KEY the API was started with",
            "salespad dev prints it and keeps it in .salespad/api_key",
        )
    token, session = sessions.issue(
        settings.api_key.get_secret_value(), settings.session_hours * 3600
    )
    sessions.set_cookie(settings, request, response, token)
    return _public(session, response)


@router.get(
    "",
    response_model=SessionPublic,
    summary="The current session (the cookie's): its CSRF token and expiry; 401 when signed out",
    responses=errors(401),
)
async def current_session(
    cookie: SessionCookieDep, response: Response, settings: SettingsDep
) -> SessionPublic:
    session = sessions.current(settings, cookie)
    if session is None:
        raise Unauthorized(
            "not signed in: the session cookie is missing, expired or from another API key",
            "sign in with POST /api/session",
        )
    return _public(session, response)


@router.delete(
    "",
    status_code=204,
    summary="Sign out: clears the session cookie (no auth; always 204)",
    responses={204: {"description": "Signed out"}, **errors(e403=_FOREIGN)},
)
async def sign_out(request: Request, settings: SettingsDep) -> Response:
    sessions.require_same_origin(settings, request)
    response = Response(status_code=204)
    sessions.clear_cookie(settings, request, response)
    return response
