"""outgoing webhooks: subscriptions, the delivery outbox and its attempt log

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

A transactional outbox: an AFTER INSERT trigger on event_log writes one webhook_delivery row
per active subscription that follows the event, in the event's own transaction, and wakes the
dispatcher with NOTIFY (sent at commit). An event that commits is never missed by a
subscriber, and a rolled-back one is never sent. Every writer of the log (services,
activities, the importer's bulk INSERT) fans out without knowing about it.

The internal -> public event names are services/webhooks_out/events.py's PUBLIC_EVENTS,
written here in SQL (models import nothing of ours); a test checks the two agree.
"""

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Immutable and plain SQL, so the trigger's WHEN clause is cheap: events nobody can follow
# (LEAD_CREATED from a 100,000-row import, ...) never even call the fan-out function.
EVENT_NAME = """
CREATE OR REPLACE FUNCTION salespad_webhook_event_name(event_type text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE event_type
        WHEN 'INTENT_CLASSIFIED' THEN 'reply.received'
        WHEN 'STATUS_CHANGED' THEN 'lead.status_changed'
        WHEN 'EMAIL_SENT' THEN 'message.sent'
        WHEN 'WHATSAPP_SENT' THEN 'message.sent'
        WHEN 'SMS_SENT' THEN 'message.sent'
        WHEN 'BOUNCED' THEN 'lead.bounced'
        WHEN 'UNSUBSCRIBED' THEN 'lead.unsubscribed'
        WHEN 'DEAD_LETTERED' THEN 'lead.dead_lettered'
        WHEN 'OWNER_NOTIFIED' THEN 'owner.notified'
    END
$$;
"""

FAN_OUT = """
CREATE OR REPLACE FUNCTION salespad_webhook_fan_out() RETURNS trigger AS $$
DECLARE
    name text := salespad_webhook_event_name(NEW.event_type);
    lead_json jsonb;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM webhook_subscription s
                    WHERE s.active AND (s.events ? name OR s.events ? '*')) THEN
        RETURN NULL;
    END IF;
    -- The lead as it is now. A status change is written just before (or after) the lead's own
    -- UPDATE in the same flush, so its new status comes from the event itself.
    SELECT jsonb_build_object(
               'id', l.id, 'email', l.email, 'name', l.name, 'company', l.company,
               'status', CASE WHEN NEW.event_type = 'STATUS_CHANGED'
                              THEN COALESCE(NEW.details->>'new', l.status) ELSE l.status END,
               'owner', l.owner)
      INTO lead_json
      FROM lead l WHERE l.id = NEW.lead_id;
    INSERT INTO webhook_delivery (id, subscription_id, event_id, event, payload)
    SELECT x.id, x.subscription_id, NEW.id, name, jsonb_build_object(
               'delivery_id', x.id,
               'event', name,
               'occurred_at', to_char(NEW.timestamp AT TIME ZONE 'UTC',
                                      'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
               'event_id', NEW.id,
               'lead', lead_json,
               'campaign_id', NEW.campaign_id,
               'step', NEW.step,
               'channel', NEW.channel,
               'intent', NEW.intent,
               'data', NEW.details)
      FROM (SELECT gen_random_uuid() AS id, s.id AS subscription_id
              FROM webhook_subscription s
             WHERE s.active AND (s.events ? name OR s.events ? '*')) x
    ON CONFLICT (subscription_id, event_id) DO NOTHING;
    -- Delivered at commit, and identical notifications of one transaction are sent once.
    PERFORM pg_notify('salespad_webhooks', '');
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""


def _created_at() -> sa.Column[datetime]:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "webhook_subscription",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("url", sa.String(), nullable=False),
        sa.Column(
            "events",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        # Sealed with models/secrets.py (Fernet under SALESPAD_SECRET_KEY).
        sa.Column("secret", sa.String(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("description", sa.String(), nullable=True),
        _created_at(),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "webhook_delivery",
        # The delivery id receivers dedupe on: the same across retries and redeliveries.
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        # No foreign key to the append-only log: the payload is a self-contained snapshot.
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("event", sa.String(length=64), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "next_attempt_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        _created_at(),
        sa.Column("first_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(
            ["subscription_id"], ["webhook_subscription.id"], ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    # One delivery per event and subscription, however often the trigger could run; it also
    # serves listing one subscription's deliveries newest first.
    op.create_index(
        "uq_webhook_delivery_event",
        "webhook_delivery",
        ["subscription_id", "event_id"],
        unique=True,
    )
    op.create_index("ix_webhook_delivery_event_id", "webhook_delivery", ["event_id", "id"])
    # The dispatcher's scan: only rows still to send, by when they are due.
    op.create_index(
        "ix_webhook_delivery_due",
        "webhook_delivery",
        ["next_attempt_at"],
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_table(
        "webhook_attempt",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("delivery_id", sa.Uuid(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["delivery_id"], ["webhook_delivery.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_webhook_attempt_delivery", "webhook_attempt", ["delivery_id", "at"])

    op.execute(EVENT_NAME)
    op.execute(FAN_OUT)
    op.execute(
        "CREATE TRIGGER event_log_webhooks AFTER INSERT ON event_log FOR EACH ROW "
        "WHEN (salespad_webhook_event_name(NEW.event_type) IS NOT NULL) "
        "EXECUTE FUNCTION salespad_webhook_fan_out()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS event_log_webhooks ON event_log")
    op.execute("DROP FUNCTION IF EXISTS salespad_webhook_fan_out()")
    op.execute("DROP FUNCTION IF EXISTS salespad_webhook_event_name(text)")
    op.drop_table("webhook_attempt")
    op.drop_table("webhook_delivery")
    op.drop_table("webhook_subscription")
