"""A fake SendGrid v3 Mail Send endpoint (`POST /v3/mail/send`).

Behaves like the real one where our adapter cares: bearer auth, 202 with `X-Message-Id`, and the
`{"errors": [{"message", "field", "help"}]}` error body.
"""

from __future__ import annotations

import itertools
from typing import Any

from tests.fakes.http_server import FakeHTTPServer, RecordedRequest, ScriptedResponse

MAIL_SEND_PATH = "/v3/mail/send"


def error_body(message: str, field: str | None = None) -> dict[str, Any]:
    return {"errors": [{"message": message, "field": field, "help": None}]}


class FakeSendGrid(FakeHTTPServer):
    def __init__(self, api_key: str = "SG.test-key") -> None:
        super().__init__(self._respond)
        self.api_key = api_key
        self.message_ids: list[str] = []
        self._counter = itertools.count(1)

    def mail_sends(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == MAIL_SEND_PATH]

    def fail_next(
        self,
        status: int,
        message: str = "scripted failure",
        *,
        retry_after: str | None = None,
        field: str | None = None,
        latency: float = 0.0,
    ) -> None:
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        self.enqueue(
            ScriptedResponse(
                status=status, headers=headers, body=error_body(message, field), latency=latency
            )
        )

    def _respond(self, request: RecordedRequest) -> ScriptedResponse:
        if request.path != MAIL_SEND_PATH or request.method != "POST":
            return ScriptedResponse(status=404, body=error_body("not found"))
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return ScriptedResponse(
                status=401,
                body=error_body("The provided authorization grant is invalid, expired, or revoked"),
            )
        problem = _validate(request.json)
        if problem is not None:
            return ScriptedResponse(status=400, body=error_body(*problem))
        message_id = f"fake{next(self._counter):04d}Qx9sT2bWkR"
        self.message_ids.append(message_id)
        return ScriptedResponse(status=202, headers={"X-Message-Id": message_id}, body=b"")


def _validate(payload: Any) -> tuple[str, str] | None:
    """The subset of SendGrid's request validation the adapter could plausibly get wrong."""
    if not isinstance(payload, dict):
        return ("Bad Request", "body")
    personalizations = payload.get("personalizations")
    if not personalizations or not all(p.get("to") for p in personalizations):
        return ("The personalizations field is required.", "personalizations")
    if not (payload.get("from") or {}).get("email"):
        return ("The from object must be provided for every email send.", "from")
    if not payload.get("subject") and not any(p.get("subject") for p in personalizations):
        return ("The subject is required.", "subject")
    contents = payload.get("content") or []
    if not contents and not payload.get("template_id"):
        return ("Unless a valid template_id is provided, content is required.", "content")
    if contents and contents[0].get("type") != "text/plain":
        return ("text/plain must come first.", "content.0.type")
    for name, value in (payload.get("headers") or {}).items():
        if not isinstance(value, str):
            return (f"header {name} must be a string", "headers")
    for p in personalizations:
        for name, value in (p.get("custom_args") or {}).items():
            if not isinstance(value, str):
                return (f"custom arg {name} must be a string", "personalizations.custom_args")
    return None
