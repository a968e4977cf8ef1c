"""Every `workflow.patched` id of the interpreter, in one place.

Interpreter changes that alter its commands go behind workflow.patched, so leads already in
flight replay the way they ran (tests/histories/ proves it on every test run).
"""

from __future__ import annotations

# PauseReason search attribute set while paused and unset on resume.
PAUSE_REASON = "pause-reason-search-attribute"

# A leaner history (issue 11): the lead's facts come in the input instead of an activity;
# search attributes set at start are known, and every change in one workflow task goes out
# as one upsert; the last send records the enrollment's end; the reply Update may answer as
# soon as the sequence holds the reply.
LEAN_HISTORY = "lean-history"
