"""Rendering message templates. Lead fields are untrusted input: always the sandbox.

Jinja2 has had sandbox escapes (CVE-2019-10906, CVE-2024-56326, CVE-2024-56201,
CVE-2025-27516), so pyproject requires Jinja2 >= 3.1.6, templates render in a
SandboxedEnvironment with StrictUndefined, and no custom filter that calls its arguments is added.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, UndefinedError, meta
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

_ENV = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)


class TemplateError(ValueError):
    """A template that does not parse or names a variable the lead does not have."""


def check_syntax(source: str) -> None:
    try:
        _ENV.parse(source)
    except TemplateSyntaxError as exc:
        raise TemplateError(f"line {exc.lineno}: {exc.message}") from exc


# What `lead.<name>` may be; `lead.metadata.<key>` is free-form and checked at send time.
LEAD_FIELDS = frozenset(
    {
        "name",
        "first_name",
        "last_name",
        "email",
        "phone",
        "company",
        "title",
        "owner",
        "timezone",
        "metadata",
    }
)
_LEAD_ATTR = re.compile(r"\blead\.([A-Za-z_][A-Za-z0-9_]*)")


def check_variables(source: str) -> None:
    """Refuse templates naming a variable no lead has (`{{ lead.frist_name }}`, `{{ foo }}`)."""
    ast = _ENV.parse(source)
    unknown_roots = meta.find_undeclared_variables(ast) - {"lead"}
    if unknown_roots:
        raise TemplateError(f"unknown variable: {', '.join(sorted(unknown_roots))}")
    for name in _LEAD_ATTR.findall(source):
        if name not in LEAD_FIELDS:
            raise TemplateError(
                f"unknown variable: lead.{name} (known: {', '.join(sorted(LEAD_FIELDS))})"
            )


@functools.lru_cache(maxsize=1024)
def _compiled(source: str) -> Template:
    """A campaign's few templates are rendered for every lead: compile each once per process
    (a Template renders from any thread; a syntax error is raised again, never cached)."""
    return _ENV.from_string(source)


def render(source: str, context: dict[str, Any]) -> str:
    try:
        return _compiled(source).render(**context)
    except TemplateSyntaxError as exc:
        raise TemplateError(f"line {exc.lineno}: {exc.message}") from exc
    except UndefinedError as exc:
        raise TemplateError(f"unknown variable: {exc.message}") from exc
    except SecurityError as exc:
        raise TemplateError(f"refused by the sandbox: {exc}") from exc


def lead_context(
    *,
    name: str,
    email: str | None,
    phone: str | None,
    company: str | None,
    title: str | None,
    owner: str | None,
    timezone: str | None,
    metadata: dict[str, Any],
) -> dict[str, Any]:
    """The variables a template sees: `lead.first_name`, `lead.company`, `lead.metadata.x`..."""
    first, _, last = name.strip().partition(" ")
    return {
        "lead": {
            "name": name,
            "first_name": first or name,
            "last_name": last,
            "email": email or "",
            "phone": phone or "",
            "company": company or "",
            "title": title or "",
            "owner": owner or "",
            "timezone": timezone or "",
            "metadata": dict(metadata),
        }
    }
