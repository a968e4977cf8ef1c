"""reply processing, message details, task idempotency

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


OPEN_STATES_V1 = "state IN ('active', 'paused')"
OPEN_STATES_V2 = "state IN ('active', 'paused', 'attention')"


def _open_enrollment_index(where: str) -> None:
    op.drop_index("uq_enrollment_open_per_lead", table_name="enrollment")
    op.create_index(
        "uq_enrollment_open_per_lead",
        "enrollment",
        ["lead_id"],
        unique=True,
        postgresql_where=sa.text(where),
    )


def upgrade() -> None:
    # A dead-lettered enrollment is still open: the lead must not be enrolled a second time.
    _open_enrollment_index(OPEN_STATES_V2)
    op.add_column("message", sa.Column("intent", sa.String(length=32), nullable=True))
    op.add_column("message", sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "message",
        sa.Column(
            "details",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
    )
    # The send step asks "does this lead have replies the sequence has not handled?" under the
    # lead lock before every send: keep that lookup an index probe.
    op.create_index(
        "ix_message_unprocessed_inbound",
        "message",
        ["lead_id"],
        postgresql_where=sa.text("direction = 'INBOUND' AND processed_at IS NULL"),
    )
    # Caps count a channel's sends of the last 24 h.
    op.create_index("ix_message_channel_created", "message", ["channel_id", "created_at"])
    op.create_index("ix_message_enrollment", "message", ["enrollment_id"])
    op.add_column("task", sa.Column("action", sa.String(length=32), nullable=True))
    op.add_column("task", sa.Column("note", sa.String(), nullable=True))
    op.create_index(
        "uq_task_enrollment_step",
        "task",
        ["enrollment_id", "step"],
        unique=True,
        postgresql_where=sa.text("enrollment_id IS NOT NULL"),
    )


def downgrade() -> None:
    _open_enrollment_index(OPEN_STATES_V1)
    op.drop_index("uq_task_enrollment_step", table_name="task")
    op.drop_column("task", "note")
    op.drop_column("task", "action")
    op.drop_index("ix_message_enrollment", table_name="message")
    op.drop_index("ix_message_channel_created", table_name="message")
    op.drop_index("ix_message_unprocessed_inbound", table_name="message")
    op.drop_column("message", "details")
    op.drop_column("message", "processed_at")
    op.drop_column("message", "intent")
