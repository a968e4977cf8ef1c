"""`/u/{token}`: the List-Unsubscribe target.

POST is RFC 8058 one-click: the mailbox provider posts without the user seeing anything, so it
needs no auth and no confirmation and answers 200. GET only shows a confirm button: link
scanners and previews fetch URLs from mail, and a GET that unsubscribed would unsubscribe people
who never clicked.
"""

from __future__ import annotations

import html
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from api.deps import SessionDep, StateDep
from services.channels.tokens import verify_unsubscribe_token
from services.channels.unsubscribe import unsubscribe_lead

router = APIRouter(prefix="/u", tags=["unsubscribe"])
_INVALID_TEXT = "The token was not made by this installation (an HTML page says what to do)"

# The token is a credential for one lead: keep it out of caches, referrers and search engines.
_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
}
_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>body{{font-family:sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}}
button{{font-size:1rem;padding:.6rem 1.2rem}}</style></head>
<body><h1>{title}</h1>{body}</body></html>
"""


def _page(title: str, body: str, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(
        _PAGE.format(title=html.escape(title), body=body), status_code=status_code, headers=_HEADERS
    )


def _invalid() -> HTMLResponse:
    return _page(
        "Link not valid",
        "<p>This unsubscribe link is not valid. Reply to the email with “unsubscribe” and we "
        "will take you off the list.</p>",
        status_code=404,
    )


_INVALID: dict[int | str, dict[str, Any]] = {
    404: {"description": _INVALID_TEXT, "content": {"text/html": {}}}
}


@router.get(
    "/{token}",
    response_class=HTMLResponse,
    summary="Unsubscribe page (confirm button)",
    responses=_INVALID,
)
async def confirm_page(token: str, state: StateDep) -> HTMLResponse:
    if verify_unsubscribe_token(state.settings.secret_key.get_secret_value(), token) is None:
        return _invalid()
    action = html.escape(f"/u/{token}", quote=True)
    return _page(
        "Unsubscribe",
        "<p>Stop receiving emails from us?</p>"
        f'<form method="post" action="{action}">'
        '<input type="hidden" name="List-Unsubscribe" value="One-Click">'
        '<button type="submit">Unsubscribe</button></form>',
    )


@router.post(
    "/{token}",
    response_class=HTMLResponse,
    summary="One-click unsubscribe (RFC 8058): no auth, no confirmation",
    responses=_INVALID,
)
async def one_click(token: str, state: StateDep, session: SessionDep) -> HTMLResponse:
    lead_id = verify_unsubscribe_token(state.settings.secret_key.get_secret_value(), token)
    if lead_id is None:
        return _invalid()
    # A deleted lead or a second click: answered the same, nothing changes.
    await unsubscribe_lead(session, state.workflows, lead_id)
    return _page("Unsubscribed", "<p>You will not receive further emails from us.</p>")
