"""`salespad dev` shows the API's and the worker's output on the terminal and also keeps it in
.salespad/logs/, across restarts; a change under sequences/ restarts them on the new sequences."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from salespad.dev import Child

pytestmark = pytest.mark.unit

SCRIPT = "import sys; print('hello from the child'); print('and its stderr', file=sys.stderr)"


def _wait_for(path: Path, lines: int) -> str:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        text = path.read_text() if path.exists() else ""
        if text.count("\n") >= lines:
            return text
        time.sleep(0.05)
    raise AssertionError(f"{path} has {text!r}")


def test_a_teed_child_writes_to_the_terminal_and_its_log(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "logs" / "worker.log"
    log.parent.mkdir()
    child = Child("worker", [sys.executable, "-c", SCRIPT], dict(os.environ), log=log, tee=True)
    child.start()
    assert child.proc is not None and child.proc.wait(20) == 0
    text = _wait_for(log, 2)
    assert "hello from the child\n" in text and "and its stderr\n" in text
    time.sleep(0.2)  # the copying thread flushes the terminal before the file
    shown = capfd.readouterr().out
    assert "hello from the child" in shown and "and its stderr" in shown

    child.start()  # a restart appends
    assert child.proc.wait(20) == 0
    assert _wait_for(log, 4).count("hello from the child") == 2


def test_a_child_without_tee_writes_only_to_its_log(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "temporal.log"
    child = Child("temporal", [sys.executable, "-c", SCRIPT], dict(os.environ), log=log)
    child.start()
    assert child.proc is not None and child.proc.wait(20) == 0
    assert "hello from the child" in _wait_for(log, 2)
    assert "hello from the child" not in capfd.readouterr().out


def test_the_sequence_watch_sees_a_file_added_edited_or_removed(tmp_path: Path) -> None:
    from salespad.dev import SequenceWatch

    (tmp_path / "demo.py").write_text("A = 1\n")
    watch = SequenceWatch(tmp_path)
    assert not watch.changed()
    (tmp_path / "new_one.py").write_text("B = 2\n")
    assert watch.changed() and not watch.changed()
    os.utime(tmp_path / "demo.py", ns=(0, time.time_ns() + 1_000_000_000))
    assert watch.changed()
    (tmp_path / "notes.txt").write_text("not a module")
    assert not watch.changed()
    (tmp_path / "new_one.py").unlink()
    assert watch.changed()


def _sleeper(name: str) -> Child:
    return Child(name, [sys.executable, "-c", "import time; time.sleep(60)"], dict(os.environ))


def test_changed_sequences_restart_the_api_and_worker_when_they_validate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from config.settings import Settings
    from salespad import dev
    from salespad.dev import DevStack

    stack = DevStack(Settings(_env_file=None, data_dir=tmp_path))  # type: ignore[call-arg]
    stack.children = [_sleeper("worker"), _sleeper("api")]
    try:
        for child in stack.children:
            child.start()
        before = [c.proc.pid for c in stack.children if c.proc]
        stack.reload_sequences()  # the real `salespad sequences validate` passes on ours
        after = [c.proc.pid for c in stack.children if c.proc]
        assert all(c.alive() for c in stack.children)
        assert set(before).isdisjoint(after)
        assert "restarting the API and the worker" in capsys.readouterr().err

        # A sequence that does not validate: said, and the running processes are kept.
        monkeypatch.setattr(
            dev, "sequences_valid", lambda env: (False, "sequence 'x': step 2: the body is empty")
        )
        stack.reload_sequences()
        assert [c.proc.pid for c in stack.children if c.proc] == after
        err = capsys.readouterr().err
        assert "step 2: the body is empty" in err and "keep the previous sequences" in err
    finally:
        for child in stack.children:
            child.stop(timeout=5)
