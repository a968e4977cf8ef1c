"""A small scriptable HTTP server on 127.0.0.1 for driving real provider SDKs in tests.

Real SDKs speak real HTTP to it, so tests exercise the SDK's own serialisation, auth and error
handling instead of a mock's idea of them. Only the standard library is used.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    # email.message.Message gives case-insensitive lookups, like real HTTP headers.
    headers: Message
    body: bytes
    json: Any = None
    form: dict[str, list[str]] | None = None

    def form_value(self, name: str) -> str | None:
        values = (self.form or {}).get(name)
        return values[0] if values else None


@dataclass
class ScriptedResponse:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    # dict/list bodies are sent as JSON; str/bytes as they are.
    body: Any = b""
    latency: float = 0.0
    # Fault injection: after `latency`, close the connection with a TCP reset instead of
    # answering (the request was read: the client cannot tell whether it was acted on).
    reset: bool = False

    def encoded_body(self) -> tuple[bytes, str | None]:
        if isinstance(self.body, bytes):
            return self.body, None
        if isinstance(self.body, str):
            return self.body.encode(), "text/plain; charset=utf-8"
        return json.dumps(self.body).encode(), "application/json"


Responder = Callable[[RecordedRequest], ScriptedResponse]


def _not_found(_request: RecordedRequest) -> ScriptedResponse:
    return ScriptedResponse(status=404, body={"error": "not found"})


class FakeHTTPServer:
    """Records every request; answers from the script queue first, then from `responder`."""

    def __init__(self, responder: Responder | None = None, *, port: int = 0) -> None:
        self.responder: Responder = responder or _not_found
        # 0: any free port. A fixed one lets a test bring a receiver up where it was down.
        self.port = port
        self.requests: list[RecordedRequest] = []
        # Requests read but not answered yet (a test can kill a client mid-request).
        self.in_flight = 0
        self._script: deque[ScriptedResponse] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("server is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def enqueue(self, *responses: ScriptedResponse) -> None:
        with self._lock:
            self._script.extend(responses)

    def start(self) -> None:
        handler = _make_handler(self)
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        self._server.daemon_threads = True
        # A client that timed out leaves a broken pipe behind; that is expected, not noise.
        self._server.handle_error = lambda request, client_address: None  # type: ignore[method-assign]
        # A short poll interval keeps shutdown() (and so each test's teardown) fast.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeHTTPServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _answer(self, request: RecordedRequest) -> ScriptedResponse:
        with self._lock:
            self.requests.append(request)
            self.in_flight += 1
            scripted = self._script.popleft() if self._script else None
        return scripted if scripted is not None else self.responder(request)

    def _answered(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def _sleep(self, seconds: float) -> None:
        # Wakes early on stop() so a slow scripted response never holds up teardown.
        self._stopping.wait(seconds)


def _parse(handler: BaseHTTPRequestHandler) -> RecordedRequest:
    length = int(handler.headers.get("Content-Length") or 0)
    body = handler.rfile.read(length) if length else b""
    split = urlsplit(handler.path)
    content_type = (handler.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    parsed_json: Any = None
    form: dict[str, list[str]] | None = None
    if content_type == "application/json" and body:
        try:
            parsed_json = json.loads(body)
        except ValueError:
            parsed_json = None
    elif content_type == "application/x-www-form-urlencoded":
        form = parse_qs(body.decode(), keep_blank_values=True)
    return RecordedRequest(
        method=handler.command,
        path=split.path,
        query=parse_qs(split.query, keep_blank_values=True),
        headers=handler.headers,
        body=body,
        json=parsed_json,
        form=form,
    )


def _make_handler(server: FakeHTTPServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            request = _parse(self)
            response = server._answer(request)
            try:
                self._respond(response)
            finally:
                server._answered()

        def _respond(self, response: ScriptedResponse) -> None:
            if response.latency:
                server._sleep(response.latency)
            if response.reset:
                # SO_LINGER with a zero timeout: close() sends RST, not FIN.
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.close_connection = True
                self.connection.close()
                return
            payload, default_type = response.encoded_body()
            self.send_response(response.status)
            headers: Mapping[str, str] = response.headers
            if default_type and not any(k.lower() == "content-type" for k in headers):
                self.send_header("Content-Type", default_type)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
