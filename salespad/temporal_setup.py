"""`salespad temporal setup`: the namespace and search attributes on the configured Temporal.

Exit status: 0 when the namespace and every search attribute are in place (verified), and also
when the server would not even list the search attributes (nothing known to be missing: the
steps are printed as a reminder, with a warning); 1 when something is known to be missing and
the server refused to add it (the steps to do by hand are printed; run it again after them: it
verifies and exits 0), or nothing at all could be verified, or Temporal did not answer; 2 on a
configuration error (one line naming the setting).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

from config.settings import Settings
from config.temporal import SetupResult, TemporalConfigError, connect, setup_temporal

CONNECT_TIMEOUT = 15.0


def report(result: SetupResult, retention: timedelta) -> tuple[int, list[str]]:
    """The exit status and the lines to print for `result`."""
    ns = result.namespace
    lines: list[str] = []
    if result.namespace_registered:
        lines.append(f"namespace {ns}: registered (retention {retention.days} days)")
    elif result.namespace_verified:
        lines.append(f"namespace {ns}: exists")
    else:
        lines.append(f"namespace {ns}: could not be verified")
    if result.added:
        lines.append(f"search attributes added: {', '.join(result.added)}")
    if result.present:
        lines.append(f"search attributes already there: {', '.join(result.present)}")
    for refusal in result.refusals:
        lines.append(f"the server refused {refusal}")
    if result.complete:
        lines.append("Temporal is ready for SalesPad")
        return 0, lines
    nothing_verified = not result.namespace_verified and not result.attributes_verified
    if result.attributes_verified or nothing_verified:
        lines.append(
            "error: SalesPad's workflows need what is missing; do these steps, then run "
            "`salespad temporal setup` again to verify:"
        )
        code = 1
    else:
        lines.append(
            "warning: this identity may not list search attributes, so they were not checked; "
            "make sure these steps were done once:"
        )
        code = 0
    lines += result.manual
    return code, lines


async def run_setup(settings: Settings, echo: Callable[[str], None]) -> int:
    retention = timedelta(days=settings.temporal_retention_days)
    echo(f"Temporal at {settings.temporal_target}, namespace {settings.temporal_namespace}")
    try:
        client = await asyncio.wait_for(connect(settings), CONNECT_TIMEOUT)
    except TemporalConfigError:
        raise
    except Exception as exc:
        echo(f"error: Temporal did not answer at {settings.temporal_target}: {exc}")
        return 1
    result = await setup_temporal(client, settings.temporal_namespace, retention)
    code, lines = report(result, retention)
    for line in lines:
        echo(line)
    return code
