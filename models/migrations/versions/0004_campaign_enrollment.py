"""campaign enrollment in the background: progress, selector, idempotency key, skipped leads

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
# At the merge with the imports branch this becomes "0003" (its revision revises "0002").
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _jsonb(name: str) -> sa.Column[object]:
    return sa.Column(
        name,
        postgresql.JSONB(astext_type=sa.Text()),
        server_default=sa.text("'{}'::jsonb"),
        nullable=False,
    )


def _count(name: str, default: str = "0") -> sa.Column[object]:
    return sa.Column(name, sa.Integer(), server_default=sa.text(default), nullable=False)


def upgrade() -> None:
    # Campaigns created before this revision enrolled inside their request: already done.
    op.add_column(
        "campaign",
        sa.Column("status", sa.String(length=16), server_default="enrolled", nullable=False),
    )
    op.add_column("campaign", _jsonb("selector"))
    op.add_column("campaign", sa.Column("idempotency_key", sa.String(length=200), nullable=True))
    op.add_column("campaign", sa.Column("request_hash", sa.String(length=64), nullable=True))
    op.add_column("campaign", _count("batches", "1"))
    op.add_column(
        "campaign",
        sa.Column(
            "finished_batches",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[0]'::jsonb"),
            nullable=False,
        ),
    )
    for name in ("selected", "enrolled", "skipped", "warnings"):
        op.add_column("campaign", _count(name))
    op.add_column("campaign", _jsonb("skip_reasons"))
    op.add_column(
        "campaign",
        sa.Column("enrolling_finished_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_unique_constraint("campaign_idempotency_key_key", "campaign", ["idempotency_key"])
    # Counts for campaigns that existed before: what their enrollments say.
    op.execute(
        "UPDATE campaign SET enrolled = e.n, selected = e.n, enrolling_finished_at = created_at "
        "FROM (SELECT campaign_id, count(*) AS n FROM enrollment GROUP BY campaign_id) AS e "
        "WHERE e.campaign_id = campaign.id"
    )
    op.add_column("enrollment", sa.Column("campaign_batch", sa.Integer(), nullable=True))
    op.create_table(
        "campaign_skip",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("batch", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.String(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_campaign_skip_campaign_id", "campaign_skip", ["campaign_id"], unique=False)
    op.create_index(
        "uq_campaign_skip_lead",
        "campaign_skip",
        ["campaign_id", "batch", "lead_id", "kind"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("uq_campaign_skip_lead", table_name="campaign_skip")
    op.drop_index("ix_campaign_skip_campaign_id", table_name="campaign_skip")
    op.drop_table("campaign_skip")
    op.drop_column("enrollment", "campaign_batch")
    op.drop_constraint("campaign_idempotency_key_key", "campaign", type_="unique")
    for name in (
        "enrolling_finished_at",
        "skip_reasons",
        "warnings",
        "skipped",
        "enrolled",
        "selected",
        "finished_batches",
        "batches",
        "request_hash",
        "idempotency_key",
        "selector",
        "status",
    ):
        op.drop_column("campaign", name)
