"""`salespad doctor`: one line per check (ok / warn / FAIL, what, and what to do), exit 1 on
any FAIL. The local checks (settings, channel shapes) live in config/checks.py, shared with
the worker and the API; the ones here talk to PostgreSQL and Temporal. No provider is called
and no secret is printed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

from sqlmodel import Session, col, select
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.service import RPCError, RPCStatusCode

from config.checks import Check, local_checks, row_checks
from config.settings import Settings
from config.temporal import connect
from models.db import redact_url, sync_engine
from models.mailboxes import Mailbox
from models.migrate import revisions
from models.secrets import SecretError, unseal
from models.tables import Channel
from salespad.local import database_url_for
from services.mailboxes.sending import has_own_credentials
from workflows.search_attributes import ALL_KEYS

TIMEOUT = 10.0
TYPE_NAMES = {0: "Text", 1: "Keyword", 2: "Int", 3: "Double", 4: "Bool", 5: "Datetime"}


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]


# -- PostgreSQL ----------------------------------------------------------------------------


def database_checks(settings: Settings) -> list[Check]:
    url = database_url_for(settings)
    if url is None:
        return [
            Check(
                "FAIL",
                "database",
                "SALESPAD_DATABASE_URL is not set (and no `salespad dev` stack in "
                f"{settings.data_dir}); set it, e.g. postgresql+psycopg://user:pass@host:5432/salespad",
            )
        ]
    where = redact_url(url)
    try:
        current, heads, known = revisions(url)
    except Exception as exc:
        return [
            Check(
                "FAIL",
                "database",
                f"cannot connect to {where} ({_first_line(exc)}); is PostgreSQL running and "
                "SALESPAD_DATABASE_URL right?",
            )
        ]
    checks = [Check("ok", "database", f"connected to {where}")]
    if current == heads:
        checks.append(Check("ok", "migrations", f"at head ({', '.join(sorted(heads))})"))
        checks += channel_row_checks(url, settings)
        checks += mailbox_checks(url, settings)
    elif not current:
        checks.append(
            Check("FAIL", "migrations", "the database has no schema yet; run `salespad migrate`")
        )
    elif current - known:
        unknown = ", ".join(sorted(current - known))
        checks.append(
            Check(
                "FAIL",
                "migrations",
                f"the database is at {unknown}, which this SalesPad does not know (a newer "
                "version migrated it); run the newer SalesPad",
            )
        )
    else:
        checks.append(
            Check(
                "FAIL",
                "migrations",
                f"the database is at {', '.join(sorted(current))}, head is "
                f"{', '.join(sorted(heads))}; run `salespad migrate`",
            )
        )
    return checks


def channel_row_checks(url: str, settings: Settings) -> list[Check]:
    """Channels configured over the API, decrypted with SALESPAD_SECRET_KEY as a worker would."""
    engine = sync_engine(url, connect_args={"connect_timeout": 5})
    try:
        with Session(engine) as session:
            rows = session.exec(
                select(Channel).where(Channel.enabled).order_by(Channel.type, Channel.provider)
            ).all()
            configs = [(r.type, r.provider, dict(r.config or {})) for r in rows]
    finally:
        engine.dispose()
    checks: list[Check] = []
    for channel_type, provider, sealed in configs:
        if provider == "outbox" or not sealed:
            continue
        try:
            config: dict[str, Any] = unseal(sealed, settings.secret_key.get_secret_value())
        except SecretError as exc:
            checks.append(Check("FAIL", f"channel {channel_type}/{provider}", str(exc)))
            continue
        checks += row_checks(channel_type, provider, config)
    return checks


def mailbox_checks(url: str, settings: Settings) -> list[Check]:
    """Mailboxes: their own credentials decrypted and checked as a worker would build them,
    and the paused ones named (nothing goes out from them)."""
    engine = sync_engine(url, connect_args={"connect_timeout": 5})
    try:
        with Session(engine) as session:
            boxes = list(session.exec(select(Mailbox).order_by(col(Mailbox.name))).all())
    finally:
        engine.dispose()
    checks: list[Check] = []
    for box in boxes:
        what = f"mailbox {box.name}"
        if box.state == "disabled":
            continue
        if box.state == "paused":
            why = f" ({box.paused_reason})" if box.paused_reason else ""
            checks.append(
                Check(
                    "warn",
                    what,
                    f"paused{why}: nothing goes out from it; resume it with "
                    f"POST /api/mailboxes/{box.name}/resume",
                )
            )
        try:
            config: dict[str, Any] = unseal(box.config, settings.secret_key.get_secret_value())
        except SecretError as exc:
            checks.append(Check("FAIL", what, str(exc)))
            continue
        if has_own_credentials(box):
            config |= {"from_email": box.address, "from_number": box.address}
            checks += row_checks(
                box.channel_type,
                str(box.provider),
                config,
                what=what,
                fix=f"fix it with PATCH /api/mailboxes/{box.name}",
            )
        elif box.state == "active":
            checks.append(Check("ok", what, f"sends from {box.address} through its channel"))
    return checks


# -- Temporal ------------------------------------------------------------------------------


async def temporal_checks(settings: Settings, within: float = TIMEOUT) -> list[Check]:
    address, namespace = settings.temporal_target, settings.temporal_namespace
    try:
        # Through the settings: the TLS and API key a cluster or Temporal Cloud needs.
        client = await asyncio.wait_for(connect(settings), within)
    except Exception as exc:
        why = _first_line(exc)
        if isinstance(exc, TimeoutError):
            why = f"no answer within {within:.0f}s"
        elif "refused" in str(exc).lower():
            why = "connection refused"
        return [
            Check(
                "FAIL",
                "Temporal",
                f"cannot reach {address} ({why}); start it (`salespad dev` runs "
                "one) or set SALESPAD_TEMPORAL_ADDRESS",
            )
        ]
    checks = [Check("ok", "Temporal", f"reachable at {address}")]
    try:
        await client.workflow_service.describe_namespace(
            DescribeNamespaceRequest(namespace=namespace), timeout=timedelta(seconds=within)
        )
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            detail = (
                f"{namespace!r} does not exist; create it (`temporal operator namespace create "
                f"--namespace {namespace}`) or set SALESPAD_TEMPORAL_NAMESPACE"
            )
        else:
            detail = f"cannot describe {namespace!r} ({_first_line(exc)})"
        return [*checks, Check("FAIL", "Temporal namespace", detail)]
    checks.append(Check("ok", "Temporal namespace", f"{namespace!r} exists"))
    return [*checks, await _search_attribute_check(client, namespace, within)]


async def _search_attribute_check(client: Any, namespace: str, within: float) -> Check:
    what = "search attributes"
    try:
        listed = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=namespace), timeout=timedelta(seconds=within)
        )
    except RPCError as exc:
        return Check(
            "warn",
            what,
            f"cannot list them here ({_first_line(exc)}); check that {len(ALL_KEYS)} are "
            f"registered in the Temporal UI: {', '.join(k.name for k in ALL_KEYS)}",
        )
    known = {**dict(listed.system_attributes), **dict(listed.custom_attributes)}
    missing = [k for k in ALL_KEYS if k.name not in known]
    wrong = [k for k in ALL_KEYS if k.name in known and known[k.name] != int(k.indexed_value_type)]
    if not missing and not wrong:
        return Check("ok", what, f"all {len(ALL_KEYS)} of SalesPad's are registered")
    problems = []
    if missing:
        problems.append(f"missing {', '.join(k.name for k in missing)}")
    if wrong:
        problems.append(
            "wrong type: "
            + ", ".join(
                f"{k.name} should be {TYPE_NAMES[int(k.indexed_value_type)]}" for k in wrong
            )
        )
    first = (missing or wrong)[0]
    return Check(
        "FAIL",
        what,
        f"{'; '.join(problems)}; a worker registers missing ones at start where it may, or: "
        f"temporal operator search-attribute create --namespace {namespace} --name {first.name} "
        f"--type {TYPE_NAMES[int(first.indexed_value_type)]}",
    )


# -- the command ---------------------------------------------------------------------------


def checks(settings_overrides: dict[str, Any] | None = None) -> Iterator[Check]:
    """Every check in order; stops after the settings when they do not load."""
    settings, local = local_checks(**(settings_overrides or {}))
    yield from local
    if settings is None:
        return
    yield from database_checks(settings)
    yield from asyncio.run(temporal_checks(settings))


def run(
    echo: Callable[[str], Any] = print, settings_overrides: dict[str, Any] | None = None
) -> int:
    failed = False
    for check in checks(settings_overrides):
        echo(check.line())
        failed = failed or check.status == "FAIL"
    return 1 if failed else 0
