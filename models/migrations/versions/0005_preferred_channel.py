"""the lead's preferred channel

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable without a default: adding it rewrites nothing and locks the table only briefly.
    # A plain string like every enum column here (EMAIL, WHATSAPP, SMS; the API checks it).
    op.add_column("lead", sa.Column("preferred_channel", sa.String(length=16), nullable=True))


def downgrade() -> None:
    op.drop_column("lead", "preferred_channel")
