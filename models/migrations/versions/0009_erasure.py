"""erasure (GDPR Art. 17): hashed suppressions, an erased lead's mark, and the one UPDATE the
append-only event log allows

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-10

An erased person must never be contacted again, yet their address may not stay in the
database: a suppression can now hold the SHA-256 of the normalised email (lowercase, spaces
trimmed) or phone instead of the value (salespad_pii_hash: services/erasure/hashing.py computes
the same in Python; a test compares them). Every suppression check matches either form.

The event log stays append-only, with one exception: inside an erasure's transaction (the
transaction-local setting `salespad.erasing` names the lead), an UPDATE may replace a row's
details with salespad_redacted_details(details): the keys analytics and attribution read
(ids, step, channel, arm, intent, statuses) plus {"redacted": true}, and nothing else of the
row may change. Any other UPDATE, and every DELETE, is still refused.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PII_HASH = """
CREATE OR REPLACE FUNCTION salespad_pii_hash(value text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT encode(sha256(convert_to(lower(btrim(value)), 'UTF8')), 'hex')
$$;
"""

# The keys an erased event keeps: identifiers of our own rows, the sequence's coordinates and
# statuses (what funnels, their rebuild and the timeline's shape read). Free text (reasons,
# previews, notes, senders, provider ids) is dropped.
KEPT_KEYS = (
    "action",
    "arm",
    "campaign_id",
    "channel",
    "current_step",
    "enrollment_id",
    "import_id",
    "intent",
    "kind",
    "last_step",
    "lead_status",
    "message_id",
    "new",
    "old",
    "outcome",
    "sends",
    "source",
    "status",
    "step",
    "step_id",
    "task_id",
)

REDACTED = f"""
CREATE OR REPLACE FUNCTION salespad_redacted_details(details jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT COALESCE(jsonb_object_agg(key, value), '{{}}'::jsonb) || '{{"redacted": true}}'::jsonb
      FROM jsonb_each(details)
     WHERE key IN ({", ".join(f"'{k}'" for k in KEPT_KEYS)})
       AND jsonb_typeof(value) IN ('string', 'number', 'boolean')
$$;
"""

APPEND_ONLY_V2 = """
CREATE OR REPLACE FUNCTION salespad_event_log_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND COALESCE(current_setting('salespad.erasing', true), '') <> ''
       AND NEW.details = salespad_redacted_details(OLD.details)
       AND to_jsonb(NEW) - 'details' = to_jsonb(OLD) - 'details' THEN
        RETURN NEW;  -- an erasure's redaction (services/erasure), and only that
    END IF;
    RAISE EXCEPTION 'event_log is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql
"""

APPEND_ONLY_V1 = """
CREATE OR REPLACE FUNCTION salespad_event_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'event_log is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    op.add_column("lead", sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("suppression", sa.Column("email_sha256", sa.String(length=64), nullable=True))
    op.add_column("suppression", sa.Column("phone_sha256", sa.String(length=64), nullable=True))
    op.create_index(
        "uq_suppression_email_sha256",
        "suppression",
        ["email_sha256"],
        unique=True,
        postgresql_where=sa.text("email_sha256 IS NOT NULL"),
    )
    op.create_index(
        "uq_suppression_phone_sha256",
        "suppression",
        ["phone_sha256"],
        unique=True,
        postgresql_where=sa.text("phone_sha256 IS NOT NULL"),
    )
    op.execute(PII_HASH)
    op.execute(REDACTED)
    op.execute(APPEND_ONLY_V2)


def downgrade() -> None:
    op.execute(APPEND_ONLY_V1)
    op.execute("DROP FUNCTION IF EXISTS salespad_redacted_details(jsonb)")
    op.execute("DROP FUNCTION IF EXISTS salespad_pii_hash(text)")
    op.drop_index("uq_suppression_phone_sha256", table_name="suppression")
    op.drop_index("uq_suppression_email_sha256", table_name="suppression")
    op.drop_column("suppression", "phone_sha256")
    op.drop_column("suppression", "email_sha256")
    op.drop_column("lead", "erased_at")
