"""The command line every benchmark shares: its size (`--leads`), a time limit, the machine
line, and the stack it runs on."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from _harness.stack import Stack, local_stack, machine, run

Measure = Callable[[argparse.Namespace, Stack], Coroutine[Any, Any, None]]


def bench_main(
    doc: str | None,
    measure: Measure,
    *,
    leads: int | None,
    timeout: float,
    dev_server: bool = True,
    options: Callable[[argparse.ArgumentParser], object] | None = None,
) -> None:
    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    if leads is not None:
        parser.add_argument("--leads", type=int, default=leads, help=f"default {leads:,}")
    parser.add_argument("--timeout", type=float, default=timeout, help="give up after (seconds)")
    if options is not None:
        options(parser)
    args = parser.parse_args()
    print(machine(), flush=True)
    with local_stack(dev_server=dev_server) as stack:
        run(measure(args, stack), args.timeout)
    # Done and the stack is down. Leave without the interpreter's finalization: the Temporal
    # SDK's native threads can abort it ("PyGILState_Release ... finalizing", seen after
    # bench/reply_latency.py at 5,000 leads), which would fail `make bench` after the figures.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
