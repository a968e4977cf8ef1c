"""the live event stream: a commit-order cursor on event_log and a NOTIFY when events commit

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-09

Event ids come from an identity column, taken at INSERT, but transactions commit in any order:
a reader whose cursor passed id 10 would never see id 9 if 9's transaction committed later.
So each row records the transaction that inserted it (`xact`, a 64-bit xid8), and the stream
reads in (xact, id) order and only rows whose transaction is below the oldest one still
running (pg_snapshot_xmin): nothing can commit behind such a cursor any more.

Rows written before this migration get xact 0 (they sort first, in id order, as before). The
column is added with a constant default, which PostgreSQL stores in the catalog without
rewriting or updating a row, so the append-only trigger (migration 0001) stays as it is and
is never asked to allow an UPDATE. Only then does the default become the inserting
transaction's id.

A statement-level AFTER INSERT trigger sends NOTIFY salespad_events; PostgreSQL delivers it at
commit (and once per transaction however many statements sent it), so every API process's
listener wakes exactly when new events become visible. The channel name is
services/live/hub.py's NOTIFY_CHANNEL.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOTIFY = """
CREATE OR REPLACE FUNCTION salespad_event_log_notify() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('salespad_events', '');
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""


def upgrade() -> None:
    op.execute("ALTER TABLE event_log ADD COLUMN xact xid8 NOT NULL DEFAULT '0'")
    op.execute("ALTER TABLE event_log ALTER COLUMN xact SET DEFAULT pg_current_xact_id()")
    op.create_index("ix_event_log_xact_id", "event_log", ["xact", "id"])
    op.execute(NOTIFY)
    op.execute(
        "CREATE TRIGGER event_log_notify AFTER INSERT ON event_log "
        "FOR EACH STATEMENT EXECUTE FUNCTION salespad_event_log_notify()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS event_log_notify ON event_log")
    op.execute("DROP FUNCTION IF EXISTS salespad_event_log_notify()")
    op.drop_index("ix_event_log_xact_id", table_name="event_log")
    op.drop_column("event_log", "xact")
