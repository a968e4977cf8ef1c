"""event attribution for analytics, the enrollment's A/B arm, owner notifications

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

Every event row says which campaign, enrollment, step, channel, A/B arm and reply intent it
belongs to, so funnels are one indexed, set-based scan of the event log. The columns are
filled by a BEFORE INSERT trigger from what the row itself names (its details' enrollment_id,
campaign_id, step, channel, arm, intent, message_id), else from the lead's enrollment at that
moment: every writer (API services, activities, the importer's bulk INSERT) gets the same
attribution without knowing about it, and the log stays append-only.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ATTRIBUTE = """
CREATE OR REPLACE FUNCTION salespad_event_log_attribute() RETURNS trigger AS $$
DECLARE
    d jsonb := NEW.details;
    m_enrollment uuid;
    m_step integer;
    m_channel text;
    m_arm text;
BEGIN
    -- 1. What the row names itself.
    IF NEW.enrollment_id IS NULL AND d->>'enrollment_id' ~ '^[0-9a-fA-F-]{36}$' THEN
        NEW.enrollment_id := (d->>'enrollment_id')::uuid;
    END IF;
    IF NEW.campaign_id IS NULL AND d->>'campaign_id' ~ '^[0-9a-fA-F-]{36}$' THEN
        NEW.campaign_id := (d->>'campaign_id')::uuid;
    END IF;
    IF NEW.step IS NULL AND jsonb_typeof(d->'step') = 'number' THEN
        NEW.step := (d->>'step')::integer;
    END IF;
    NEW.channel := COALESCE(NEW.channel, left(d->>'channel', 16));
    NEW.arm := COALESCE(NEW.arm, left(d->>'arm', 64));
    NEW.intent := COALESCE(NEW.intent, left(d->>'intent', 32));
    -- 2. An outbound message names its enrollment, step, channel and arm (sends and the
    --    provider's delivery, open, click and bounce reports about them).
    IF d->>'message_id' ~ '^[0-9a-fA-F-]{36}$' THEN
        SELECT m.enrollment_id, m.step, c.type, m.details->>'arm'
          INTO m_enrollment, m_step, m_channel, m_arm
          FROM message m LEFT JOIN channel c ON c.id = m.channel_id
         WHERE m.id = (d->>'message_id')::uuid AND m.direction = 'OUTBOUND';
        IF FOUND THEN
            NEW.enrollment_id := COALESCE(NEW.enrollment_id, m_enrollment);
            NEW.step := COALESCE(NEW.step, m_step);
            NEW.channel := COALESCE(NEW.channel, m_channel);
            NEW.arm := COALESCE(NEW.arm, m_arm);
        END IF;
    END IF;
    -- 3. Else the lead's enrollment at this moment: its open one, else its latest.
    IF NEW.enrollment_id IS NULL AND NEW.campaign_id IS NULL AND NEW.lead_id IS NOT NULL THEN
        SELECT e.id INTO NEW.enrollment_id
          FROM enrollment e
         WHERE e.lead_id = NEW.lead_id
         ORDER BY (e.state IN ('active', 'paused', 'attention')) DESC, e.created_at DESC
         LIMIT 1;
    END IF;
    IF NEW.enrollment_id IS NOT NULL THEN
        SELECT e.campaign_id, COALESCE(NEW.arm, e.arm)
          INTO m_enrollment, m_arm
          FROM enrollment e WHERE e.id = NEW.enrollment_id;
        IF FOUND THEN
            NEW.campaign_id := COALESCE(NEW.campaign_id, m_enrollment);
            NEW.arm := m_arm;
        END IF;
        -- A reply (or anything else without a step) belongs to the step the lead last
        -- received, on that step's channel.
        IF NEW.step IS NULL THEN
            SELECT m.step, COALESCE(NEW.channel, c.type)
              INTO NEW.step, NEW.channel
              FROM message m LEFT JOIN channel c ON c.id = m.channel_id
             WHERE m.enrollment_id = NEW.enrollment_id AND m.direction = 'OUTBOUND'
               AND m.sent_at IS NOT NULL
             ORDER BY m.sent_at DESC
             LIMIT 1;
        END IF;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""

# The same attribution for rows written before this revision (set-based, once).
BACKFILL = """
UPDATE event_log e SET
    enrollment_id = CASE WHEN e.details->>'enrollment_id' ~ '^[0-9a-fA-F-]{36}$'
                         THEN (e.details->>'enrollment_id')::uuid END,
    campaign_id = CASE WHEN e.details->>'campaign_id' ~ '^[0-9a-fA-F-]{36}$'
                       THEN (e.details->>'campaign_id')::uuid END,
    step = CASE WHEN jsonb_typeof(e.details->'step') = 'number'
                THEN (e.details->>'step')::integer END,
    channel = left(e.details->>'channel', 16),
    arm = left(e.details->>'arm', 64),
    intent = left(e.details->>'intent', 32);

UPDATE event_log e SET
    enrollment_id = COALESCE(e.enrollment_id, m.enrollment_id),
    step = COALESCE(e.step, m.step),
    channel = COALESCE(e.channel, c.type),
    arm = COALESCE(e.arm, m.details->>'arm')
FROM message m LEFT JOIN channel c ON c.id = m.channel_id
WHERE e.details->>'message_id' ~ '^[0-9a-fA-F-]{36}$'
  AND m.id = (e.details->>'message_id')::uuid AND m.direction = 'OUTBOUND';

UPDATE event_log e SET enrollment_id = (
    SELECT n.id FROM enrollment n
     WHERE n.lead_id = e.lead_id AND n.created_at <= e.timestamp
     ORDER BY n.created_at DESC LIMIT 1)
WHERE e.enrollment_id IS NULL AND e.campaign_id IS NULL AND e.lead_id IS NOT NULL;

UPDATE event_log e SET campaign_id = COALESCE(e.campaign_id, n.campaign_id)
FROM enrollment n WHERE n.id = e.enrollment_id;
"""


def upgrade() -> None:
    op.add_column("enrollment", sa.Column("arm", sa.String(length=64), nullable=True))
    for column in (
        sa.Column("campaign_id", sa.Uuid(), nullable=True),
        sa.Column("enrollment_id", sa.Uuid(), nullable=True),
        sa.Column("step", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=True),
        sa.Column("arm", sa.String(length=64), nullable=True),
        sa.Column("intent", sa.String(length=32), nullable=True),
    ):
        op.add_column("event_log", column)
    op.execute(ATTRIBUTE)
    op.execute(
        "CREATE TRIGGER event_log_attribute BEFORE INSERT ON event_log "
        "FOR EACH ROW EXECUTE FUNCTION salespad_event_log_attribute()"
    )
    # The log refuses UPDATE; this one-time backfill is the only exception.
    op.execute("ALTER TABLE event_log DISABLE TRIGGER event_log_append_only")
    op.execute(BACKFILL)
    op.execute("ALTER TABLE event_log ENABLE TRIGGER event_log_append_only")
    # Funnels read only this index (an index-only scan once vacuum has seen the pages).
    op.create_index(
        "ix_event_log_campaign",
        "event_log",
        ["campaign_id", "event_type"],
        postgresql_include=["lead_id", "step", "channel", "arm", "intent", "timestamp"],
        postgresql_where=sa.text("campaign_id IS NOT NULL"),
    )
    op.create_index("ix_event_log_timestamp", "event_log", ["timestamp"])

    op.create_table(
        "owner_notification",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("message_id", sa.Uuid(), nullable=True),
        sa.Column("owner", sa.String(), nullable=True),
        sa.Column("intent", sa.String(length=32), nullable=False),
        sa.Column("summary", sa.String(), nullable=False, server_default=""),
        sa.Column("email_to", sa.String(), nullable=True),
        sa.Column("email_status", sa.String(length=16), nullable=False, server_default="none"),
        sa.Column("email_error", sa.String(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["lead_id"], ["lead.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["message_id"], ["message.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_owner_notification_lead_id", "owner_notification", ["lead_id"])
    op.create_index("ix_owner_notification_owner", "owner_notification", ["owner", "created_at"])
    # One notification per reply, however often the reply is processed.
    op.create_index(
        "uq_owner_notification_message", "owner_notification", ["message_id"], unique=True
    )


def downgrade() -> None:
    op.drop_table("owner_notification")
    op.drop_index("ix_event_log_timestamp", table_name="event_log")
    op.drop_index("ix_event_log_campaign", table_name="event_log")
    op.execute("DROP TRIGGER IF EXISTS event_log_attribute ON event_log")
    op.execute("DROP FUNCTION IF EXISTS salespad_event_log_attribute()")
    for name in ("intent", "arm", "channel", "step", "enrollment_id", "campaign_id"):
        op.drop_column("event_log", name)
    op.drop_column("enrollment", "arm")
