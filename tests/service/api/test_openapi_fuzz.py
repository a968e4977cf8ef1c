"""schemathesis against /openapi.json: the real app, served by uvicorn on loopback, on the real
database, every operation, every check; then stateful runs along the links schemathesis infers.

Two engines: the recording gateway (Temporal "up": the services go all the way), and the real
gateway with Temporal unreachable, where every route that needs the engine must answer a
documented 503, never a 500. The provider webhooks are posted to as the providers do, signed,
so the fuzz reaches what they store.

The cases are the same every run (derandomized), so CI is repeatable: a failure reproduces.

The few places where a check is loosened are narrow and say why (`_SEMANTIC_422`).
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import psycopg
import pytest
import requests
import schemathesis
import uvicorn
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import HealthCheck, settings
from pydantic import SecretStr
from schemathesis import checks as st_checks
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi import checks as oas
from sendgrid.helpers.eventwebhook.eventwebhook_header import EventWebhookHeader
from twilio.request_validator import RequestValidator

from api.app import create_app
from config.settings import Settings
from salespad.local import free_port
from services import signing
from tests.conftest import API_KEY, TABLES, _libpq, make_settings
from tests.fakes.gateway import RecordingGateway

AUTH = {"Authorization": f"Bearer {API_KEY}"}
# Enough to reach every status each operation documents, within the tier's time budget on
# two cores (about 50 operations, two engines, and the stateful runs).
EXAMPLES = 10
NO_ENGINE_EXAMPLES = 4
STATEFUL_EXAMPLES = 15
STATEFUL_STEPS = 20

# Schema-valid input that the app refuses on purpose, with a 422 naming the field. JSON Schema
# cannot say these (or the document would have to repeat them for every string), so a 422 for
# positive data is accepted only when every field it names matches a rule for its operation.
_SEMANTIC_422: list[tuple[str, re.Pattern[str]]] = [
    # PostgreSQL cannot store NUL or a lone surrogate in text: the input guard refuses both in
    # any JSON string or key and any query parameter, before a route runs.
    ("*", re.compile(r"NUL characters|lone surrogate")),
    # Cursors are tokens this API issued (signed); any other string is refused.
    ("*", re.compile(r"^query\.cursor: .*not a cursor this API returned")),
    # A selection names exactly one of lead_ids / import_id / filter, a filter at least one
    # criterion, and an import that exists; time zones are the IANA names the server knows;
    # sequences live in code (GET /api/sequences lists them).
    *(
        (operation, re.compile(rule))
        for operation in ("POST /api/campaigns", "POST /api/campaigns/{campaign_id}/leads")
        for rule in (
            r"exactly one of lead_ids, import_id, filter",
            r"^filter: .*name at least one of",
            r"^import_id: no import has this id",
            r"^timezone: .*unknown IANA time zone",
            r"^sequence: choose one of",
        )
    ),
    # POST /api/leads takes one lead or a list of them, parsed by the route itself so that a
    # list can report each bad row: its document says "an object or a list", not which fields
    # a lead needs (name, email or phone, a real phone number and timezone, ...).
    ("POST /api/leads", re.compile(r"(?s).")),
    # A channel provider must serve the channel type and come with its credentials.
    ("POST /api/channels", re.compile(r"^config\.\w+: required$|^provider: \w+ serves ")),
    # Webhook URLs are absolute http(s) URLs with a host (JSON Schema's `uri` is far wider).
    *(
        (operation, re.compile(r"^url: .*(http\(s\) URL|spaces)"))
        for operation in (
            "POST /api/webhook-subscriptions",
            "PATCH /api/webhook-subscriptions/{subscription_id}",
        )
    ),
    # An edited draft must keep some text.
    ("POST /api/tasks/{task_id}/approve", re.compile(r"^body: must not be empty$")),
    # Lead capture takes a lead as POST /api/leads does, and checks it the same way.
    ("POST /webhooks/leads", re.compile(r"(?s).")),
    # A simulation's lead is checked as a lead is (zone, phone, channel, email or phone), its
    # start is not in the past and its replies name steps the sequence has.
    (
        "POST /api/sequences/{name}/simulate",
        re.compile(
            r"^(timezone|start|name|email|phone|company|preferred_channel"
            r"|replies\.\d+\.(step|content)): "
        ),
    ),
    # A mailbox's address is an email address or an E.164 number as its channel type needs; a
    # provider must serve the type and its credentials come whole; IMAP needs its password;
    # a paused mailbox is resumed by its own route.
    *(
        (
            operation,
            re.compile(
                r"^address: .*(not an email address|not a number in E\.164)"
                r"|^provider: \w+ cannot send|^config\.\w+: |^state: a paused mailbox"
                r"|^timezone: .*unknown IANA time zone"
            ),
        )
        for operation in ("POST /api/mailboxes", "PATCH /api/mailboxes/{mailbox}")
    ),
    # The file is required, in a multipart body; its options are checked like any field.
    ("POST /api/imports", re.compile(r"^(file|mapping|on_duplicate|campaign|body): ")),
]


def _semantic_422(case: schemathesis.Case, body: Any) -> bool:
    if not isinstance(body, dict) or not isinstance(body.get("detail"), list) or not body["detail"]:
        return False
    label = f"{case.method.upper()} {case.path}"
    rules = [rule for operation, rule in _SEMANTIC_422 if operation in ("*", label)]
    texts = [f"{item.get('field')}: {item.get('message')}" for item in body["detail"]]
    return all(any(rule.search(text) for rule in rules) for text in texts)


def positive_data_acceptance(
    ctx: st_checks.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> bool | None:
    if response.status_code == 422 and _semantic_422(case, _json(response)):
        return None
    return oas.positive_data_acceptance(ctx, response, case)


def only_a_documented_503(
    ctx: st_checks.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> bool | None:
    """Without Temporal the routes that need it answer 503 (documented: status_code_conformance
    checks that); any other 5xx is a server error."""
    if response.status_code == 503:
        return None
    return st_checks.not_a_server_error(ctx, response, case)


def _json(response: schemathesis.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


Check = Callable[..., bool | None]


def _checks(case: schemathesis.Case, engine: bool) -> dict[str, list[Check]]:
    """Every check schemathesis has (its default set is all of them), two narrowed as above."""
    excluded: list[Check] = [oas.positive_data_acceptance]
    additional: list[Check] = [positive_data_acceptance]
    # /healthz answers 503 whenever Temporal is down, which it is in this tier: that is its
    # documented meaning ("degraded"), not a server error. So does simulate: this app has no
    # simulator (the composition root gives one; tests/workflow/api/test_simulate_api.py).
    if not engine or case.path in ("/healthz", "/api/sequences/{name}/simulate"):
        excluded.append(st_checks.not_a_server_error)
        additional.append(only_a_documented_503)
    return {"excluded_checks": excluded, "additional_checks": additional}


# Unknown query parameters are ignored, as HTTP APIs do; the schema does not forbid them, so
# schemathesis is not to count one as invalid input that should have been refused.
# And the event stream is read with follow=false: followed, it stays open by design.
CONFIG = SchemathesisConfig.from_dict(
    {
        "generation": {"allow-extra-parameters": False},
        "operations": [
            {"include-path": "/api/events/stream", "parameters": {"query.follow": "false"}},
            # A provider's signed post is kept whatever it holds (a 4xx would make SendGrid
            # drop it or Twilio try its fallback), so only positive data is sent, signed.
            {"include-path-regex": "^/webhooks/", "generation": {"mode": "positive"}},
        ],
    }
)


# The webhooks' secrets: the fuzz signs what it posts, so each webhook reads its body.
LEAD_CAPTURE_SECRET = "lead-capture-secret"
INBOUND_TOKEN = "inbound-token"
TWILIO_TOKEN = "twilio-auth-token"
PUBLIC_URL = "https://salespad.example"  # what Twilio signs, as behind a proxy
EVENTS_KEY = ec.generate_private_key(ec.SECP256R1())


def _fuzz_settings(database_url: str) -> Settings:
    base = make_settings(database_url, f"tq-fuzz-{uuid.uuid4().hex[:6]}")
    der = EVENTS_KEY.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    base.temporal_address = f"127.0.0.1:{free_port()}"  # nothing listens there
    # Every webhook configured (else each says 503), and the fuzz signs its posts to them.
    base.lead_capture_secret = SecretStr(LEAD_CAPTURE_SECRET)
    base.sendgrid.inbound_token = SecretStr(INBOUND_TOKEN)
    base.sendgrid.webhook_public_key = base64.b64encode(der).decode()
    base.twilio.auth_token = SecretStr(TWILIO_TOKEN)
    base.public_url = PUBLIC_URL
    return base


def _truncate(database_url: str) -> None:
    with psycopg.connect(_libpq(database_url), autocommit=True) as conn:
        conn.execute(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE")  # type: ignore[arg-type]


def _serve(settings: Settings, engine: bool) -> Iterator[str]:
    """The app under uvicorn in a thread, with its own database pool on the server's loop."""
    app = create_app(settings, workflows=RecordingGateway() if engine else None)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, name="fuzz-api", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the API did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@pytest.fixture(scope="module")
def engine_url(database_url: str) -> Iterator[str]:
    _truncate(database_url)
    yield from _serve(_fuzz_settings(database_url), engine=True)


@pytest.fixture(scope="module")
def no_engine_url(database_url: str) -> Iterator[str]:
    yield from _serve(_fuzz_settings(database_url), engine=False)


def _document() -> dict[str, Any]:
    """The app's own document: what it serves at /openapi.json (checked below), built before
    any server runs so that pytest can name one test per operation."""
    app = create_app(make_settings("postgresql+psycopg://unused@127.0.0.1/unused", "tq"))
    return app.openapi()


SCHEMA = schemathesis.openapi.from_dict(_document(), config=CONFIG)


def test_served_document_is_the_one_fuzzed(engine_url: str) -> None:
    assert httpx.get(f"{engine_url}/openapi.json").json() == SCHEMA.raw_schema


def _call_and_validate(case: schemathesis.Case, base_url: str, engine: bool) -> None:
    if not case.path.startswith("/webhooks/"):
        case.call_and_validate(base_url=base_url, headers=AUTH, **_checks(case, engine))
        return
    response = _signed_post(case, base_url)
    case.validate_response(
        response, transport_kwargs={"base_url": base_url}, **_checks(case, engine)
    )


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _signed_post(case: schemathesis.Case, base_url: str) -> requests.Response:
    """Posts the case's body as the provider would, signed as the provider signs."""
    url = f"{base_url}{case.formatted_path}"
    body = case.body if isinstance(case.body, dict | list) else {}
    if case.path == "/webhooks/leads":
        raw = json.dumps(body).encode()
        headers = {
            "Content-Type": "application/json",
            signing.HEADER: signing.signature_header(LEAD_CAPTURE_SECRET, raw),
        }
        return requests.post(url, data=raw, headers=headers, timeout=30)
    if case.path == "/webhooks/sendgrid/events":
        raw = json.dumps(body).encode()
        stamp = str(int(time.time()))
        signature = EVENTS_KEY.sign(stamp.encode() + raw, ec.ECDSA(hashes.SHA256()))
        headers = {
            "Content-Type": "application/json",
            EventWebhookHeader.SIGNATURE: base64.b64encode(signature).decode(),
            EventWebhookHeader.TIMESTAMP: stamp,
        }
        return requests.post(url, data=raw, headers=headers, timeout=30)
    fields = {str(k): _text(v) for k, v in body.items()} if isinstance(body, dict) else {}
    if case.path == "/webhooks/sendgrid/inbound":
        files = {name: (None, value) for name, value in fields.items()}
        return requests.post(url, params={"token": INBOUND_TOKEN}, files=files, timeout=30)
    # Twilio: an HMAC over the URL it called (SALESPAD_PUBLIC_URL + path) and the parameters.
    signed_url = f"{PUBLIC_URL}{case.formatted_path}"
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(signed_url, fields)
    return requests.post(url, data=fields, headers={"X-Twilio-Signature": signature}, timeout=30)


_SETTINGS = {
    "deadline": None,
    "derandomize": True,  # the same cases every run: a failure here reproduces
    "suppress_health_check": list(HealthCheck),
}


@SCHEMA.parametrize()
@settings(max_examples=EXAMPLES, **_SETTINGS)
def test_every_operation(case: schemathesis.Case, engine_url: str) -> None:
    _call_and_validate(case, engine_url, engine=True)


@SCHEMA.parametrize()
@settings(max_examples=NO_ENGINE_EXAMPLES, **_SETTINGS)
def test_every_operation_without_temporal(case: schemathesis.Case, no_engine_url: str) -> None:
    _call_and_validate(case, no_engine_url, engine=False)


def test_stateful(engine_url: str) -> None:
    """Sequences of calls along the links schemathesis infers (a created lead, campaign or
    subscription is read, changed, deleted, ...), every response checked as above."""
    seen: list[tuple[str, str, int]] = []
    machine = SCHEMA.as_state_machine()

    class Machine(machine):  # type: ignore[misc,valid-type]
        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"headers": AUTH, "base_url": engine_url}

        def validate_response(
            self, response: schemathesis.Response, case: schemathesis.Case, **kwargs: Any
        ) -> None:
            seen.append((case.method, case.path, response.status_code))
            case.validate_response(
                response,
                headers=AUTH,
                transport_kwargs={"base_url": engine_url, "headers": AUTH},
                **_checks(case, engine=True),
            )

    Machine.run(
        settings=settings(
            max_examples=STATEFUL_EXAMPLES, stateful_step_count=STATEFUL_STEPS, **_SETTINGS
        )
    )
    # The runs went somewhere: an id one call returned was used by the next, successfully.
    followed = [(m, p) for m, p, status in seen if "{" in p and 200 <= status < 300]
    assert followed, f"no link followed to a resource that exists: {sorted(set(seen))[:20]}"


def test_the_document_declares_one_error_body() -> None:
    """FastAPI's own validation schema is gone: every 4xx/5xx names ErrorBody, but for the
    unsubscribe page's HTML and the health report's own 503 body."""
    document = _document()
    assert "HTTPValidationError" not in document["components"]["schemas"]
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if int(status) < 400:
                    continue
                content = response.get("content", {})
                assert content, (method, path, status)
                if "text/html" not in content:
                    ref = content["application/json"]["schema"]["$ref"]
                    own = "/Health" if path == "/healthz" else "/ErrorBody"
                    assert ref.endswith(own), (method, path, status)
            if path.startswith("/api/"):
                assert {"401", "422"} <= set(operation["responses"]), (method, path)
