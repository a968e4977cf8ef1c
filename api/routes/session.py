"""The dashboard's sign-in: an API key (SALESPAD_API_KEY or a stored `sp_...` key) for an
HttpOnly session cookie (api.sessions says why it is a signed token and what the CSRF token is
for). The session has its key's scope, and ends when that key is revoked. Mounted outside the
API-key router: signing in is how a browser gets its credentials."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from api import sessions
from api.auth import Caller, check_key, signed_in
from api.deps import SessionCookieDep, SettingsDep, StateDep
from api.errors import Unauthorized
from api.openapi import errors
from services.api_keys.schemas import Scope

router = APIRouter(prefix="/api/session", tags=["session"])

_FOREIGN = "The request names an Origin other than this server's"


class SignIn(BaseModel):
    api_key: str = Field(
        min_length=1,
        max_length=1000,
        description="SALESPAD_API_KEY (printed by salespad dev) or a key from `salespad apikey "
        "create`; the session gets that key's scope",
    )


class SessionPublic(BaseModel):
    csrf_token: str = Field(
        description="Send as the X-CSRF-Token header on every POST, PUT, PATCH and DELETE made "
        "with the session cookie; keep it in memory, not in storage"
    )
    expires_at: datetime = Field(description="When the session ends and sign-in is needed again")
    scope: Scope = Field(
        description="What the session may do, its API key's scope: read (GET), write (read "
        "and changes), ops (everything)"
    )


def _public(session: sessions.Session, caller: Caller, response: Response) -> SessionPublic:
    # The CSRF token is a credential of sorts: no cache keeps a copy.
    response.headers["Cache-Control"] = "no-store"
    return SessionPublic(
        csrf_token=session.csrf_token, expires_at=session.expires_at, scope=caller.scope
    )


@router.post(
    "",
    response_model=SessionPublic,
    summary="Sign in with an API key: sets the HttpOnly session cookie (no auth)",
    responses=errors(401, e403=_FOREIGN),
)
async def sign_in(
    body: SignIn, request: Request, response: Response, state: StateDep
) -> SessionPublic:
    settings = state.settings
    sessions.require_same_origin(settings, request)
    # Every session is signed under SALESPAD_API_KEY, whichever key signed in (api.sessions).
    caller = None if settings.api_key is None else await check_key(state, body.api_key)
    if settings.api_key is None or caller is None:
        raise Unauthorized(
            "wrong API key: sign in with the SALESPAD_API_KEY the API was started with, or an "
            "active key from `salespad apikey create`",
            "salespad dev prints it and keeps it in .salespad/api_key",
        )
    token, session = sessions.issue(
        settings.api_key.get_secret_value(), settings.session_hours * 3600, key_id=caller.key_id
    )
    sessions.set_cookie(settings, request, response, token)
    return _public(session, caller, response)


@router.get(
    "",
    response_model=SessionPublic,
    summary="The current session (the cookie's): its CSRF token and expiry; 401 when signed out",
    responses=errors(401),
)
async def current_session(
    cookie: SessionCookieDep, response: Response, state: StateDep
) -> SessionPublic:
    found = await signed_in(state, cookie)
    if found is None:
        raise Unauthorized(
            "not signed in: the session cookie is missing, expired, from another API key, or "
            "its API key was revoked",
            "sign in with POST /api/session",
        )
    return _public(*found, response)


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
