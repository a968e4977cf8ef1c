"""Every `workflow.patched` id of the interpreter, in one place.

Interpreter changes that alter its commands go behind workflow.patched, so leads already in
flight replay the way they ran (tests/histories/ proves it on every test run).
"""

from __future__ import annotations

# PauseReason search attribute set while paused and unset on resume.
PAUSE_REASON = "pause-reason-search-attribute"
