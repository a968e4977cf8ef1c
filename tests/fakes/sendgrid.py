"""A fake SendGrid v3 Mail Send endpoint (`POST /v3/mail/send`).

Behaves like the real one where our adapter cares: bearer auth, 202 with `X-Message-Id`, and the
`{"errors": [{"message", "field", "help"}]}` error body.
"""

from __future__ import annotations

import itertools
import random
import threading
from dataclasses import dataclass
from typing import Any

from tests.fakes.http_server import FakeHTTPServer, RecordedRequest, ScriptedResponse

MAIL_SEND_PATH = "/v3/mail/send"


def error_body(message: str, field: str | None = None) -> dict[str, Any]:
    return {"errors": [{"message": message, "field": field, "help": None}]}


FAULT_KINDS = ("429", "500", "timeout", "reset")


@dataclass
class Faults:
    """A storm: `rate` of valid sends fail, each with one of `kinds` drawn at random:
    429 (with Retry-After) and 500 refuse the message; "timeout" accepts it and answers only
    after `hang` seconds (longer than the client waits); "reset" accepts it and then resets the
    connection without answering. `latency` delays every answer (a wider window for killing
    the client between the provider call and its commit)."""

    rate: float = 0.0
    kinds: tuple[str, ...] = FAULT_KINDS
    seed: int = 0
    hang: float = 5.0
    latency: float = 0.0
    retry_after: str = "1"


class FakeSendGrid(FakeHTTPServer):
    def __init__(self, api_key: str = "SG.test-key", faults: Faults | None = None) -> None:
        super().__init__(self._respond)
        self.api_key = api_key
        self.message_ids: list[str] = []
        # Every send the provider took (answered 202, or accepted before a timeout or reset):
        # what the recipients get, whatever the client heard.
        self.accepted: list[RecordedRequest] = []
        self.faults = faults or Faults()
        self.injected: dict[str, int] = dict.fromkeys(FAULT_KINDS, 0)
        self._random = random.Random(self.faults.seed)
        self._counter = itertools.count(1)
        self._accept_lock = threading.Lock()

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
        faults = self.faults
        with self._accept_lock:
            fault = (
                self._random.choice(faults.kinds) if self._random.random() < faults.rate else None
            )
            if fault is not None:
                self.injected[fault] += 1
            if fault in ("429", "500"):
                status = int(fault)
                headers = {"Retry-After": faults.retry_after} if status == 429 else {}
                return ScriptedResponse(
                    status=status, headers=headers, body=error_body("storm"), latency=faults.latency
                )
            message_id = f"fake{next(self._counter):04d}Qx9sT2bWkR"
            self.message_ids.append(message_id)
            self.accepted.append(request)
        accepted = ScriptedResponse(
            status=202, headers={"X-Message-Id": message_id}, body=b"", latency=faults.latency
        )
        if fault == "timeout":
            accepted.latency = faults.hang
        elif fault == "reset":
            accepted.reset = True
        return accepted


def send_key(request: RecordedRequest) -> tuple[str, int]:
    """(lead id, step) of a mail send, from the custom args our adapter sets."""
    args = request.json["personalizations"][0]["custom_args"]
    return args["lead_id"], int(args["step"])


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
