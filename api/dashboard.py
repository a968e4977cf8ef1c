"""Serves the dashboard's built bundle (Vite: index.html + hashed files under assets/) at `/`.

It answers only what no route answered: it is the router's fallback, not a route, so every
path the app serves (`/api`, `/docs`, `/redoc`, `/openapi.json`, `/healthz`, `/webhooks`,
`/u`) keeps its own answers, including 404s and 405s, and the OpenAPI document lists nothing
of it. A GET for any other path that is not a file of the bundle is a client-side route
(`/leads/42`) and gets index.html.

- assets/ are content-hashed, so cached for a year (`immutable`); index.html is `no-cache`
  (revalidated every load), so a new build is picked up at once. A missing asset is a 404,
  never index.html (a browser would try to run the page as a script).
- Paths are resolved inside the bundle directory and anything that leaves it (`..`, a
  symlink out, a dotfile) is a 404.
- Every answer carries a strict Content-Security-Policy (no inline script or style, no eval,
  no framing) and its companions; Swagger UI at /docs is not ours and keeps its own headers.
- No bundle (a checkout without a build): 503 with how to build one, and the API still works.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

BUNDLED = Path(__file__).parent / "static" / "dashboard"

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
IMMUTABLE = "public, max-age=31536000, immutable"
# Served by the app itself; the dashboard never answers for them.
RESERVED = ("/api", "/docs", "/redoc", "/openapi.json", "/healthz", "/webhooks", "/u")

_NOT_BUILT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>SalesPad: dashboard not built</title></head>
<body><h1>The dashboard is not built</h1>
<p>Build it with <code>make dashboard</code> (Node.js and npm needed), then reload this page.</p>
<p>The JSON API works without it: <a href="/docs">/docs</a>.</p>
</body></html>
"""


def install_dashboard(app: FastAPI, directory: Path) -> None:
    """Make the bundle in `directory` the app's answer to any GET that no route matched."""
    not_found = app.router.default

    async def dashboard(scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if (
            scope["type"] != "http"
            or scope["method"] not in ("GET", "HEAD")
            or any(path == p or path.startswith(p + "/") for p in RESERVED)
        ):
            await not_found(scope, receive, send)
            return
        await _respond(directory, path)(scope, receive, send)

    app.router.default = dashboard


def _respond(directory: Path, path: str) -> Response:
    index = directory / "index.html"
    if not index.is_file():
        return HTMLResponse(_NOT_BUILT, status_code=503, headers=_headers("no-store"))
    segments = [segment for segment in path.split("/") if segment]
    if any(s.startswith(".") or "\\" in s or "\x00" in s for s in segments):
        return _not_found()  # `..`, `.env`, a Windows separator: nothing of ours
    asset = bool(segments) and segments[0] == "assets"
    if segments:
        root = directory.resolve()
        candidate = root.joinpath(*segments).resolve()
        if candidate.is_relative_to(root) and candidate.is_file():
            return FileResponse(candidate, headers=_headers(IMMUTABLE if asset else "no-cache"))
        if asset or not candidate.is_relative_to(root):
            return _not_found()
    return FileResponse(index, media_type="text/html", headers=_headers("no-cache"))


def _not_found() -> Response:
    return PlainTextResponse("not found", status_code=404, headers=_headers("no-cache"))


def _headers(cache_control: str) -> dict[str, str]:
    return {**SECURITY_HEADERS, "Cache-Control": cache_control}


class NoSniff:
    """`X-Content-Type-Options: nosniff` on every answer under the given prefixes (the JSON
    API): a browser never reads an API body as something other than its declared type."""

    def __init__(self, app: ASGIApp, *, prefixes: tuple[str, ...]) -> None:
        self.app = app
        self.prefixes = prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefixes):
            await self.app(scope, receive, send)
            return

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    h
                    for h in message.get("headers", [])
                    if h[0].lower() != b"x-content-type-options"
                ]
                message = {
                    **message,
                    "headers": [*headers, (b"x-content-type-options", b"nosniff")],
                }
            await send(message)

        await self.app(scope, receive, send_with_header)
