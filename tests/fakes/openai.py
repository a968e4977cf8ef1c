"""A fake OpenAI-compatible chat completions endpoint (`POST /v1/chat/completions`).

It behaves like the real one where our adapters care: bearer auth, the `chat.completion` body
with `message.content` / `message.refusal`, the `{"error": {...}}` error body, `retry-after` and
`retry-after-ms` headers. Outputs come from a scripted queue, so each test says exactly what the
"model" answers. A scripted JSON object that misses a property the request's strict schema
requires is answered with a 400 naming it: a real strict-mode server could never produce it, so
it means the test and the adapter's output model disagree.
"""

from __future__ import annotations

import itertools
import json
from collections import deque
from dataclasses import dataclass
from typing import Any

from tests.fakes.http_server import FakeHTTPServer, RecordedRequest, ScriptedResponse

CHAT_PATH = "/v1/chat/completions"


def error_body(message: str, type_: str, code: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": None, "code": code}}


@dataclass
class _Output:
    content: str | None = None
    refusal: str | None = None
    finish_reason: str = "stop"


@dataclass(frozen=True)
class ChatCall:
    """What one request asked for, in the shape tests assert on."""

    model: str
    messages: list[dict[str, Any]]
    response_format: dict[str, Any] | None
    authorization: str | None

    def content_of(self, role: str) -> str:
        return "\n".join(str(m.get("content")) for m in self.messages if m.get("role") == role)

    @property
    def schema(self) -> dict[str, Any]:
        return dict((self.response_format or {}).get("json_schema", {}).get("schema", {}))


class FakeOpenAI(FakeHTTPServer):
    def __init__(self, api_key: str = "sk-test-key") -> None:
        super().__init__(self._respond)
        self.api_key = api_key
        self._queue: deque[_Output | ScriptedResponse] = deque()
        self._ids = itertools.count(1)

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    # --- scripting ------------------------------------------------------------------------------

    def reply_json(self, payload: dict[str, Any]) -> None:
        """The model answers with this object as its JSON content."""
        self._push(_Output(content=json.dumps(payload)))

    def reply_content(self, content: str, *, finish_reason: str = "stop") -> None:
        """The model answers with this raw content (malformed JSON, prose, a cut-off object)."""
        self._push(_Output(content=content, finish_reason=finish_reason))

    def refuse(self, refusal: str = "I'm sorry, I can't help with that.") -> None:
        self._push(_Output(refusal=refusal))

    def fail(
        self,
        status: int,
        message: str = "scripted failure",
        *,
        type_: str | None = None,
        code: str | None = None,
        retry_after: str | None = None,
        retry_after_ms: str | None = None,
        latency: float = 0.0,
    ) -> None:
        headers: dict[str, str] = {}
        if retry_after is not None:
            headers["retry-after"] = retry_after
        if retry_after_ms is not None:
            headers["retry-after-ms"] = retry_after_ms
        # The real API says explicitly whether retrying makes sense; the SDK obeys it when it
        # retries, and our adapters must not retry whatever it says.
        headers["x-should-retry"] = "true" if status == 429 or status >= 500 else "false"
        body = error_body(message, type_ or _ERROR_TYPES.get(status, "api_error"), code)
        self._push(ScriptedResponse(status=status, headers=headers, body=body, latency=latency))

    def _push(self, item: _Output | ScriptedResponse) -> None:
        with self._lock:
            self._queue.append(item)

    # --- inspection -----------------------------------------------------------------------------

    def calls(self) -> list[ChatCall]:
        return [
            ChatCall(
                model=str((r.json or {}).get("model")),
                messages=list((r.json or {}).get("messages") or []),
                response_format=(r.json or {}).get("response_format"),
                authorization=r.headers.get("Authorization"),
            )
            for r in self.requests
            if r.path == CHAT_PATH
        ]

    def last_call(self) -> ChatCall:
        calls = self.calls()
        assert calls, "no chat completion request reached the fake"
        return calls[-1]

    # --- the endpoint ---------------------------------------------------------------------------

    def _respond(self, request: RecordedRequest) -> ScriptedResponse:
        if request.path != CHAT_PATH or request.method != "POST":
            return ScriptedResponse(404, body=error_body("Unknown URL", "invalid_request_error"))
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return ScriptedResponse(
                401,
                body=error_body(
                    "Incorrect API key provided", "invalid_request_error", "invalid_api_key"
                ),
            )
        if not isinstance(request.json, dict) or not request.json.get("messages"):
            return ScriptedResponse(
                400, body=error_body("messages is required", "invalid_request_error")
            )
        with self._lock:
            item = self._queue.popleft() if self._queue else None
        if item is None:
            return ScriptedResponse(500, body=error_body("fake: nothing scripted", "server_error"))
        if isinstance(item, ScriptedResponse):
            return item
        problem = _schema_mismatch(request.json.get("response_format"), item.content)
        if problem:
            return ScriptedResponse(400, body=error_body(problem, "invalid_request_error"))
        return ScriptedResponse(200, body=self._completion(str(request.json.get("model")), item))

    def _completion(self, model: str, output: _Output) -> dict[str, Any]:
        n = next(self._ids)
        return {
            "id": f"chatcmpl-fake{n:04d}",
            "object": "chat.completion",
            "created": 1_772_000_000 + n,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "content": output.content,
                        "refusal": output.refusal,
                    },
                    "logprobs": None,
                    "finish_reason": output.finish_reason,
                }
            ],
            "usage": {"prompt_tokens": 120, "completion_tokens": 30, "total_tokens": 150},
        }


_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    403: "permission_denied",
    404: "not_found_error",
    429: "rate_limit_exceeded",
}


def _schema_mismatch(response_format: Any, content: str | None) -> str | None:
    if not isinstance(response_format, dict) or response_format.get("type") != "json_schema":
        return None
    try:
        produced = json.loads(content or "")
    except ValueError:
        return None  # a malformed answer is scripted on purpose
    schema = response_format.get("json_schema", {}).get("schema", {})
    if not isinstance(produced, dict):
        return None
    missing = [p for p in schema.get("required", []) if p not in produced]
    extra = [p for p in produced if p not in schema.get("properties", {})]
    if missing or extra:
        return f"fake: scripted output does not fit the schema (missing {missing}, extra {extra})"
    return None
