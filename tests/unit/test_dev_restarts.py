"""`salespad dev` brings dead parts back after a growing pause, and gives up on a crash loop."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from config.checks import CONFIG_ERROR_EXIT
from config.settings import Settings
from salespad.dev import Child, DevStack, Restarts

pytestmark = pytest.mark.unit


def test_restarts_back_off_then_give_up_on_a_crash_loop() -> None:
    r = Restarts()
    now = 1000.0
    pauses = []
    for _ in range(Restarts.LIMIT):
        assert r.due(now)
        assert r.record(now) is True
        pauses.append(r.next_at - now)
        assert not r.due(now)
        now = r.next_at
    assert pauses[:5] == [0.5, 1.0, 2.0, 4.0, 8.0] and max(pauses) == 8.0
    assert r.record(now) is False  # the eleventh within two minutes


def test_old_attempts_are_forgotten() -> None:
    r = Restarts()
    for t in range(Restarts.LIMIT):
        assert r.record(float(t))
    assert r.record(1000.0) is True  # the window has passed
    assert r.next_at == 1000.5


def _stack_with(tmp_path: Path, *scripts: str) -> DevStack:
    stack = DevStack(Settings(_env_file=None, data_dir=tmp_path))  # type: ignore[call-arg]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    stack.children = [
        Child(f"part{i}", [sys.executable, "-c", script], env) for i, script in enumerate(scripts)
    ]
    for child in stack.children:
        child.start()
    return stack


CONFIG_ERROR = (
    "import sys, time; print('some log line', file=sys.stderr); "
    "print('salespad worker: configuration error: SENDGRID_FROM_EMAIL: not set', "
    "file=sys.stderr); sys.exit(2)"
)


def test_a_configuration_error_stops_the_stack_and_is_said_once(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    # Two children hit the same error: the line still appears once, and nothing restarts.
    stack = _stack_with(tmp_path, CONFIG_ERROR, CONFIG_ERROR.replace("worker", "api"))
    try:
        for child in stack.children:
            assert child.proc is not None
            child.proc.wait(30)
        assert stack.supervise() == CONFIG_ERROR_EXIT
    finally:
        stack.shutdown()
    err = capfd.readouterr().err
    assert err.count("configuration error") == 1, err
    assert "salespad worker: configuration error: SENDGRID_FROM_EMAIL: not set" in err
    assert "some log line" in err  # the rest of a child's stderr is passed through
    assert "restarting" not in err


def test_exit_code_2_without_the_line_is_restarted_as_before(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    stack = _stack_with(tmp_path, "import sys; print('usage: ...', file=sys.stderr); sys.exit(2)")
    child = stack.children[0]
    assert child.proc is not None
    child.proc.wait(30)
    # As if it had crashed over and over: the supervisor takes the restart path and gives up
    # on a crash loop (exit 1), rather than treating the exit code alone as fatal.
    child.restarts.attempts = [time.monotonic()] * Restarts.LIMIT
    try:
        assert stack.supervise() == 1
    finally:
        stack.shutdown()
    err = capfd.readouterr().err
    assert "part0 keeps crashing; stopping" in err
    assert "usage: ..." in err
    assert "configuration error" not in err
