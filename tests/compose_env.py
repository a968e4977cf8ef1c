"""docker-compose.yml read the way `docker compose` reads it, for tests that cannot run Docker:
the environment and command compose gives a service, its `${VAR}` references resolved against
an environment the test chooses (what `.env` and the shell would hold)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKERFILE = ROOT / "Dockerfile"

# $$ (a literal $), ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}, $VAR.
# Nested references inside a default are not supported (docker-compose.yml uses none).
_REF = re.compile(
    r"\$(?:(?P<dollar>\$)"
    r"|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}"
    r"|(?P<plain>[A-Za-z_][A-Za-z0-9_]*))"
)


class MissingVariable(ValueError):
    """Compose refuses to start: a `${VAR:?message}` is unset or empty."""


def load() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text())
    return data


def references(node: object) -> set[str]:
    """Every variable the compose data (or a piece of it) refers to; comments do not count."""
    if isinstance(node, dict):
        return set().union(*(references(k) | references(v) for k, v in node.items()))
    if isinstance(node, list):
        return set().union(*(references(item) for item in node))
    if isinstance(node, str):
        return {
            m.group("braced") or m.group("plain")
            for m in _REF.finditer(node)
            if not m.group("dollar")
        }
    return set()


def interpolate(text: str, env: Mapping[str, str]) -> str:
    def resolve(m: re.Match[str]) -> str:
        if m.group("dollar"):
            return "$"
        name = m.group("braced") or m.group("plain")
        op, arg = m.group("op"), m.group("arg") or ""
        value = env.get(name)
        if op == ":-":
            return value if value else arg
        if op == "-":
            return value if value is not None else arg
        if op == ":?" and not value:
            raise MissingVariable(f"{name}: {arg}")
        if op == "?" and value is None:
            raise MissingVariable(f"{name}: {arg}")
        return value or ""

    return _REF.sub(resolve, text)


def _scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def service_environment(
    compose: Mapping[str, Any], service: str, env: Mapping[str, str]
) -> dict[str, str]:
    """The variables compose sets in the service's container (its `environment:` resolved)."""
    raw = compose["services"][service].get("environment") or {}
    if isinstance(raw, list):  # ["NAME=value", ...]
        raw = dict(item.split("=", 1) for item in raw)
    return {name: interpolate(_scalar(value), env) for name, value in raw.items()}


def service_command(compose: Mapping[str, Any], service: str, env: Mapping[str, str]) -> list[str]:
    command = compose["services"][service]["command"]
    assert isinstance(command, list), f"{service}: write its command as a list"
    return [interpolate(_scalar(part), env) for part in command]


def replicas(compose: Mapping[str, Any], service: str) -> int:
    return int((compose["services"][service].get("deploy") or {}).get("replicas", 1))


def dockerfile_entrypoint() -> list[str]:
    """The image's ENTRYPOINT (exec form), which compose prefixes to a service's command."""
    for line in DOCKERFILE.read_text().splitlines():
        if line.startswith("ENTRYPOINT "):
            entry: list[str] = json.loads(line.removeprefix("ENTRYPOINT "))
            return entry
    raise AssertionError("the Dockerfile has no ENTRYPOINT")


def env_example() -> dict[str, str]:
    """The variables .env.example sets, in order."""
    found: dict[str, str] = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, sep, value = line.partition("=")
            assert sep, f".env.example: not NAME=value: {line!r}"
            found[name.strip()] = value
    return found
