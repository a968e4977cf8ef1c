"""The error catalogue (workflows/errors.py) is complete and the retry policies follow it.

The adapters' and activities' source is read with `ast`: every error type they can raise is
collected from the error classes' defaults and every `error_type=` / `type=` argument (through
catalogue constants, local variables, conditional expressions and lookup tables). No servers.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

from workflows import errors
from workflows.policies import DB_POLICY, LLM_POLICY, SEND_POLICY

ROOT = Path(__file__).resolve().parents[3]
# What each error class means for a retry; the bases are never raised on their own.
KINDS = {
    "ChannelError": "transient_channel",
    "TransientChannelError": "transient_channel",
    "OutcomeUnknownChannelError": "unknown_channel",
    "PermanentChannelError": "permanent_channel",
    "LLMError": "transient_llm",
    "TransientLLMError": "transient_llm",
    "PermanentLLMError": "permanent_llm",
}
# The policy each activity module's ApplicationErrors run under (see workflows/steps.py).
ACTIVITY_POLICIES = {
    "sending.py": SEND_POLICY,
    "drafting.py": LLM_POLICY,
    "replies.py": LLM_POLICY,
}


class Unresolvable(Exception):
    pass


def _catalogued(node: ast.expr) -> str:
    """`errors.NAME`, or a NAME imported from workflows.errors, as its value."""
    name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")
    value = getattr(errors, name, None)
    if not isinstance(value, str):
        raise Unresolvable(f"line {node.lineno}: {ast.unparse(node)} is not a catalogue constant")
    return value


def resolve(node: ast.expr, scope: ast.AST, tables: dict[str, ast.Dict]) -> set[str]:
    """Every error type an expression can evaluate to; literals are refused."""
    if isinstance(node, ast.Constant):
        raise Unresolvable(f"line {node.lineno}: literal {node.value!r}: use workflows/errors.py")
    if isinstance(node, ast.IfExp):
        return resolve(node.body, scope, tables) | resolve(node.orelse, scope, tables)
    if isinstance(node, ast.Attribute) and ast.unparse(node.value) == "errors":
        return {_catalogued(node)}
    if isinstance(node, ast.Name):
        assigned = [
            a.value
            for a in ast.walk(scope)
            if isinstance(a, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == node.id for t in a.targets)
        ]
        if assigned:  # a local variable: whatever was assigned to it
            return set().union(*(resolve(value, scope, tables) for value in assigned))
        return {_catalogued(node)}
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get"
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id in tables
    ):  # TABLE.get(key, default): any value of the table, or the default
        values = [v for v in tables[node.func.value.id].values if v is not None]
        found = set().union(*(resolve(v, scope, tables) for v in values))
        return found | set().union(*(resolve(d, scope, tables) for d in node.args[1:]))
    raise Unresolvable(f"line {node.lineno}: cannot tell which type {ast.unparse(node)} is")


def _functions(tree: ast.Module) -> Iterator[ast.AST]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def _tables(tree: ast.Module) -> dict[str, ast.Dict]:
    return {
        t.id: node.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict)
        for t in node.targets
        if isinstance(t, ast.Name)
    }


def produced_by(source: str) -> dict[str, set[str]]:
    """kind -> error types the source can raise (class defaults and `error_type=` arguments)."""
    tree = ast.parse(source)
    tables = _tables(tree)
    found: dict[str, set[str]] = defaultdict(set)
    for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.name in KINDS):
        for stmt in cls.body:
            if isinstance(stmt, ast.Assign) and ast.unparse(stmt.targets[0]) == "error_type":
                found[KINDS[cls.name]] |= resolve(stmt.value, cls, tables)
    for function in _functions(tree):
        for call in (n for n in ast.walk(function) if isinstance(n, ast.Call)):
            kind = KINDS.get(getattr(call.func, "id", ""))
            for keyword in call.keywords:
                if kind and keyword.arg == "error_type":
                    found[kind] |= resolve(keyword.value, function, tables)
    return found


def _adapters() -> dict[str, set[str]]:
    found: dict[str, set[str]] = defaultdict(set)
    for path in sorted((ROOT / "adapters").rglob("*.py")):
        for kind, types in produced_by(path.read_text()).items():
            found[kind] |= types
    return found


def test_every_type_the_adapters_raise_is_catalogued_in_its_group() -> None:
    found = _adapters()
    assert found["permanent_channel"] == set(errors.PERMANENT_CHANNEL_ERRORS)
    assert found["transient_channel"] == set(errors.TRANSIENT_CHANNEL_ERRORS)
    assert found["unknown_channel"] == set(errors.OUTCOME_UNKNOWN_CHANNEL_ERRORS)
    assert found["permanent_llm"] == set(errors.PERMANENT_LLM_ERRORS)
    assert found["transient_llm"] == set(errors.TRANSIENT_LLM_ERRORS)
    # The examples, so the scan cannot quietly find less than it should.
    assert {"SendGridBadRequest", "InvalidRecipient", "RecipientOptedOut"} <= found[
        "permanent_channel"
    ]
    assert {"WhatsAppOutsideWindow", "TwilioUnauthorized", "TwilioRejected"} <= found[
        "permanent_channel"
    ]
    assert {"LLMForbidden", "LLMQuotaExceeded", "LLMContentFilter", "LLMClientError"} <= found[
        "permanent_llm"
    ]


def test_permanent_types_are_never_retried_and_transient_ones_are() -> None:
    send = set(SEND_POLICY.non_retryable_error_types or ())
    llm = set(LLM_POLICY.non_retryable_error_types or ())
    assert set(errors.PERMANENT_CHANNEL_ERRORS) <= send
    assert {errors.SEND_OUTCOME_UNKNOWN, errors.TEMPLATE_ERROR} <= send
    assert set(errors.PERMANENT_LLM_ERRORS) <= llm
    # A transient type there would turn a 429 into a dead letter.
    assert not send & set(errors.TRANSIENT_CHANNEL_ERRORS)
    assert not llm & set(errors.TRANSIENT_LLM_ERRORS)
    assert "LLMMalformedOutput" not in llm  # one retry often gets well-formed output
    assert not DB_POLICY.non_retryable_error_types  # a DB outage is waited out


def test_activities_raise_catalogued_types_their_policy_does_not_retry() -> None:
    checked = 0
    for path in sorted((ROOT / "activities").glob("*.py")):
        tree = ast.parse(path.read_text())
        for function in _functions(tree):
            for call in ast.walk(function):
                if not (
                    isinstance(call, ast.Call) and ast.unparse(call.func) == "ApplicationError"
                ):
                    continue
                kw = {k.arg: k.value for k in call.keywords}
                if isinstance(kw["type"], ast.Attribute) and kw["type"].attr == "error_type":
                    continue  # an adapter's type, passed on (checked above)
                error_type = _catalogued(kw["type"])
                non_retryable = kw.get("non_retryable")
                assert isinstance(non_retryable, ast.Constant) and non_retryable.value is True
                policy = ACTIVITY_POLICIES[path.name]
                assert error_type in (policy.non_retryable_error_types or ()), (path, error_type)
                checked += 1
    assert checked >= 4  # outcome unknown, two template errors, reply not found


def test_every_catalogue_constant_is_in_a_group() -> None:
    names = {v for k, v in vars(errors).items() if k.isupper() and isinstance(v, str)}
    grouped = {
        *errors.PERMANENT_CHANNEL_ERRORS,
        *errors.TRANSIENT_CHANNEL_ERRORS,
        *errors.OUTCOME_UNKNOWN_CHANNEL_ERRORS,
        *errors.PERMANENT_LLM_ERRORS,
        *errors.TRANSIENT_LLM_ERRORS,
        *errors.SEND_STEP_ERRORS,
        *errors.LLM_STEP_ERRORS,
    }
    assert names == grouped


@pytest.mark.parametrize(
    "source",
    [
        'def f():\n    raise PermanentChannelError("x", error_type="Typo")',
        "def f():\n    raise TransientLLMError('x', error_type=errors.NOT_THERE)",
        "def f(t):\n    raise PermanentLLMError('x', error_type=t.upper())",
    ],
)
def test_the_scan_refuses_what_it_cannot_check(source: str) -> None:
    with pytest.raises(Unresolvable):
        produced_by(source)


def test_the_scan_follows_variables_and_tables() -> None:
    source = (
        "T = {1: errors.SMTP_REJECTED}\n"
        "def f(c):\n"
        "    kind = errors.SMTP_TIMEOUT if c else errors.SMTP_UNREACHABLE\n"
        "    if c > 1:\n"
        "        raise TransientChannelError('x', error_type=kind)\n"
        "    raise PermanentChannelError('x', error_type=T.get(c, errors.INVALID_CONTENT))\n"
    )
    assert produced_by(source) == {
        "transient_channel": {"SmtpTimeout", "SmtpUnreachable"},
        "permanent_channel": {"SmtpRejected", "InvalidContent"},
    }
