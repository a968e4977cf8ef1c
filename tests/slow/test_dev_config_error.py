"""`salespad dev` with a broken channel configuration: one line saying what to set, once, no
traceback, no restarts, and nothing left running."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.processes import Stack

pytestmark = pytest.mark.slow

SECRET = "SG.test-secret-value"


def test_a_configuration_error_is_one_line_and_stops_the_stack(tmp_path: Path) -> None:
    stack = Stack(tmp_path / "data", {"SENDGRID_API_KEY": SECRET})
    env = {k: v for k, v in stack.env().items() if not k.startswith(("TWILIO_", "OPENAI_"))}
    env.pop("SENDGRID_FROM_EMAIL", None)
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "salespad.cli", "dev"],
        env=env,
        cwd=str(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    text = out.decode(errors="replace")
    assert proc.returncode == 2, text
    assert time.monotonic() - started < 60
    assert text.count("configuration error") == 1, text
    assert [ln for ln in text.splitlines() if "SENDGRID_FROM_EMAIL" in ln] == [text.strip()]
    assert "salespad dev: configuration error: SENDGRID_FROM_EMAIL: not set" in text
    assert "Traceback" not in text and "restarting" not in text
    assert SECRET not in text
    assert stack.leftovers() == []
