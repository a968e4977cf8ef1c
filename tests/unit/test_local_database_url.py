"""Commands beside `salespad dev` find its database without a URL to copy."""

from __future__ import annotations

from pathlib import Path

from config.settings import Settings
from salespad.local import DATABASE_URL_FILE, database_url_for


def _settings(data_dir: Path, url: str | None = None) -> Settings:
    return Settings(_env_file=None, data_dir=data_dir, database_url=url)  # type: ignore[call-arg]


def test_the_dev_stacks_database_when_no_url_is_set(tmp_path: Path) -> None:
    assert database_url_for(_settings(tmp_path)) is None
    (tmp_path / DATABASE_URL_FILE).write_text("postgresql+psycopg://postgres:x@/salespad?host=/s\n")
    assert (
        database_url_for(_settings(tmp_path)) == "postgresql+psycopg://postgres:x@/salespad?host=/s"
    )


def test_salespad_database_url_wins(tmp_path: Path) -> None:
    (tmp_path / DATABASE_URL_FILE).write_text("postgresql+psycopg://dev@/salespad\n")
    chosen = database_url_for(_settings(tmp_path, "postgresql+psycopg://prod@db:5432/salespad"))
    assert chosen is not None and chosen.startswith("postgresql+psycopg://prod@db:5432/")
