"""Run Alembic migrations programmatically (salespad dev, salespad migrate, test fixtures)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from models.db import normalize_url

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser interpolation would choke on a `%` in a password.
    cfg.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def revisions(url: str) -> tuple[set[str], set[str], set[str]]:
    """The database's current revisions (empty: no schema), our heads, and every revision we
    know (a current one outside it was written by a newer version)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from models.db import sync_engine

    script = ScriptDirectory.from_config(alembic_config(url))
    heads = set(script.get_heads())
    known = {rev.revision for rev in script.walk_revisions()}
    engine = sync_engine(url, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as conn:
            current = set(MigrationContext.configure(conn).get_current_heads())
    finally:
        engine.dispose()
    return current, heads, known
