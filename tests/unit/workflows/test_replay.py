"""Every committed history in tests/histories/ must replay on today's interpreter.

A change to the interpreter that would break a lead in flight fails here: put it behind
`workflow.patched(...)`. Re-record with SALESPAD_RECORD_HISTORIES=1 only when adding
scenarios, never to make a failing replay pass.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from worker import WORKFLOWS, workflow_runner

HISTORIES = sorted((Path(__file__).resolve().parents[2] / "histories").glob("*.json"))
TEXTS = {path.stem: path.read_text() for path in HISTORIES}


def test_histories_are_committed() -> None:
    assert len(HISTORIES) >= 6, "tests/histories/ lost its recorded histories"


@pytest.mark.parametrize("strict", [True, False], ids=["strict-sandbox", "shared-package"])
@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_history_replays(path: Path, strict: bool) -> None:
    """Under the strict sandbox (a nondeterministic call fails the replay) and under the one
    workers run by default (worker.workflow_runner: the package imported once)."""
    replayer = Replayer(
        workflows=WORKFLOWS,
        data_converter=pydantic_data_converter,
        workflow_runner=workflow_runner(strict=strict),
    )
    history = WorkflowHistory.from_json(path.stem, TEXTS[path.stem])
    await replayer.replay_workflow(history)
