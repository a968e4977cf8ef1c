"""Mailboxes: sender identities with their own pacing, promised send slots, IMAP read state

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-12

`mailbox` (models/mailboxes.py) with `mailbox_slot` and `mailbox_imap_state`; each outbound
message records the mailbox it went out from (`message.mailbox_id`, indexed with its time for
the cap counts), and a campaign the pool it sends from (`campaign.mailboxes`,
`campaign.mailbox_owner`). Nothing existing changes meaning: a campaign with an empty pool and
no mailbox of a channel type sends through the channel as before.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_EMPTY = sa.text("'{}'::jsonb")


def _ts(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(
        name,
        sa.DateTime(timezone=True),
        nullable=nullable,
        server_default=None if nullable else sa.func.now(),
    )


def upgrade() -> None:
    op.create_table(
        "mailbox",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("channel_type", sa.String(16), nullable=False),
        sa.Column("provider", sa.String(16), nullable=True),
        sa.Column("address", sa.String(320), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=True),
        sa.Column("owner", sa.String(200), nullable=True),
        sa.Column("config", postgresql.JSONB(), nullable=False, server_default=_EMPTY),
        sa.Column("daily_cap", sa.Integer(), nullable=True),
        sa.Column("hourly_cap", sa.Integer(), nullable=True),
        sa.Column("min_gap_seconds", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("jitter_seconds", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("send_window", postgresql.JSONB(), nullable=False, server_default=_EMPTY),
        sa.Column("timezone", sa.String(64), nullable=False, server_default="UTC"),
        sa.Column("ramp", postgresql.JSONB(), nullable=False, server_default=_EMPTY),
        sa.Column("pool_default", sa.Boolean(), nullable=False, server_default="true"),
        sa.Column("state", sa.String(16), nullable=False, server_default="active"),
        sa.Column("paused_reason", sa.String(), nullable=True),
        _ts("paused_at", nullable=True),
        sa.Column("bounce_threshold", sa.Float(), nullable=True),
        sa.Column("complaint_threshold", sa.Float(), nullable=True),
        _ts("created_at"),
        _ts("updated_at"),
        sa.UniqueConstraint("name", name="uq_mailbox_name"),
        sa.CheckConstraint("state IN ('active', 'paused', 'disabled')", name="ck_mailbox_state"),
    )
    op.create_index("ix_mailbox_channel_type", "mailbox", ["channel_type"])
    op.create_index("ix_mailbox_owner", "mailbox", ["owner"])
    op.create_table(
        "mailbox_slot",
        sa.Column("idempotency_key", sa.String(), primary_key=True),
        sa.Column(
            "mailbox_id",
            sa.Uuid(),
            sa.ForeignKey("mailbox.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_mailbox_slot_mailbox_at", "mailbox_slot", ["mailbox_id", "at"])
    op.create_table(
        "mailbox_imap_state",
        sa.Column(
            "mailbox_id",
            sa.Uuid(),
            sa.ForeignKey("mailbox.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("folder", sa.String(200), nullable=False, server_default="INBOX"),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=True),
        sa.Column("last_uid", sa.BigInteger(), nullable=False, server_default="0"),
        _ts("last_polled_at", nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("messages_seen", sa.Integer(), nullable=False, server_default="0"),
    )
    op.add_column("message", sa.Column("mailbox_id", sa.Uuid(), nullable=True))
    op.create_foreign_key("fk_message_mailbox_id", "message", "mailbox", ["mailbox_id"], ["id"])
    op.create_index(
        "ix_message_mailbox_created",
        "message",
        ["mailbox_id", "created_at"],
        postgresql_where=sa.text("mailbox_id IS NOT NULL"),
    )
    op.add_column(
        "campaign",
        sa.Column(
            "mailboxes", postgresql.JSONB(), nullable=False, server_default=sa.text("'[]'::jsonb")
        ),
    )
    op.add_column(
        "campaign",
        sa.Column("mailbox_owner", sa.Boolean(), nullable=False, server_default="false"),
    )


def downgrade() -> None:
    op.drop_column("campaign", "mailbox_owner")
    op.drop_column("campaign", "mailboxes")
    op.drop_index("ix_message_mailbox_created", table_name="message")
    op.drop_constraint("fk_message_mailbox_id", "message", type_="foreignkey")
    op.drop_column("message", "mailbox_id")
    op.drop_table("mailbox_imap_state")
    op.drop_index("ix_mailbox_slot_mailbox_at", table_name="mailbox_slot")
    op.drop_table("mailbox_slot")
    op.drop_index("ix_mailbox_owner", table_name="mailbox")
    op.drop_index("ix_mailbox_channel_type", table_name="mailbox")
    op.drop_table("mailbox")
