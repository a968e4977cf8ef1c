"""The `salespad` command."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from config.settings import Settings

if TYPE_CHECKING:
    from config.checks import Check

app = typer.Typer(no_args_is_help=True, help="SalesPad: outbound sequences on Temporal.")
sequences_app = typer.Typer(no_args_is_help=True, help="Sequences written in code.")
app.add_typer(sequences_app, name="sequences")
apikey_app = typer.Typer(no_args_is_help=True, help="API keys: stored hashed, each with a scope.")
app.add_typer(apikey_app, name="apikey")
temporal_app = typer.Typer(no_args_is_help=True, help="The Temporal cluster SalesPad runs on.")
app.add_typer(temporal_app, name="temporal")
mailbox_app = typer.Typer(no_args_is_help=True, help="Mailboxes: the sender identities.")
app.add_typer(mailbox_app, name="mailbox")


@app.command()
def dev() -> None:
    """Start the whole stack: PostgreSQL, Temporal + Web UI, migrations, API and a worker."""
    from config.checks import start_settings
    from salespad.dev import ChildConfigError, DevError, DevStack

    settings = start_settings("dev")  # a configuration error: one line, exit 2, nothing started
    try:
        code = DevStack(settings).run()
    except ChildConfigError as exc:  # a child's own line, shown once
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    except DevError as exc:
        typer.echo(f"salespad dev: {exc}", err=True)
        raise typer.Exit(1) from None
    raise typer.Exit(code)


@app.command()
def api(
    host: Annotated[str | None, typer.Option(help="Default: SALESPAD_API_HOST")] = None,
    port: Annotated[int | None, typer.Option(help="Default: SALESPAD_API_PORT")] = None,
    log_level: Annotated[str, typer.Option()] = "info",
) -> None:
    """Serve the REST API (production: needs SALESPAD_DATABASE_URL and SALESPAD_API_KEY)."""
    import uvicorn

    from api.app import create_app
    from config.checks import needs_database, start_settings
    from config.logs import configure_logging
    from salespad.simulate import simulate

    # Settings, Temporal connection settings and channels checked: one line and exit 2.
    settings = start_settings("api", requires=lambda s: needs_database(s) + _needs_api_key(s))
    configure_logging(settings, log_level)
    uvicorn.run(
        create_app(settings, simulator=simulate),
        host=host or settings.api_host,
        port=port or settings.api_port,
        log_level=log_level,
        # Logging is ours (configure_logging): SALESPAD_LOG_FORMAT, request ids, redaction.
        log_config=None,
    )


def _needs_api_key(settings: Settings) -> list[Check]:
    from config.checks import Check

    if settings.api_key is not None:
        return []
    return [
        Check(
            "FAIL",
            "SALESPAD_API_KEY",
            "not set; set a long random secret (clients send it as a Bearer token)",
        )
    ]


@app.command()
def worker(
    queues: Annotated[
        str,
        typer.Option(
            help="The task queues to poll, comma-separated: main (workflows and bookkeeping), "
            "email, messaging (SMS/WhatsApp), ai (reply classification, drafts)."
        ),
    ] = "main,email,messaging,ai",
) -> None:
    """Run a Temporal worker (needs SALESPAD_DATABASE_URL and SALESPAD_TEMPORAL_ADDRESS)."""
    from workflows.queues import parse_concerns

    try:
        concerns = parse_concerns(queues)
    except ValueError as exc:
        typer.echo(f"salespad worker: --queues: {exc}", err=True)
        raise typer.Exit(2) from None
    import worker as worker_module

    worker_module.main(concerns)


@temporal_app.command("setup")
def temporal_setup() -> None:
    """Register the namespace (SALESPAD_TEMPORAL_NAMESPACE) and SalesPad's search attributes
    where the server permits; print the tcld / Web UI steps where it does not (Temporal
    Cloud). Exit 0: ready (or not checkable: warning); 1: steps remain; 2: bad settings."""
    import asyncio

    from config.temporal import TemporalConfigError
    from salespad.temporal_setup import run_setup

    try:
        code = asyncio.run(run_setup(Settings(), typer.echo))
    except TemporalConfigError as exc:
        typer.echo(f"salespad temporal setup: {exc}", err=True)
        raise typer.Exit(2) from None
    raise typer.Exit(code)


@app.command()
def doctor() -> None:
    """Check settings, database, migrations, Temporal and each channel's credentials: one line
    per check (ok / warn / FAIL and what to do); exits 1 on any FAIL."""
    from salespad.doctor import run

    raise typer.Exit(run(typer.echo))


@app.command()
def migrate(
    search_attributes: Annotated[
        bool,
        typer.Option(
            "--search-attributes",
            help="Also register SalesPad's search attributes in SALESPAD_TEMPORAL_NAMESPACE "
            "at SALESPAD_TEMPORAL_ADDRESS (docker-compose.yml's migrate job does)",
        ),
    ] = False,
    wait: Annotated[
        float, typer.Option(help="With --search-attributes: seconds to wait for Temporal")
    ] = 120,
) -> None:
    """Apply database migrations to SALESPAD_DATABASE_URL."""
    import asyncio

    from models.migrate import upgrade

    settings = Settings()
    upgrade(settings.require_database_url())
    typer.echo("database is up to date")
    if search_attributes:
        try:
            added = asyncio.run(_register_search_attributes(settings, wait))
        except TimeoutError as exc:
            typer.echo(f"salespad migrate: {exc}", err=True)
            raise typer.Exit(1) from None
        typer.echo(
            f"search attributes registered in namespace {settings.temporal_namespace!r}"
            + (f" (added {', '.join(added)})" if added else " (all there already)")
        )


async def _register_search_attributes(settings: Settings, within: float) -> list[str]:
    """Register them once Temporal answers: a namespace created a moment ago is refused until
    the server's namespace cache refreshes, so keep trying until `within` seconds pass."""
    import asyncio
    import time

    from config.temporal import connect, ensure_search_attributes

    deadline = time.monotonic() + within
    while True:
        try:
            client = await connect(settings)
            return await ensure_search_attributes(client, settings.temporal_namespace)
        except Exception as exc:
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"could not register search attributes at {settings.temporal_target} "
                    f"(namespace {settings.temporal_namespace!r}) within {within:.0f}s: {exc}"
                ) from exc
            await asyncio.sleep(1)


@app.command("import")
def import_leads(
    file: Annotated[Path, typer.Argument(help="A CSV (any delimiter, any encoding) or XLSX")],
    map_: Annotated[
        list[str] | None,
        typer.Option("--map", help="COLUMN=FIELD, e.g. 'Work Mail=email'; repeatable"),
    ] = None,
    on_duplicate: Annotated[str, typer.Option(help="update | skip | fill-empty")] = "update",
    campaign: Annotated[
        str | None,
        typer.Option(
            help="An existing campaign's id or name: the imported leads are added to it; with "
            "--sequence, the name of a new campaign over them (enrolled in the background)"
        ),
    ] = None,
    sequence: Annotated[
        str | None,
        typer.Option(help="Create the --campaign NAME campaign with this sequence"),
    ] = None,
    rejected: Annotated[
        Path | None, typer.Option(help="Where to write rejected rows (default: FILE.rejected.csv)")
    ] = None,
) -> None:
    """Import leads from a file straight into SALESPAD_DATABASE_URL (no API needed); with
    --campaign, enroll them (needs Temporal and a worker)."""
    from salespad.importer import ImportFailed, import_file

    mapping: dict[str, str] = {}
    for item in map_ or []:
        column, sep, target = item.rpartition("=")
        if not sep or not column.strip() or not target.strip():
            typer.echo(f"salespad import: --map wants COLUMN=FIELD, got {item!r}", err=True)
            raise typer.Exit(2)
        mapping[column.strip()] = target.strip()
    if not file.is_file():
        typer.echo(f"salespad import: no such file {file}", err=True)
        raise typer.Exit(2)
    rejected_path = rejected or file.with_name(f"{file.stem}.rejected.csv")
    try:
        summary = import_file(
            Settings(), file, mapping, on_duplicate, campaign, rejected_path, sequence
        )
    except ImportFailed as exc:
        if exc.summary:
            typer.echo(exc.summary)
        typer.echo(f"salespad import: {exc}", err=True)
        raise typer.Exit(exc.code) from None
    typer.echo(summary)


@app.command()
def erase(
    email: Annotated[str, typer.Argument(help="The lead's email address")],
) -> None:
    """Erase a person (GDPR Art. 17): stop and delete their sequence in Temporal, remove their
    personal data, keep the counts, and suppress the address (hashed) for good."""
    from salespad.erase import EraseFailed, erase_email

    try:
        summary = erase_email(Settings(), email)
    except EraseFailed as exc:
        typer.echo(f"salespad erase: {exc}", err=True)
        raise typer.Exit(exc.code) from None
    typer.echo(summary)


@sequences_app.command("list")
def sequences_list() -> None:
    """List the sequences with their version and step count."""
    from sequences import REGISTRY, SequenceError

    for name, seq in sorted(REGISTRY.items()):
        try:
            spec = seq.compile()
            typer.echo(f"{name:24} {spec.version}  {len(spec.steps)} steps  {spec.description}")
        except SequenceError as exc:
            typer.echo(f"{name:24} INVALID: {exc}")


@sequences_app.command("show")
def sequences_show(name: str) -> None:
    """Print a sequence's compiled spec as JSON."""
    from sequences import REGISTRY, SequenceError, get_sequence

    seq = get_sequence(name)
    if seq is None:
        typer.echo(f"unknown sequence {name!r}; known: {', '.join(sorted(REGISTRY))}", err=True)
        raise typer.Exit(2)
    try:
        typer.echo(json.dumps(seq.compile().model_dump(mode="json"), indent=2))
    except SequenceError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None


@sequences_app.command("validate")
def sequences_validate(name: Annotated[str | None, typer.Argument()] = None) -> None:
    """Validate one sequence, or all of them; exits 1 naming the step at fault."""
    from sequences import REGISTRY, SequenceError

    names = [name] if name else sorted(REGISTRY)
    failed = False
    for n in names:
        seq = REGISTRY.get(n)
        if seq is None:
            typer.echo(f"{n}: unknown sequence", err=True)
            failed = True
            continue
        try:
            seq.compile()
            typer.echo(f"{n}: ok")
        except SequenceError as exc:
            typer.echo(f"{n}: {exc}", err=True)
            failed = True
    raise typer.Exit(1 if failed else 0)


@app.command()
def simulate(
    sequence: Annotated[str, typer.Argument(help="A name from `salespad sequences list`")],
    reply: Annotated[
        list[str] | None,
        typer.Option(help="STEP:TEXT, a reply right after step STEP was sent; repeatable"),
    ] = None,
    timezone: Annotated[str, typer.Option(help="The lead's IANA timezone")] = "UTC",
    phone: Annotated[str | None, typer.Option(help="Give the lead a phone (E.164)")] = None,
    email: Annotated[str, typer.Option()] = "ada@example.com",
    name: Annotated[str, typer.Option()] = "Ada Lovelace",
    company: Annotated[str | None, typer.Option()] = "Analytical Engines",
    tasks: Annotated[
        str, typer.Option(help="What the human does with tasks: done, skip, ignore")
    ] = "done",
    preferred_channel: Annotated[
        str | None,
        typer.Option(help="The lead's preferred channel (EMAIL, WHATSAPP, SMS): Message steps"),
    ] = None,
    start: Annotated[
        str | None,
        typer.Option(help="When the lead is enrolled, ISO 8601 with offset (default: now)"),
    ] = None,
) -> None:
    """Run a sequence on a time-skipping Temporal server and print its timeline."""
    import asyncio
    import signal

    from pydantic import ValidationError

    from salespad.simulate import render_timeline
    from salespad.simulate import simulate as run_simulation
    from services.errors import Conflict, SalesPadError
    from services.simulation.schemas import SimulateRequest
    from services.simulation.service import prepare

    replies = []
    for item in reply or []:
        step, sep, text = item.partition(":")
        if not sep or not step.strip().isdigit() or not text.strip():
            typer.echo(f"--reply wants STEP:TEXT (e.g. 1:'Not interested'), got {item!r}", err=True)
            raise typer.Exit(2)
        replies.append({"step": int(step), "content": text.strip()})
    try:
        request = SimulateRequest.model_validate(
            {
                "replies": replies,
                "timezone": timezone,
                "start": start,
                "name": name,
                "email": email,
                "phone": phone,
                "company": company,
                "tasks": tasks,
                "preferred_channel": preferred_channel,
            }
        )
        sim = prepare(sequence, request)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        typer.echo(f"invalid option: {problems}", err=True)
        raise typer.Exit(2) from None
    except SalesPadError as exc:
        typer.echo(exc.message, err=True)
        raise typer.Exit(1 if isinstance(exc, Conflict) else 2) from None
    spec = sim.spec
    typer.echo(f"simulating {spec.name} ({spec.version}) for {name}, timezone {timezone} ...")
    # SIGTERM unwinds like Ctrl-C, so the throwaway PostgreSQL is stopped on the way out.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    run = asyncio.run(run_simulation(sim))
    typer.echo(render_timeline(run.rows, timezone, run.result))


@app.command()
def classify(
    text: Annotated[str, typer.Argument(help="The reply text; '-' reads it from stdin")],
    subject: Annotated[str | None, typer.Option(help="The reply's subject")] = None,
    header: Annotated[
        list[str] | None, typer.Option(help="A mail header as K=V; repeat for more")
    ] = None,
    timezone: Annotated[str | None, typer.Option(help="The lead's IANA timezone")] = None,
) -> None:
    """Classify a reply's intent and print the result as JSON (LLM with OPENAI_API_KEY)."""
    import asyncio
    from datetime import UTC, datetime

    from adapters.llm.base import LLMError
    from adapters.llm.factory import OFFLINE_REASON, build_classifier
    from adapters.llm.openai_client import OpenAIClassifier
    from adapters.llm.types import ReplyInput

    headers: dict[str, str] = {}
    for item in header or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            typer.echo(f"salespad classify: --header wants K=V, got {item!r}", err=True)
            raise typer.Exit(2)
        headers[name.strip()] = value.strip()
    reply = ReplyInput(
        text=sys.stdin.read() if text == "-" else text,
        subject=subject,
        headers=headers,
        # Now: "back Monday" in the text means the coming Monday.
        sent_at=datetime.now(UTC),
        timezone=timezone,
    )
    classifier = build_classifier(Settings())
    if classifier.source == "offline":
        typer.echo(OFFLINE_REASON, err=True)

    async def run() -> dict[str, object]:
        try:
            return (await classifier.classify(reply)).model_dump(mode="json")
        finally:
            if isinstance(classifier, OpenAIClassifier):
                await classifier.aclose()

    try:
        result = asyncio.run(run())
    except LLMError as exc:
        typer.echo(f"salespad classify: {exc.error_type}: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(json.dumps(result, indent=2, ensure_ascii=False))


def _apikey_run(coro: Any) -> Any:
    """Run an `apikey` command's work; a bad input or a missing database is one line, exit 2."""
    import asyncio

    from salespad.apikeys import NoDatabase
    from services.errors import SalesPadError

    try:
        return asyncio.run(coro)
    except (NoDatabase, SalesPadError) as exc:
        typer.echo(f"salespad apikey: {getattr(exc, 'message', exc)}", err=True)
        raise typer.Exit(2) from None


@apikey_app.command("create")
def apikey_create(
    name: Annotated[str, typer.Option(help="A unique name: who or what uses the key")],
    scope: Annotated[
        str, typer.Option(help="read (GET only) | write (read + changes) | ops (everything)")
    ],
) -> None:
    """Create a key and print it once (stdout; the note about it goes to stderr)."""
    from salespad.apikeys import create, render_created

    key, note = render_created(_apikey_run(create(Settings(), name, scope)))
    typer.echo(note, err=True)
    typer.echo(key)


@apikey_app.command("revoke")
def apikey_revoke(
    name_or_id: Annotated[str, typer.Argument(help="The key's name or id")],
) -> None:
    """Revoke a key: refused from the next request on, its dashboard sessions too."""
    from salespad.apikeys import revoke

    key = _apikey_run(revoke(Settings(), name_or_id))
    typer.echo(f"revoked API key {key.name!r} ({key.prefix}..., id {key.id})")


@apikey_app.command("list")
def apikey_list() -> None:
    """Every key: name, scope, prefix, created, last used, revoked (never the key)."""
    from salespad.apikeys import list_keys, render_list

    typer.echo(render_list(_apikey_run(list_keys(Settings()))))


@mailbox_app.command("check")
def mailbox_check(
    name_or_domain: Annotated[
        str, typer.Argument(help="A mailbox's name or address, an email address, or a domain")
    ],
    dkim_selector: Annotated[
        list[str] | None,
        typer.Option(
            help="A DKIM selector to look for (repeatable); default: s1, s2, google, "
            "selector1, selector2, default, k1"
        ),
    ] = None,
    nameserver: Annotated[
        str | None,
        typer.Option(
            help="DNS server HOST[:PORT]; default: SALESPAD_DNS_NAMESERVER, else the system's"
        ),
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for DNS", min=0.1)] = 3.0,
) -> None:
    """SPF, DKIM and DMARC of the sending domain, each ok / warn / FAIL with what to add.
    Exit 0: no FAIL (warnings allowed); 1: a record FAILs; 2: unknown mailbox or bad option;
    3: skipped, no DNS server answered (says nothing about the domain)."""
    from salespad.mailbox_check import run

    code, text = run(Settings(), name_or_domain, dkim_selector or [], nameserver, timeout)
    typer.echo(text, err=code not in (0, 1))
    raise typer.Exit(code)


if __name__ == "__main__":
    sys.exit(app())
