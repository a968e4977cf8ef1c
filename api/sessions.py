"""The dashboard's browser session: the API key is typed once into a sign-in form, exchanged
for an HttpOnly cookie, and never lives in the page, its storage or a URL.

Design: a stateless signed token, not a table of sessions.

    salespad_session = <session id>.<expiry, unix seconds>[.<API key id>].<HMAC-SHA256, base64url>

(the HMAC covers everything before it). Signed in with SALESPAD_API_KEY, the token carries no
key id and the session may do everything (scope ops), as before stored keys existed. Signed in
with a stored key (`salespad apikey create`), it carries that key's id: every request checks
the key is still active and takes its scope from it (api.auth), so revoking a key ends its
sessions at once and a session never holds more than its key.

- The signing key is derived from SALESPAD_API_KEY (HMAC-SHA256 of a fixed label under the
  key), so the cookie proves its holder knew the key, and rotating the key invalidates every
  session at once: the one way to revoke them all, and the thing to do after a leak.
- The CSRF token is derived too (HMAC of the session id under the same key): the server keeps
  nothing, any number of API processes agree, and no migration or clean-up job is needed.
- The cost, said plainly: signing out clears the cookie in that browser, but a copy of the
  token taken before would stay valid until it expires (SALESPAD_SESSION_HOURS, default 12).
  The cookie is HttpOnly and SameSite=Strict, so only malware or a proxy could take a copy;
  against those, rotate the API key.

Cookie requests are ambient credentials, so a state-changing one (POST, PUT, PATCH, DELETE)
must also carry `X-CSRF-Token` (the token sign-in returned; a cross-site page cannot read it)
and, if it names an `Origin`, this server's own. Bearer requests need neither: a browser never
attaches an Authorization header on its own.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from fastapi import Request, Response

from api.errors import Forbidden
from config.settings import Settings

COOKIE = "salespad_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_LABEL = b"salespad/dashboard-session/v1"
_TOKEN = re.compile(r"([A-Za-z0-9_-]{22})\.([0-9]{1,12})(?:\.([0-9a-f]{32}))?\.([A-Za-z0-9_-]{43})")


@dataclass(frozen=True)
class Session:
    session_id: str
    expires: int  # unix seconds
    csrf_token: str
    # The stored API key signed in with; None: SALESPAD_API_KEY.
    key_id: uuid.UUID | None = None

    @property
    def expires_at(self) -> datetime:
        return datetime.fromtimestamp(self.expires, UTC)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _signing_key(api_key: str) -> bytes:
    return hmac.new(api_key.encode("utf-8", "surrogateescape"), _LABEL, hashlib.sha256).digest()


def _mac(key: bytes, message: str) -> str:
    return _b64(hmac.new(key, message.encode(), hashlib.sha256).digest())


def _session(key: bytes, session_id: str, expires: int, key_id: uuid.UUID | None) -> Session:
    return Session(session_id, expires, _mac(key, f"csrf/{session_id}"), key_id)


def api_key_matches(settings: Settings, offered: str) -> bool:
    """Constant-time check of a key against SALESPAD_API_KEY; no key configured matches none."""
    expected = settings.api_key.get_secret_value() if settings.api_key else ""
    # Bytes: compare_digest refuses non-ASCII str, and a key with such characters is just wrong.
    given = offered.encode("utf-8", "surrogateescape")
    return bool(expected) and secrets.compare_digest(given, expected.encode())


def issue(
    api_key: str,
    lifetime_seconds: float,
    *,
    key_id: uuid.UUID | None = None,
    now: float | None = None,
) -> tuple[str, Session]:
    """A new session: the cookie value and what it stands for. `key_id`: the stored key signed
    in with (None: SALESPAD_API_KEY, which signs every token either way)."""
    key = _signing_key(api_key)
    session_id = _b64(secrets.token_bytes(16))
    expires = int((time.time() if now is None else now) + lifetime_seconds)
    body = f"{session_id}.{expires}" + (f".{key_id.hex}" if key_id else "")
    return f"{body}.{_mac(key, body)}", _session(key, session_id, expires, key_id)


def verify(api_key: str, token: str | None, *, now: float | None = None) -> Session | None:
    """The session a cookie value stands for, or None: malformed, forged, signed under another
    API key, or expired. (Whether its stored key is still active is api.auth's to check.)"""
    if not api_key or not token or not (match := _TOKEN.fullmatch(token)):
        return None
    session_id, expires, key_hex, mac = match.groups()
    key = _signing_key(api_key)
    body = f"{session_id}.{expires}" + (f".{key_hex}" if key_hex else "")
    if not hmac.compare_digest(mac, _mac(key, body)):
        return None
    if int(expires) <= (time.time() if now is None else now):
        return None
    return _session(key, session_id, int(expires), uuid.UUID(key_hex) if key_hex else None)


def current(settings: Settings, cookie: str | None) -> Session | None:
    """The valid session a cookie value carries under the configured API key, if any (its
    stored key's state aside: api.auth.signed_in checks that)."""
    api_key = settings.api_key.get_secret_value() if settings.api_key else ""
    return verify(api_key, cookie)


def require_same_origin(settings: Settings, request: Request) -> None:
    """403 when the request names an Origin other than this server (as the browser reached it,
    or SALESPAD_PUBLIC_URL behind a proxy). No Origin header: nothing to refuse; SameSite=Strict
    already kept the cookie off cross-site requests."""
    origin = request.headers.get("origin")
    if origin is None:
        return
    own = {request.headers.get("host", "").lower(), urlsplit(settings.public_url).netloc.lower()}
    parts = urlsplit(origin.strip())
    if parts.scheme not in ("http", "https") or parts.netloc.lower() not in own - {""}:
        raise Forbidden(
            f"cross-origin request refused: Origin {origin[:200]!r} is not this server",
            "the session cookie is accepted only from the dashboard this API serves",
        )


def require_csrf(session: Session, request: Request) -> None:
    """403 unless `X-CSRF-Token` is the session's token (compared in constant time)."""
    offered = request.headers.get(CSRF_HEADER, "").encode("utf-8", "surrogateescape")
    if not secrets.compare_digest(offered, session.csrf_token.encode()):
        raise Forbidden(
            f"missing or wrong {CSRF_HEADER}: send the csrf_token that POST or GET /api/session "
            f"returned as the {CSRF_HEADER} header",
            f"with the session cookie, every POST, PUT, PATCH and DELETE needs {CSRF_HEADER}",
        )


def set_cookie(settings: Settings, request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(settings.session_hours * 3600),
        path="/",
        secure=_secure(settings, request),
        httponly=True,
        samesite="strict",
    )


def clear_cookie(settings: Settings, request: Request, response: Response) -> None:
    response.delete_cookie(
        COOKIE, path="/", secure=_secure(settings, request), httponly=True, samesite="strict"
    )


def _secure(settings: Settings, request: Request) -> bool:
    return settings.session_cookie_secure or request.url.scheme == "https"
