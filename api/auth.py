"""Who is calling, and may they call this route: the API key's scope, checked per route.

A caller is one of
- `Authorization: Bearer <SALESPAD_API_KEY>`: the dev / deployment key, scope ops, as always;
- `Authorization: Bearer sp_...`: a stored key (`salespad apikey create`), its own scope;
- the dashboard's session cookie (api.sessions): the scope of the key it was signed in with.

Scopes nest: read < write < ops. Every route under /api needs one (tests/unit/
test_api_scopes.py walks the app to prove it): the /api router's default, `scope_by_method`, asks
read for GET and HEAD and write for anything else, and a route that needs more says so with
`dependencies=[OPS]`. A caller whose scope falls short gets a 403 naming the scope needed.

Nothing is cached: every request with a stored key (or a session signed in with one) reads
that key's row, so a revoked key is refused by the next request. SALESPAD_API_KEY needs no
database read.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api import sessions
from api.deps import StateDep
from api.errors import Forbidden, Unauthorized
from services.api_keys import service as api_keys
from services.api_keys.schemas import SCOPE_ORDER, Scope, allows

_bearer = HTTPBearer(
    auto_error=False,
    description="SALESPAD_API_KEY (printed by salespad dev), or a key from `salespad apikey "
    "create` (sp_..., scope read, write or ops). A browser may send the dashboard's session "
    "cookie instead (POST /api/session), with X-CSRF-Token on POST, PUT, PATCH and DELETE",
)


@dataclass(frozen=True)
class Caller:
    scope: Scope
    # The stored key; None: SALESPAD_API_KEY.
    key_id: uuid.UUID | None = None
    key_name: str | None = None


async def check_key(state: StateDep, offered: str) -> Caller | None:
    """The caller a presented key is: SALESPAD_API_KEY (scope ops) or an active stored key."""
    if sessions.api_key_matches(state.settings, offered):
        return Caller("ops")
    if not api_keys.looks_like_key(offered):
        return None
    async with state.db.session() as db:
        found = await api_keys.authenticate(db, offered)
    return None if found is None else Caller(found.scope, found.id, found.name)


async def signed_in(state: StateDep, cookie: str | None) -> tuple[sessions.Session, Caller] | None:
    """The session a cookie carries and its caller, if the token is valid and the key it was
    signed in with is still active (read now, so a revoke ends it at once)."""
    session = sessions.current(state.settings, cookie)
    if session is None:
        return None
    if session.key_id is None:
        return session, Caller("ops")
    async with state.db.session() as db:
        found = await api_keys.active(db, session.key_id)
    if found is None:
        return None
    return session, Caller(found.scope, found.id, found.name)


async def current_caller(
    request: Request,
    state: StateDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    """The Bearer key (API clients), else the dashboard's session cookie, which on a
    state-changing method must come with its CSRF token and from this server's origin.

    The cookie is read from the request, not declared as a second security scheme: the
    document keeps one scheme per route (Bearer, whose description names the cookie), which
    is what API clients and the schema fuzz work from."""
    if credentials is not None:
        caller = await check_key(state, credentials.credentials)
        if caller is None:
            raise Unauthorized("invalid API key", "unknown or revoked; `salespad apikey list`")
        return caller
    cookie = request.cookies.get(sessions.COOKIE)
    if cookie is None:
        raise Unauthorized("missing API key: send `Authorization: Bearer <SALESPAD_API_KEY>`")
    found = await signed_in(state, cookie)
    if found is None:
        raise Unauthorized(
            "session expired or invalid: sign in again (POST /api/session)",
            "or send `Authorization: Bearer <SALESPAD_API_KEY>`",
        )
    session, caller = found
    if request.method not in sessions.SAFE_METHODS:
        sessions.require_same_origin(state.settings, request)
        sessions.require_csrf(session, request)
    return caller


CallerDep = Annotated[Caller, Depends(current_caller)]


def _refuse(caller: Caller, needed: Scope, request: Request) -> None:
    if not allows(caller.scope, needed):
        who = f"API key {caller.key_name!r}" if caller.key_name else "this key"
        raise Forbidden(
            f"{request.method} {request.url.path} needs an API key with scope {needed}; "
            f"{who} has scope {caller.scope}",
            "scopes: read (GET), write (read + changes), ops (everything); "
            "`salespad apikey create --scope`",
        )


def required_scope(method: str) -> Scope:
    """The default rule: reading needs read, anything else write."""
    return "read" if method.upper() in sessions.SAFE_METHODS else "write"


async def scope_by_method(request: Request, caller: CallerDep) -> Caller:
    """The /api router's dependency: an authenticated caller whose scope covers the route (its
    method's default, or what the route itself asks, so a 403 names the scope really needed)."""
    route = request.scope.get("route")
    own = route_scope(route.dependant, ()) if isinstance(route, APIRoute) else None
    needed = required_scope(request.method)
    _refuse(caller, _strictest([needed, own] if own else [needed]), request)
    return caller


def _strictest(scopes: list[Scope]) -> Scope:
    return max(scopes, key=SCOPE_ORDER.index)


def route_scope(dependant: Dependant, methods: Iterable[str]) -> Scope | None:
    """The scope a route needs (the strictest of its checks, given its dependencies and
    methods), None if nothing checks one."""
    needed: list[Scope] = []
    pending = list(dependant.dependencies)
    while pending:
        dependant = pending.pop()
        pending.extend(dependant.dependencies)
        if dependant.call is scope_by_method:
            needed += [required_scope(method) for method in methods]
        elif (own := getattr(dependant.call, "required_scope", None)) is not None:
            needed.append(own)
    return _strictest(needed) if needed else None


ScopeCheck = Callable[[Request, Caller], Coroutine[Any, Any, Caller]]


def require_scope(scope: Scope) -> ScopeCheck:
    """A route's own, stricter need (`dependencies=[Depends(require_scope("ops"))]`)."""

    async def check(request: Request, caller: CallerDep) -> Caller:
        _refuse(caller, scope, request)
        return caller

    check.required_scope = scope  # type: ignore[attr-defined]
    return check


ApiKeyDep = Depends(scope_by_method)
# Channel configuration, webhook subscriptions, answering dead letters, unmatched replies.
OPS = Depends(require_scope("ops"))
