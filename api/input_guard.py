"""Refuses, before any route runs, what PostgreSQL cannot store or what would tie up the API:
a JSON body or query parameter with a NUL character or a lone surrogate (a 422 naming the
field, or the row of a list), a body sent as JSON that is not JSON (a 422 naming `body`), and a
JSON body over the size limit (a 413, read no further).

Every route is covered at once, including the text that only reaches the database later (a
stop reason travels through the lead's workflow into the event log). Multipart uploads
(imports) have limits of their own and are passed through.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.leads.schemas import unstorable_text


class InputGuard:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int, prefixes: tuple[str, ...]) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.prefixes = prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefixes):
            await self.app(scope, receive, send)
            return
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        problems = [p for name, value in query for p in _problems(value, f"query.{name}")]
        if problems:
            await _answer(send, 422, "invalid request", problems)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if "json" not in headers.get("content-type", ""):
            await self.app(scope, receive, send)
            return
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            await _answer(send, 413, self._too_large(), None)
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if len(body) > self.max_body_bytes:
                await _answer(send, 413, self._too_large(), None)
                return
            if not message.get("more_body", False):
                break
        try:
            data = json.loads(body) if body.strip() else None
        except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
            problem = {"field": "body", "message": f"not JSON: {exc}"[:300]}
            await _answer(send, 422, "invalid request", [problem])
            return
        problems = list(_problems(data, "body"))
        if problems:
            await _answer(send, 422, "invalid request", problems[:20])
            return
        await self.app(scope, _replay(body, receive), send)

    def _too_large(self) -> str:
        return (
            f"the request body is over {self.max_body_bytes:,} bytes "
            "(SALESPAD_API_MAX_BODY_BYTES): send big lead lists as a file to POST /api/imports"
        )


def _problems(value: Any, path: str) -> Iterator[dict[str, str]]:
    if isinstance(value, str):
        if problem := unstorable_text(value):
            yield {"field": path, "message": problem}
    elif isinstance(value, dict):
        for key, item in value.items():
            if problem := unstorable_text(key):
                yield {"field": f"{path}.{key!r}", "message": f"keys {problem}"}
            else:
                yield from _problems(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _problems(item, f"{path}[{index}]")


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # the disconnect, when it comes

    return replay


async def _answer(send: Send, status: int, error: str, detail: Any) -> None:
    payload = json.dumps({"error": error, "detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
