"""Fixtures: local fake provider servers and a port nothing listens on."""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator

import pytest

from salespad.local import free_port
from tests.fakes.sendgrid import FakeSendGrid
from tests.fakes.twilio import FakeTwilio


@pytest.fixture
def fake_sendgrid() -> Iterator[FakeSendGrid]:
    with FakeSendGrid() as server:
        yield server


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    with FakeTwilio() as server:
        yield server


@pytest.fixture
def refused_url() -> str:
    """A 127.0.0.1 URL whose port was just free, so connecting to it is refused."""
    return f"http://127.0.0.1:{free_port()}"


class DropAfterRequest:
    """A server that reads each whole request, then closes the connection without an answer
    (with `reset`, an RST): the request went out, so the provider may have acted on it."""

    def __init__(self, reset: bool) -> None:
        self.reset = reset
        self.requests = 0
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}"

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            with conn:
                data = b""
                while b"\r\n\r\n" not in data and (chunk := conn.recv(65536)):
                    data += chunk
                head, _, body = data.partition(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":", 1)[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length:")
                    ),
                    0,
                )
                while len(body) < length and (chunk := conn.recv(65536)):
                    body += chunk
                self.requests += 1
                if self.reset:
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    def close(self) -> None:
        self._sock.close()


@pytest.fixture(params=[False, True], ids=["closed", "reset"])
def drops_after_request(request: pytest.FixtureRequest) -> Iterator[DropAfterRequest]:
    server = DropAfterRequest(reset=request.param)
    yield server
    server.close()
