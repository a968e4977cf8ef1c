"""`python -m salespad.pgguard PGDATA`: stop the PostgreSQL server of PGDATA when told to.

Embedded PostgreSQL daemonizes: nothing ties it to `salespad dev`, so a SIGKILLed supervisor
would leave it running. `salespad dev` starts this guard through salespad.deathsig, so the
guard gets SIGTERM when the supervisor dies, however it dies; it then asks the postmaster
named in PGDATA/postmaster.pid (whichever one runs now: the supervisor may have restarted it)
for a fast shutdown and waits for it to go.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

from salespad.local import _alive

STOP_WITHIN = 20.0


def postmaster_pid(pgdata: Path) -> int | None:
    try:
        return int((pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return None


def stop_postmaster(pgdata: Path, within: float = STOP_WITHIN) -> None:
    pid = postmaster_pid(pgdata)
    if pid is None or not _alive(pid):
        return
    try:
        os.kill(pid, signal.SIGINT)  # PostgreSQL's "fast" shutdown
    except ProcessLookupError:
        return
    deadline = time.monotonic() + within
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if _alive(pid):
        os.kill(pid, signal.SIGQUIT)  # "immediate": it recovers from the WAL on next start


def main() -> None:
    pgdata = Path(sys.argv[1])
    wanted = {signal.SIGTERM, signal.SIGINT, signal.SIGHUP}
    signal.pthread_sigmask(signal.SIG_BLOCK, wanted)
    signal.sigwait(wanted)
    stop_postmaster(pgdata)


if __name__ == "__main__":
    main()
