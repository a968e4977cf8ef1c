"""The dashboard's built bundle and the sources it was built from.

The bundle (api/static/dashboard) is committed and ships inside the Python package, so running
SalesPad never needs Node. Each build writes `sources.sha256`: a digest of the files that
determine the bundle (dashboard/index.html, package.json, package-lock.json, tsconfig.json,
vite.config.ts and everything under dashboard/src). The same digest is computed here, so

    python -m salespad.bundle check     exits 1 naming the fix when the bundle is stale
    python -m salespad.bundle refresh   rebuilds it when stale and npm exists (make dev)

vite.config.ts computes the digest the same way: a path's sha256 per file, sorted by path.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "dashboard"
BUNDLE = ROOT / "api" / "static" / "dashboard"
DIGEST_FILE = "sources.sha256"
# What a build reads besides src/ (node_modules comes from package-lock.json).
TOP_LEVEL = ("index.html", "package.json", "package-lock.json", "tsconfig.json", "vite.config.ts")


def source_files(root: Path = SOURCES) -> list[Path]:
    files = [root / name for name in TOP_LEVEL if (root / name).is_file()]
    files += [p for p in (root / "src").rglob("*") if p.is_file()]
    return sorted(files, key=lambda p: p.relative_to(root).as_posix())


def sources_digest(root: Path = SOURCES) -> str:
    """sha256 over "<relative path> <sha256 of its bytes>\\n" for every source, sorted by path."""
    outer = hashlib.sha256()
    for path in source_files(root):
        inner = hashlib.sha256(path.read_bytes()).hexdigest()
        outer.update(f"{path.relative_to(root).as_posix()} {inner}\n".encode())
    return outer.hexdigest()


def built_digest(bundle: Path = BUNDLE) -> str | None:
    stamp = bundle / DIGEST_FILE
    return stamp.read_text().strip() if stamp.is_file() else None


def stale(root: Path = SOURCES, bundle: Path = BUNDLE) -> bool:
    return built_digest(bundle) != sources_digest(root)


def build(out: Path | None = None, root: Path = SOURCES) -> None:
    """`npm run build` (type check, then Vite) into the package or `out`."""
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm not found: install Node.js 20+ to build the dashboard")
    if not (root / "node_modules").is_dir():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=root, check=True)
    env = None
    if out is not None:
        env = {**os.environ, "SALESPAD_DASHBOARD_OUT": str(out)}
    subprocess.run([npm, "run", "--silent", "build"], cwd=root, check=True, env=env)


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "check":
        if stale():
            print(
                "api/static/dashboard is stale: dashboard/ changed since it was built. "
                "Run `make dashboard` and commit api/static/dashboard.",
                file=sys.stderr,
            )
            return 1
        print("dashboard bundle is up to date")
        return 0
    if command == "refresh":
        if not stale():
            return 0
        if shutil.which("npm") is None:
            print("npm not found: serving the committed dashboard bundle as it is", file=sys.stderr)
            return 0
        print("dashboard/ changed: rebuilding api/static/dashboard")
        build()
        return 0
    if command == "build":
        build()
        return 0
    print(
        f"usage: python -m salespad.bundle check|refresh|build (got {command!r})", file=sys.stderr
    )
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
