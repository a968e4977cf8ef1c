"""The pre-launch check: render every template of a sequence for one lead before enrolling it.

A variable the lead's data lacks (`{{ lead.metadata.topic }}`) would fail the send days later;
here it skips the lead with the field and step named. A variable with a fallback
(`{{ lead.metadata.topic | default("your team") }}`) renders, and is reported as a warning.
Same sandbox and strictness as sending (sequences/templating.py).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, UndefinedError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from models.tables import Lead
from services.leads.context import template_context
from workflows.spec import SendStep, SequenceSpec


class _Noted(StrictUndefined):
    """StrictUndefined that notes each missing variable (even one a `default` then replaces)
    in the list the render passed in its globals."""

    __slots__ = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _CURRENT.append(self)


# Rendering is synchronous and never yields to the event loop, so one list is enough.
_CURRENT: list[_Noted] = []
_ENV = SandboxedEnvironment(undefined=_Noted, autoescape=False, keep_trailing_newline=True)


@functools.lru_cache(maxsize=256)
def _template(source: str) -> Template:
    return _ENV.from_string(source)


@dataclass
class Prelaunch:
    missing: str | None = None  # "step 1 (intro) body: lead.metadata.topic"
    fallbacks: list[str] = field(default_factory=list)


def _sources(spec: SequenceSpec) -> Iterator[tuple[str, str]]:
    for step_no, step in enumerate(spec.steps, start=1):
        if not isinstance(step, SendStep):
            continue
        where = f"step {step_no} ({step.id})"
        if step.subject:
            yield f"{where} subject", step.subject
        yield f"{where} body", step.body
        for variant in step.variants:
            if variant.subject:
                yield f"{where} variant {variant.name} subject", variant.subject
            yield f"{where} variant {variant.name} body", variant.body
        # A Message step's other channels: any of them may be the one the lead prefers.
        for alt in step.alternatives:
            if alt.subject:
                yield f"{where} {alt.channel} subject", alt.subject
            yield f"{where} {alt.channel} body", alt.body


def _name(missing: _Noted, context: dict[str, Any]) -> str:
    name = str(missing._undefined_name)
    obj = missing._undefined_obj
    lead = context["lead"]
    if obj is lead["metadata"]:
        return f"lead.metadata.{name}"
    if obj is lead:
        return f"lead.{name}"
    return name


def check_lead(spec: SequenceSpec, lead: Lead) -> Prelaunch:
    """Render each send step's subject, body and variants with the lead's data."""
    context = template_context(lead)
    result = Prelaunch()
    for where, source in _sources(spec):
        del _CURRENT[:]
        try:
            _template(source).render(**context)
        except UndefinedError:
            name = _name(_CURRENT[-1], context) if _CURRENT else "a variable"
            result.missing = f"{where}: {name}"
            return result
        except (TemplateSyntaxError, SecurityError) as exc:
            result.missing = f"{where}: {exc}"
            return result
        finally:
            noted, _CURRENT[:] = list(_CURRENT), []
        result.fallbacks += [f"{where}: {_name(n, context)}" for n in noted]
    return result
