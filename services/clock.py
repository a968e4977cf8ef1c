"""The time an activity acts at.

Inside an activity, "now" is when the server scheduled this attempt: the wall clock in
production, and the skipped-ahead clock under Temporal's time-skipping test server, so caps,
windows and timestamps agree with the workflow's own timers in both worlds.
"""

from __future__ import annotations

from datetime import UTC, datetime

from temporalio import activity


def activity_now() -> datetime:
    if activity.in_activity():
        scheduled = activity.info().current_attempt_scheduled_time
        scheduled = scheduled if scheduled.tzinfo else scheduled.replace(tzinfo=UTC)
        if scheduled.timestamp() > 0:  # ActivityEnvironment in unit tests leaves it at epoch
            return scheduled
    return datetime.now(UTC)
