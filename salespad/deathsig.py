"""`python -m salespad.deathsig PARENT_PID COMMAND ...`: run COMMAND so that it dies with
its parent (Linux PR_SET_PDEATHSIG, kept across exec), and not at all if the parent is
already gone. `salespad dev` starts its children through it: the supervisor holds threads
(the Temporal client's runtime), and Python run between fork and exec there can deadlock."""

from __future__ import annotations

import ctypes
import os
import signal
import sys

_PR_SET_PDEATHSIG = 1


def main() -> None:
    parent, command = int(sys.argv[1]), sys.argv[2:]
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:  # it died before the line above took effect
            sys.exit(1)
    os.execvp(command[0], command)


if __name__ == "__main__":
    main()
