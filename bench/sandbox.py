"""Workflow sandbox cost: worker CPU to create a workflow run and replay it, under the sandbox
`salespad worker` uses by default (worker.workflow_runner: the `workflows` package imported
once per process) and under the strict one (SALESPAD_WORKER_STRICT_SANDBOX=true: the package
re-imported for every run). A worker pays this for every new lead and for every sleeping lead
it wakes after evicting it from its cache (a reply, a timer).

Replays the committed `demo` history (tests/histories/demo_completed.json) N times per round
through one Replayer, rounds in the order strict, default, strict, default, and prints the
process CPU per replay. No server; never asserts.
Usage: .venv/bin/python bench/sandbox.py [--replays 60]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

from _harness.stack import machine
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from worker import WORKFLOWS, workflow_runner

HISTORY = Path(__file__).resolve().parents[1] / "tests" / "histories" / "demo_completed.json"


async def _round(strict: bool, text: str, replays: int) -> float:
    """CPU ms per replay of `replays` copies of the history through one Replayer."""
    replayer = Replayer(
        workflows=WORKFLOWS,
        data_converter=pydantic_data_converter,
        workflow_runner=workflow_runner(strict=strict),
    )

    async def histories() -> AsyncIterator[WorkflowHistory]:
        for i in range(replays):
            yield WorkflowHistory.from_json(f"lead-{i}", text)

    began = time.process_time()
    await replayer.replay_workflows(histories())
    return (time.process_time() - began) / replays * 1000


async def main(replays: int) -> None:
    text = HISTORY.read_text()
    await _round(False, text, 2)  # warm: imports, the converter's caches
    took: dict[bool, list[float]] = {True: [], False: []}
    for strict in (True, False, True, False):
        ms = await _round(strict, text, replays)
        took[strict].append(ms)
        name = "strict" if strict else "default"
        print(f"{name:8} {ms:5.1f} ms CPU per replay of demo ({replays} replays)", flush=True)
    strict, default = (sum(took[s]) / len(took[s]) for s in (True, False))
    saved = strict - default
    print(f"mean: strict {strict:.1f} ms, default {default:.1f} ms; the default saves "
          f"{saved:.1f} ms a run ({strict / default:.2f}x)")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--replays", type=int, default=60)
    args = parser.parse_args()
    print(machine(), flush=True)
    asyncio.run(main(args.replays))
