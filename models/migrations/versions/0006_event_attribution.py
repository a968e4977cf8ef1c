"""event attribution and funnel counters for analytics, the enrollment's A/B arm, owner
notifications, one channel row per type and provider, each enrollment batch's selector,
an import's last progress

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

Every event row says which campaign, enrollment, step, channel, A/B arm and reply intent it
belongs to, so funnels are one indexed, set-based scan of the event log. The columns are
filled by a BEFORE INSERT trigger from what the row itself names (its details' enrollment_id,
campaign_id, step, channel, arm, intent, message_id), else from the lead's enrollment at that
moment: every writer (API services, activities, the importer's bulk INSERT) gets the same
attribution without knowing about it, and the log stays append-only.

Funnels: an AFTER INSERT trigger turns each attributed event into its funnel metrics
(salespad_funnel_metrics) and appends, per scope (the campaign, its step, channel and arm), a
delta row (events +1, leads +1 when this lead is new to that metric: funnel_seen), and a
replying lead's time from first send to first reply (funnel_reply_delay). Appending
takes no lock another transaction waits on; salespad_funnel_compact folds a campaign's deltas
into funnel_count in one transaction, so a funnel is a read of a few hundred rows whatever the
size of the log, and always equals it (same transaction as the event).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

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

# What an event counts as in a funnel. Positive and "not a reply" intents mirror
# services/analytics/metrics.py (a test compares them).
METRICS = """
CREATE OR REPLACE FUNCTION salespad_funnel_metrics(event_type text, intent text, new_status text)
RETURNS text[] AS $$
    SELECT CASE
        WHEN event_type = 'ENROLLED' THEN ARRAY['enrolled']
        WHEN event_type IN ('EMAIL_SENT', 'WHATSAPP_SENT', 'SMS_SENT') THEN ARRAY['sent']
        WHEN event_type = 'DELIVERED' THEN ARRAY['delivered']
        WHEN event_type = 'OPENED' THEN ARRAY['opened']
        WHEN event_type = 'CLICKED' THEN ARRAY['clicked']
        WHEN event_type = 'BOUNCED' THEN ARRAY['bounced']
        WHEN event_type = 'UNSUBSCRIBED' THEN ARRAY['unsubscribed']
        WHEN event_type = 'DEAD_LETTERED' THEN ARRAY['dead_lettered']
        WHEN event_type = 'STATUS_CHANGED' AND new_status = 'CONVERTED' THEN ARRAY['converted']
        WHEN event_type = 'INTENT_CLASSIFIED' THEN
            ARRAY['intent:' || COALESCE(intent, 'other')]
            || CASE WHEN COALESCE(intent, 'other') IN ('out_of_office', 'auto_reply', 'bounce')
                    THEN ARRAY[]::text[] ELSE ARRAY['replied'] END
            || CASE WHEN intent IN ('interested', 'question', 'referral')
                    THEN ARRAY['positive'] ELSE ARRAY[]::text[] END
    END
$$ LANGUAGE sql IMMUTABLE;
"""

REPLY_TIME = """
CREATE OR REPLACE FUNCTION salespad_reply_time(event_type text, event_details jsonb)
RETURNS timestamptz AS $$
    -- Positional: a bare `details` here would be message.details.
    SELECT m.sent_at FROM message m
     WHERE $1 = 'INTENT_CLASSIFIED'
       AND $2->>'message_id' ~ '^[0-9a-fA-F-]{36}$'
       AND m.id = ($2->>'message_id')::uuid
$$ LANGUAGE sql STABLE;
"""

COUNT = """
CREATE OR REPLACE FUNCTION salespad_funnel_count() RETURNS trigger AS $$
DECLARE
    metrics text[] := salespad_funnel_metrics(NEW.event_type, NEW.intent, NEW.details->>'new');
    at timestamptz;
BEGIN
    IF metrics IS NULL THEN
        RETURN NULL;  -- not a funnel event
    END IF;
    -- A reply counts from when it arrived (its message), not from when it was classified.
    at := COALESCE(salespad_reply_time(NEW.event_type, NEW.details), NEW.timestamp);
    WITH m(metric) AS (
        SELECT unnest(metrics)
    ), s(scope, value) AS (
        VALUES ('all', ''), ('step', NEW.step::text), ('channel', NEW.channel), ('arm', NEW.arm)
    ), k AS (
        SELECT s.scope, s.value, m.metric FROM s CROSS JOIN m WHERE s.value IS NOT NULL
    ), fresh AS (
        INSERT INTO funnel_seen (campaign_id, scope, value, metric, lead_id, first_at)
        SELECT NEW.campaign_id, k.scope, k.value, k.metric, NEW.lead_id, at
          FROM k WHERE NEW.lead_id IS NOT NULL
        -- A lead new to the metric counts once; an earlier time (a late report) moves its
        -- first time back. xmax = 0 tells an inserted row from an updated one.
        ON CONFLICT (campaign_id, scope, value, metric, lead_id) DO UPDATE
           SET first_at = EXCLUDED.first_at WHERE funnel_seen.first_at > EXCLUDED.first_at
        RETURNING scope, value, metric, (xmax = 0) AS inserted
    )
    INSERT INTO funnel_delta (campaign_id, scope, value, metric, events, leads)
    SELECT NEW.campaign_id, k.scope, k.value, k.metric, 1, COALESCE(fresh.inserted, false)::int
      FROM k LEFT JOIN fresh USING (scope, value, metric);
    -- Time to first reply: from the lead's first send to its earliest real reply.
    IF NEW.lead_id IS NOT NULL AND 'replied' = ANY(metrics) THEN
        INSERT INTO funnel_reply_delay AS d (campaign_id, lead_id, seconds)
        SELECT NEW.campaign_id, NEW.lead_id, extract(epoch FROM at - s.first_at)
          FROM funnel_seen s
         WHERE s.campaign_id = NEW.campaign_id AND s.scope = 'all' AND s.value = ''
           AND s.metric = 'sent' AND s.lead_id = NEW.lead_id AND s.first_at <= at
        ON CONFLICT (campaign_id, lead_id) DO UPDATE SET seconds = EXCLUDED.seconds
         WHERE d.seconds > EXCLUDED.seconds;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""

# Fold a campaign's deltas into its counters (one transaction; one compactor per campaign at a
# time, others return at once: the reader adds the deltas left anyway).
COMPACT = """
CREATE OR REPLACE FUNCTION salespad_funnel_compact(c uuid) RETURNS void AS $$
BEGIN
    IF NOT pg_try_advisory_xact_lock(hashtextextended('salespad_funnel:' || c::text, 0)) THEN
        RETURN;
    END IF;
    WITH d AS (
        DELETE FROM funnel_delta WHERE campaign_id = c
        RETURNING scope, value, metric, events, leads
    ), agg AS (
        SELECT scope, value, metric, sum(events) AS events, sum(leads) AS leads
          FROM d GROUP BY scope, value, metric
    )
    INSERT INTO funnel_count AS f (campaign_id, scope, value, metric, events, leads)
    SELECT c, scope, value, metric, events, leads FROM agg ORDER BY scope, value, metric
    ON CONFLICT (campaign_id, scope, value, metric)
    DO UPDATE SET events = f.events + EXCLUDED.events, leads = f.leads + EXCLUDED.leads;
END;
$$ LANGUAGE plpgsql;
"""

# Recount campaigns from the log, set-based (this migration's backfill; repairs; benches).
REBUILD = """
CREATE OR REPLACE FUNCTION salespad_funnel_rebuild(c uuid) RETURNS void AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('salespad_funnel:' || c::text, 0));
    DELETE FROM funnel_delta WHERE campaign_id = c;
    DELETE FROM funnel_count WHERE campaign_id = c;
    DELETE FROM funnel_seen WHERE campaign_id = c;
    CREATE TEMP TABLE IF NOT EXISTS funnel_rebuild_keys (
        scope text, value text, metric text, lead_id uuid, at timestamptz
    ) ON COMMIT DROP;
    TRUNCATE funnel_rebuild_keys;
    INSERT INTO funnel_rebuild_keys
    SELECT s.scope, s.value, m.metric, e.lead_id,
           COALESCE(salespad_reply_time(e.event_type, e.details), e.timestamp)
      FROM event_log e
     CROSS JOIN LATERAL unnest(
           salespad_funnel_metrics(e.event_type, e.intent, e.details->>'new')) AS m(metric)
     CROSS JOIN LATERAL (VALUES ('all', ''), ('step', e.step::text), ('channel', e.channel),
                                ('arm', e.arm)) AS s(scope, value)
     WHERE e.campaign_id = c AND s.value IS NOT NULL;
    INSERT INTO funnel_seen (campaign_id, scope, value, metric, lead_id, first_at)
    SELECT c, scope, value, metric, lead_id, min(at)
      FROM funnel_rebuild_keys WHERE lead_id IS NOT NULL
     GROUP BY scope, value, metric, lead_id;
    INSERT INTO funnel_count (campaign_id, scope, value, metric, events, leads)
    SELECT c, scope, value, metric, count(*), count(DISTINCT lead_id)
      FROM funnel_rebuild_keys GROUP BY scope, value, metric;
    -- One pass, grouped by lead (a join of just-written rows without statistics could be
    -- planned as a nested loop over the whole table).
    DELETE FROM funnel_reply_delay WHERE campaign_id = c;
    INSERT INTO funnel_reply_delay (campaign_id, lead_id, seconds)
    SELECT c, lead_id, extract(epoch FROM replied - sent)
      FROM (SELECT lead_id,
                   min(at) FILTER (WHERE metric = 'sent') AS sent,
                   min(at) FILTER (WHERE metric = 'replied') AS replied
              FROM funnel_rebuild_keys
             WHERE scope = 'all' AND metric IN ('sent', 'replied') AND lead_id IS NOT NULL
             GROUP BY lead_id) AS firsts
     WHERE sent <= replied;
    TRUNCATE funnel_rebuild_keys;
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


# Concurrent first sends could each create the channel row for a type and provider, splitting
# its daily cap between them: merge duplicates into the oldest, then let the database refuse more.
MERGE_CHANNELS = """
WITH ranked AS (
    SELECT id, first_value(id) OVER (PARTITION BY type, provider ORDER BY created_at, id) AS keep
      FROM channel
), moved AS (
    UPDATE message m SET channel_id = r.keep FROM ranked r
     WHERE m.channel_id = r.id AND r.id <> r.keep
)
DELETE FROM channel c USING ranked r WHERE c.id = r.id AND r.id <> r.keep;
"""


def upgrade() -> None:
    op.execute(MERGE_CHANNELS)
    op.create_index("uq_channel_type_provider", "channel", ["type", "provider"], unique=True)
    op.add_column("enrollment", sa.Column("arm", sa.String(length=64), nullable=True))
    # Batch 0's selector is known for every campaign; later batches' were never kept.
    op.add_column(
        "campaign",
        sa.Column(
            "batch_selectors",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
    )
    op.execute("UPDATE campaign SET batch_selectors = jsonb_build_array(selector)")
    op.add_column(
        "import",
        sa.Column(
            "progress_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
    )
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
    # A campaign's events of one type (time to first reply, rebuilds, timelines).
    op.create_index(
        "ix_event_log_campaign",
        "event_log",
        ["campaign_id", "event_type"],
        postgresql_where=sa.text("campaign_id IS NOT NULL"),
    )
    op.create_index("ix_event_log_timestamp", "event_log", ["timestamp"])

    op.create_table(
        "funnel_seen",
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("scope", sa.String(length=8), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.Column("metric", sa.String(length=48), nullable=False),
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("campaign_id", "scope", "value", "metric", "lead_id"),
    )
    op.create_table(
        "funnel_delta",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("scope", sa.String(length=8), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.Column("metric", sa.String(length=48), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("leads", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_funnel_delta_campaign", "funnel_delta", ["campaign_id"])
    op.create_table(
        "funnel_count",
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("scope", sa.String(length=8), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.Column("metric", sa.String(length=48), nullable=False),
        sa.Column("events", sa.BigInteger(), nullable=False),
        sa.Column("leads", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("campaign_id", "scope", "value", "metric"),
    )
    # One row per replying lead: the median reads only these (an index-only scan).
    op.execute(
        "CREATE TABLE funnel_reply_delay (campaign_id uuid NOT NULL, lead_id uuid NOT NULL,"
        " seconds double precision NOT NULL,"
        " PRIMARY KEY (campaign_id, lead_id) INCLUDE (seconds))"
    )
    for sql in (METRICS, REPLY_TIME, COUNT, COMPACT, REBUILD):
        op.execute(sql)
    op.execute("SELECT salespad_funnel_rebuild(id) FROM campaign")
    op.execute(
        "CREATE TRIGGER event_log_funnel AFTER INSERT ON event_log FOR EACH ROW "
        "WHEN (NEW.campaign_id IS NOT NULL) EXECUTE FUNCTION salespad_funnel_count()"
    )

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
        sa.Column("email_attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column(
            "email_next_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
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
    # The mailer's scan: emails still to send, by when they are due.
    op.create_index(
        "ix_owner_notification_due",
        "owner_notification",
        ["email_next_at"],
        postgresql_where=sa.text("email_status IN ('pending', 'sending')"),
    )
    # One notification per reply, however often the reply is processed.
    op.create_index(
        "uq_owner_notification_message", "owner_notification", ["message_id"], unique=True
    )


def downgrade() -> None:
    op.drop_table("owner_notification")
    op.execute("DROP TRIGGER IF EXISTS event_log_funnel ON event_log")
    for fn in (
        "salespad_funnel_count()",
        "salespad_funnel_compact(uuid)",
        "salespad_funnel_rebuild(uuid)",
        "salespad_funnel_metrics(text, text, text)",
        "salespad_reply_time(text, jsonb)",
    ):
        op.execute(f"DROP FUNCTION IF EXISTS {fn}")
    for table in ("funnel_reply_delay", "funnel_count", "funnel_delta", "funnel_seen"):
        op.drop_table(table)
    op.drop_index("ix_event_log_timestamp", table_name="event_log")
    op.drop_index("ix_event_log_campaign", table_name="event_log")
    op.execute("DROP TRIGGER IF EXISTS event_log_attribute ON event_log")
    op.execute("DROP FUNCTION IF EXISTS salespad_event_log_attribute()")
    for name in ("intent", "arm", "channel", "step", "enrollment_id", "campaign_id"):
        op.drop_column("event_log", name)
    op.drop_column("enrollment", "arm")
    op.drop_column("campaign", "batch_selectors")
    op.drop_column("import", "progress_at")
    op.drop_index("uq_channel_type_provider", table_name="channel")
