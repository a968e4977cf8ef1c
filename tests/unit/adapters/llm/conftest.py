"""A fake OpenAI-compatible server per test, and a port nothing listens on."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from salespad.local import free_port
from tests.fakes.openai import FakeOpenAI


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def refused_url() -> str:
    """A 127.0.0.1 URL whose port was just free, so connecting to it is refused."""
    return f"http://127.0.0.1:{free_port()}/v1"
