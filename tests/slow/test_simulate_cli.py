"""`salespad simulate` as a user runs it: the timeline and nothing else (no engine warnings
from the SDK core, which writes to the process's own stdout/stderr, out of pytest's reach)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_simulate_prints_the_timeline_and_no_warnings(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SALESPAD_")}
    done = subprocess.run(
        [sys.executable, "-m", "salespad.cli", "simulate", "demo"],
        cwd=tmp_path,  # no .env
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    lines = done.stdout.strip().splitlines()
    assert lines[0].startswith("simulating demo (")
    assert [line.split()[4:7] for line in lines[1:4]] == [
        ["step", "1", "EMAIL"],
        ["step", "3", "EMAIL"],
        ["step", "5", "EMAIL"],
    ]
    assert lines[-1] == "outcome: completed, 3 sends over 0.0 days"
    assert len(lines) == 6  # the header, three sends, a blank line, the outcome
    assert "WARN" not in done.stdout
