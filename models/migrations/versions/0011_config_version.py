"""Configuration version: bumped in the same transaction as every change to the channel table

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-11

Workers keep their channel adapters behind a short-lived cache (services/channels/live.py):
every few seconds they read this one number, and only when it moved do they read the channel
rows again and rebuild what changed. A statement trigger on `channel` bumps it, so every way a
channel changes counts (POST /api/channels, PUT .../pacing, a row created on first use, a
DELETE or TRUNCATE by hand), and the new number becomes visible with the change itself: a
worker that sees it reads the new rows, never the old ones under a new number.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BUMP_FUNCTION = """
CREATE OR REPLACE FUNCTION salespad_bump_config_version() RETURNS trigger AS $$
BEGIN
    UPDATE config_version SET version = version + 1, changed_at = now() WHERE id = 1;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""


def upgrade() -> None:
    op.create_table(
        "config_version",
        sa.Column("id", sa.SmallInteger(), primary_key=True),
        sa.Column("version", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column(
            "changed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.CheckConstraint("id = 1", name="ck_config_version_one_row"),
    )
    op.execute("INSERT INTO config_version (id, version) VALUES (1, 0)")
    op.execute(BUMP_FUNCTION)
    op.execute(
        "CREATE TRIGGER channel_config_version "
        "AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON channel "
        "FOR EACH STATEMENT EXECUTE FUNCTION salespad_bump_config_version()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS channel_config_version ON channel")
    op.execute("DROP FUNCTION IF EXISTS salespad_bump_config_version()")
    op.drop_table("config_version")
