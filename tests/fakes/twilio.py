"""A fake Twilio Programmable Messaging endpoint (`/2010-04-01/Accounts/{sid}/Messages.json`).

Checks HTTP basic auth, answers 201 with a message resource shaped like Twilio's, and can be
scripted to fail with Twilio's error body `{"code", "message", "more_info", "status"}`.
"""

from __future__ import annotations

import base64
import re
import secrets
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from tests.fakes.http_server import FakeHTTPServer, RecordedRequest, ScriptedResponse

ACCOUNT_SID = "AC" + "0" * 30 + "01"
AUTH_TOKEN = "test-auth-token"
_MESSAGES_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<sid>AC[0-9a-f]{32})/Messages\.json$")


def error_body(code: int, message: str, status: int) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


class FakeTwilio(FakeHTTPServer):
    def __init__(self, account_sid: str = ACCOUNT_SID, auth_token: str = AUTH_TOKEN) -> None:
        super().__init__(self._respond)
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.message_sids: list[str] = []

    def message_creates(self) -> list[RecordedRequest]:
        return [r for r in self.requests if _MESSAGES_PATH.match(r.path) and r.method == "POST"]

    def fail_next(
        self,
        code: int,
        message: str = "scripted failure",
        *,
        status: int = 400,
        retry_after: str | None = None,
        latency: float = 0.0,
    ) -> None:
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        self.enqueue(
            ScriptedResponse(
                status=status,
                headers=headers,
                body=error_body(code, message, status),
                latency=latency,
            )
        )

    def _respond(self, request: RecordedRequest) -> ScriptedResponse:
        match = _MESSAGES_PATH.match(request.path)
        if match is None or request.method != "POST":
            return ScriptedResponse(
                status=404, body=error_body(20404, "The requested resource was not found", 404)
            )
        if not self._authorized(request) or match["sid"] != self.account_sid:
            return ScriptedResponse(status=401, body=error_body(20003, "Authenticate", 401))
        to, sender = request.form_value("To"), request.form_value("From")
        service = request.form_value("MessagingServiceSid")
        body, content_sid = request.form_value("Body"), request.form_value("ContentSid")
        if not to:
            return ScriptedResponse(
                status=400, body=error_body(21604, "A 'To' phone number is required.", 400)
            )
        if not sender and not service:
            return ScriptedResponse(
                status=400, body=error_body(21603, "A 'From' phone number is required.", 400)
            )
        if not body and not content_sid and not request.form_value("MediaUrl"):
            return ScriptedResponse(
                status=400, body=error_body(21602, "Message body is required.", 400)
            )
        sid = "SM" + secrets.token_hex(16)
        self.message_sids.append(sid)
        return ScriptedResponse(status=201, body=self._message(sid, to, sender, service, body))

    def _authorized(self, request: RecordedRequest) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return request.headers.get("Authorization") == f"Basic {expected}"

    def _message(
        self, sid: str, to: str, sender: str | None, service: str | None, body: str | None
    ) -> dict[str, Any]:
        now = format_datetime(datetime.now(UTC), usegmt=True)
        uri = f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}"
        return {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "body": body or "",
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": sender,
            "messaging_service_sid": service,
            "num_media": "0",
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "accepted" if service else "queued",
            "subresource_uris": {"media": f"{uri}/Media.json"},
            "to": to,
            "uri": f"{uri}.json",
        }
