"""API keys: stored hashed, each with a scope (read | write | ops)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-10

One table of its own (models/api_keys.py); nothing else changes. The key itself is never
stored: `key_hash` is its SHA-256 (why that suffices: services/api_keys/service.py), unique, so
a presented key is one indexed lookup. `name` is unique over revoked keys too, so a listing
and `salespad apikey revoke NAME` never mean two keys.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_key",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("scope", sa.String(8), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("name", name="uq_api_key_name"),
        sa.UniqueConstraint("key_hash", name="uq_api_key_key_hash"),
        sa.CheckConstraint("scope IN ('read', 'write', 'ops')", name="ck_api_key_scope"),
    )


def downgrade() -> None:
    op.drop_table("api_key")
