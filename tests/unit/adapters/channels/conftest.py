"""Fixtures: local fake provider servers and a port nothing listens on."""

from __future__ import annotations

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
