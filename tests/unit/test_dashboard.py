"""The dashboard's committed bundle is the one its sources build, and its component tests pass.

The bundle ships inside the Python package (running SalesPad never needs Node), so a change to
dashboard/ without a rebuild would ship the old dashboard: the digest check catches that
everywhere, and where npm is installed (make install puts the tools in dashboard/node_modules)
the bundle is rebuilt into a temporary directory and compared byte for byte, and Vitest runs.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from salespad import bundle

NPM = shutil.which("npm")
TOOLS = bundle.SOURCES / "node_modules" / ".bin"
needs_npm = pytest.mark.skipif(
    NPM is None or not TOOLS.is_dir(),
    reason="npm or dashboard/node_modules missing (make install puts them there when npm exists)",
)


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_the_committed_bundle_was_built_from_the_current_sources() -> None:
    assert bundle.BUNDLE.joinpath("index.html").is_file(), "api/static/dashboard has no build"
    assert not bundle.stale(), "dashboard/ changed since the bundle was built: run `make dashboard`"


def test_a_changed_source_makes_the_bundle_stale(tmp_path: Path) -> None:
    copy = tmp_path / "dashboard"
    for path in bundle.source_files():
        target = copy / path.relative_to(bundle.SOURCES)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes())
    assert not bundle.stale(copy), "a faithful copy of the sources must match the bundle"
    page = copy / "src" / "App.tsx"
    page.write_text(page.read_text() + "\n// changed\n")
    assert bundle.stale(copy)
    (copy / "src" / "new.ts").write_text("export {};\n")
    page.write_text(page.read_text().replace("\n// changed\n", ""))
    assert bundle.stale(copy), "an added file changes what is built"


@needs_npm
def test_rebuilding_gives_the_committed_bundle_byte_for_byte(tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    bundle.build(out)
    built, committed = _files(out), _files(bundle.BUNDLE)
    assert sorted(built) == sorted(committed), "run `make dashboard` and commit the bundle"
    changed = [name for name in built if built[name] != committed[name]]
    assert not changed, f"rebuilt files differ: {changed}; run `make dashboard`"


@needs_npm
def test_the_dashboards_component_tests_pass() -> None:
    assert NPM is not None
    run = subprocess.run(
        [NPM, "test", "--silent", "--", "--reporter=dot"],
        cwd=bundle.SOURCES,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
    assert " passed" in run.stdout, run.stdout[-2000:]
