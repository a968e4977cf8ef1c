"""Every route under /api needs an API-key scope, so a new route cannot go unprotected by
accident; reading needs read, changing needs write, and the ops routes need ops."""

from __future__ import annotations

import re

from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import SecretStr

from api.app import create_app
from api.auth import route_scope
from config.settings import Settings

# What only an ops key may do (README: "API keys"): answer dead letters and unmatched replies,
# configure channels, their pacing and mailboxes, manage webhook subscriptions and redeliveries,
# erase a person.
OPS_ROUTES = {
    ("DELETE", "/api/leads/{lead_id}"),
    ("POST", "/api/ops/leads/{lead_id}/{action}"),
    ("POST", "/api/mailboxes/{mailbox}/resume"),
    ("POST", "/api/mailboxes/{mailbox}/pause"),
    ("POST", "/api/ops/unmatched/{message_id}/assign"),
    ("POST", "/api/ops/unmatched/{message_id}/discard"),
    ("POST", "/api/channels"),
    ("PUT", "/api/channels/{channel_type}/pacing"),
    ("POST", "/api/mailboxes"),
    ("PATCH", "/api/mailboxes/{mailbox}"),
    ("DELETE", "/api/mailboxes/{mailbox}"),
    ("POST", "/api/webhook-subscriptions"),
    ("PATCH", "/api/webhook-subscriptions/{subscription_id}"),
    ("DELETE", "/api/webhook-subscriptions/{subscription_id}"),
    ("POST", "/api/webhook-deliveries/{delivery_id}/redeliver"),
}
# Signing in and out is how a browser gets (or drops) its credentials: no key needed.
OPEN = {"/api/session"}


def api_routes() -> list[tuple[str, str, str | None]]:
    settings = Settings(
        api_key=SecretStr("k"), database_url="postgresql://u@127.0.0.1:1/none", _env_file=None
    )
    out = []
    # Routers are included lazily (FastAPI >= 0.16x): each route's context, as served, holds
    # the dependencies of every router it sits in.
    for route in iter_route_contexts(create_app(settings).routes):
        if isinstance(route.original_route, APIRoute) and route.path.startswith("/api"):
            path = re.sub(r":\w+\}", "}", route.path)
            for method in sorted(route.methods):
                out.append((method, path, route_scope(route.dependant, route.methods)))
    return out


def test_every_api_route_needs_a_scope() -> None:
    routes = api_routes()
    assert len(routes) > 40
    unprotected = [(m, p) for m, p, scope in routes if scope is None and p not in OPEN]
    assert unprotected == []
    assert [(m, p) for m, p, scope in routes if p in OPEN and scope is not None] == []


def test_reads_need_read_changes_write_and_the_ops_routes_ops() -> None:
    for method, path, scope in api_routes():
        if path in OPEN:
            continue
        if (method, path) in OPS_ROUTES:
            assert scope == "ops", (method, path)
        elif method in ("GET", "HEAD"):
            assert scope == "read", (method, path)
        else:
            assert scope == "write", (method, path)
    assert {(m, p) for m, p, _ in api_routes()} >= OPS_ROUTES
