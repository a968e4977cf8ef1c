"""The dependency direction of DESIGN.md, checked on the source's imports (AST only, no servers).

`salespad (composition root) -> api -> services -> {models, workflows.contracts, adapters}`;
`worker -> {workflows, activities}`; `activities -> {services, models, adapters}`; `models`
imports nothing of ours; settings and the Temporal client (`config`) are the neutral piece.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OURS = frozenset(
    {"activities", "adapters", "api", "config", "models", "salespad", "sequences", "services",
     "worker", "workflows"}
)  # fmt: skip
# The only door into the web package, and the only module that may open it.
API_DOOR = {"salespad/cli.py": frozenset({"api", "api.app", "api.app.create_app"})}


@dataclass(frozen=True)
class Rule:
    """Modules under `source` (a package folder or a .py file) may not import `banned`
    (top-level names, or dotted prefixes)."""

    source: str
    banned: frozenset[str]
    why: str


RULES = [
    Rule(
        "models",
        (OURS - {"models"}) | {"temporalio"},
        "models is pure persistence: it knows no engine, no rule and no layer above it",
    ),
    Rule(
        "worker.py",
        frozenset({"api", "salespad"}),
        "the worker never loads the web package or the CLI",
    ),
    Rule(
        "activities",
        frozenset({"api", "salespad"}),
        "activities use services, never the web package or the CLI",
    ),
    Rule(
        "workflows",
        frozenset(
            {
                "activities",
                "adapters",
                "models",
                "services",
                "api",
                "salespad",
                "sequences",
                "config",
                "sqlmodel",
                "openai",
                "sendgrid",
                "twilio",
                # Clocks, randomness and I/O: workflow.now(), workflow.random(), workflow.uuid4().
                "random",
                "uuid",
                "time",
                "os",
                "secrets",
                "socket",
                "subprocess",
                "threading",
            }
        ),
        "workflow code is deterministic: contracts, policies and the spec only",
    ),
    Rule("services", frozenset({"api", "salespad"}), "services sit below the API and the CLI"),
    Rule("config", frozenset({"api", "salespad", "services", "activities"}), "config is neutral"),
]


def imports_of(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, dotted module) for every absolute import. `from api import deps` counts as
    importing `api.deps`, so a package cannot be entered through its parent."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                ours = node.module.split(".")[0] in OURS
                yield node.lineno, submodule if ours else node.module


def _matches(module: str, banned: frozenset[str]) -> bool:
    return any(module == b or module.startswith(b + ".") for b in banned)


def violations(root: Path, rules: list[Rule]) -> list[str]:
    found = []
    for rule in rules:
        target = root / rule.source
        files = [target] if target.suffix == ".py" else sorted(target.rglob("*.py"))
        for path in files:
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            for line, module in imports_of(tree):
                if _matches(module, rule.banned):
                    found.append(f"{path.relative_to(root)}:{line} imports {module} ({rule.why})")
    return found


CLOCK_CALLS = frozenset({"now", "utcnow", "today", "fromtimestamp"})


def shared_state_hazards(root: Path) -> list[str]:
    """What the passed-through sandbox (worker.workflow_runner) would not catch in workflows/:
    reading the host's clock (`datetime.now()`, `date.today()`; workflow.now() is the one
    to use) and `global` rebinding, which would carry state from one lead's run to the next
    now that the package is imported once per process."""
    found = []
    for path in sorted((root / "workflows").rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), rel)):
            if isinstance(node, ast.Global | ast.Nonlocal):
                found.append(f"{rel}:{node.lineno} rebinds {', '.join(node.names)}")
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in CLOCK_CALLS
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id in {"datetime", "date"}
            ):
                call = f"{node.func.value.id}.{node.func.attr}"
                found.append(f"{rel}:{node.lineno} reads the clock ({call})")
    return found


def api_importers(root: Path) -> list[str]:
    """Modules outside api/ that import it, except salespad/cli.py's `api` / `api.app`."""
    found = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if rel.startswith(("api/", "tests/", ".venv/", "bench/")) or "/." in f"/{rel}":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), rel)
        for line, module in imports_of(tree):
            if not _matches(module, frozenset({"api"})):
                continue
            if module in API_DOOR.get(rel, frozenset()):
                continue
            found.append(f"{rel}:{line} imports {module}")
    return found


def test_every_layer_imports_only_what_it_may() -> None:
    assert violations(ROOT, RULES) == []


def test_only_the_cli_imports_the_api() -> None:
    assert api_importers(ROOT) == []


def test_workflow_code_reads_no_clock_and_keeps_no_module_state() -> None:
    assert shared_state_hazards(ROOT) == []


def test_the_hazard_check_finds_clocks_and_globals(tmp_path: Path) -> None:
    (tmp_path / "workflows").mkdir()
    (tmp_path / "workflows" / "w.py").write_text(
        "import random\n"
        "from datetime import date, datetime\n"
        "SEEN = 0\n"
        "def f():\n"
        "    global SEEN\n"
        "    return datetime.now(), date.today(), workflow.now()\n"
    )
    assert shared_state_hazards(tmp_path) == [
        "workflows/w.py:5 rebinds SEEN",
        "workflows/w.py:6 reads the clock (datetime.now)",
        "workflows/w.py:6 reads the clock (date.today)",
    ]
    workflow_rule = [rule for rule in RULES if rule.source == "workflows"]
    assert violations(tmp_path, workflow_rule) == [
        "workflows/w.py:1 imports random "
        "(workflow code is deterministic: contracts, policies and the spec only)"
    ]


def test_every_rule_names_an_existing_source() -> None:
    for rule in RULES:
        assert (ROOT / rule.source).exists(), rule.source


@pytest.fixture
def tiny_repo(tmp_path: Path) -> Path:
    """A repository that breaks each rule once, to show the checker catches it."""
    files = {
        "models/tables.py": "from workflows.contracts import X\nimport temporalio.activity\n",
        "models/ok.py": "from models.enums import Y\nimport sqlmodel\n",
        "worker.py": "from api.webhooks import tokens\n",
        "activities/a.py": "from api import deps\n",
        "workflows/w.py": "from sqlmodel import select\nfrom adapters.llm import base\n",
        "services/s.py": "from salespad.config import Settings\n",
        "config/c.py": "import services.gateway\n",
        "salespad/cli.py": "from api.app import create_app\n",
        "salespad/simulate.py": "from api.services import leads\n",
    }
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_the_checker_fails_on_a_violation(tiny_repo: Path) -> None:
    found = violations(tiny_repo, RULES)
    offenders = sorted({line.split(":")[0] for line in found})
    assert offenders == [
        "activities/a.py",
        "config/c.py",
        "models/tables.py",
        "services/s.py",
        "worker.py",
        "workflows/w.py",
    ]
    assert len([line for line in found if line.startswith("models/tables.py")]) == 2
    assert len([line for line in found if line.startswith("workflows/w.py")]) == 2
    assert api_importers(tiny_repo) == [
        "activities/a.py:1 imports api.deps",
        "salespad/simulate.py:1 imports api.services.leads",
        "worker.py:1 imports api.webhooks.tokens",
    ]


def test_the_cli_may_import_only_the_app(tmp_path: Path) -> None:
    (tmp_path / "salespad").mkdir()
    (tmp_path / "salespad" / "cli.py").write_text(
        "from api.app import create_app\nfrom api import deps\n"
    )
    assert api_importers(tmp_path) == ["salespad/cli.py:2 imports api.deps"]
