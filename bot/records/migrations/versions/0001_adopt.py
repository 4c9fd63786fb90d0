"""The data database as the releases before Alembic left it, or empty.

Adopts what the earlier code created with CREATE TABLE IF NOT EXISTS and
its ALTER TABLE steps: tables and indexes that are missing are created,
columns added in later releases are added, the journal gets its hash chain
(sealing the rows written before it), and nothing that exists is dropped
except the two login tables that earlier releases replaced.

The tables are written out here, not imported from ``bot.records.schema``:
a revision must create what it created on the day it was written.

Revision ID: 0001
Revises:
Create Date: 2026-05-01
"""

import sqlalchemy as sa
from alembic import context, op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

metadata = sa.MetaData()
Time = sa.Text().with_variant(sa.Text(collation="C"), "postgresql")

callbacks = sa.Table(
    "callbacks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("reference", sa.Text, unique=True),
    sa.Column("municipality", sa.Text, nullable=False),
    sa.Column("topic", sa.Text),
    sa.Column("category", sa.Text),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("phone", sa.Text, nullable=False),
    sa.Column("slot", Time, nullable=False),
    sa.Column("status", sa.Text, nullable=False, server_default="booked"),
    sa.Column("conversation_id", sa.Text),
    sa.Column("created", Time, nullable=False),
    sa.Column("updated", Time, nullable=False),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sa.Column("assigned_to", sa.Text),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Index("callbacks_slot", "municipality", "slot", "status"),
)

# The journal: ids are given by journal.append (the hash chain covers them), never by the database.
events = sa.Table(
    "events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("at", Time, nullable=False),
    sa.Column("reference", sa.Text),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("details", sa.Text, nullable=False, server_default="{}"),
    sa.Column("hash", sa.Text),
    sa.Index("events_reference", "reference"),
)

inbox = sa.Table(
    "inbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", Time, nullable=False),
    sa.Column("municipality", sa.Text, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("outcome", sa.Text, nullable=False),
    sa.Column("predicted", sa.Text),
    sa.Column("confidence", sa.Float),
    sa.Column("status", sa.Text, nullable=False, server_default="new"),
    sa.Column("intent", sa.Text),
    sa.Column("decided_by", sa.Text),
    sa.Column("decided_at", Time),
    sa.Index("inbox_status", "status", "at"),
)

outcomes = sa.Table(
    "outcomes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", Time, nullable=False),
    sa.Column("municipality", sa.Text, nullable=False),
    sa.Column("topic", sa.Text),
    sa.Column("situation", sa.Text),
    sa.Column("outcome", sa.Text, nullable=False),
    sa.Index("idx_outcomes_at", "at"),  # the name sqlite-utils gave it in earlier releases
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.Text, nullable=False, unique=True),
    sa.Column("display_name", sa.Text, nullable=False, server_default=""),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("disabled", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created", Time, nullable=False),
    # A knowledge key, '*' (all; admins only) or NULL (not set: no callbacks).
    sa.Column("municipality", sa.Text),
    sa.Column("totp_secret", sa.Text),  # the confirmed second factor
    sa.Column("totp_pending", sa.Text),  # shown at enrolment, until a code confirms it
    sa.Column("totp_last_step", sa.Integer),  # the time step of the last code used: no code counts twice
)

# Failures in a row: per (address, user name) for passwords, per user name ('' address) for codes.
login_throttle = sa.Table(
    "login_throttle",
    metadata,
    sa.Column("factor", sa.Text, primary_key=True),
    sa.Column("ip", sa.Text, primary_key=True),
    sa.Column("username", sa.Text, primary_key=True),
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("last", Time, nullable=False),
    sa.Column("locked_until", Time),
)

# One row per failed password, kept for the longest window only.
login_failed = sa.Table(
    "login_failed",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("ip", sa.Text, nullable=False),
    sa.Column("username", sa.Text, nullable=False),
    sa.Column("at", Time, nullable=False),
    sa.Index("login_failed_ip", "ip", "at"),
    sa.Index("login_failed_username", "username", "at"),
)

# Pairs that have logged in: the address-wide and name-wide pauses spare them.
login_known = sa.Table(
    "login_known",
    metadata,
    sa.Column("ip", sa.Text, primary_key=True),
    sa.Column("username", sa.Text, primary_key=True),
    sa.Column("last", Time, nullable=False),
)

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("token_hash", sa.Text, primary_key=True),
    sa.Column("user_id", sa.Integer, nullable=False),
    sa.Column("csrf_token", sa.Text, nullable=False),
    sa.Column("created", Time, nullable=False),
    sa.Column("last_seen", Time, nullable=False),
    sa.Column("mfa_pending", sa.Integer, nullable=False, server_default="0"),
    sa.Index("sessions_user", "user_id"),
)

# Columns that earlier releases added after their first; the rest of a table that exists is as created.
LATER_COLUMNS = {
    "callbacks": ("assigned_to", "attempts"),
    "events": ("hash",),
    "users": ("municipality", "totp_secret", "totp_pending", "totp_last_step"),
    "sessions": ("mfa_pending",),
}
REPLACED_TABLES = ("login_failures", "login_failures_ip")
ALL = "*"  # an admin's municipality when it means all of them

SQLITE_TRIGGERS = (
    """CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END""",
    # INSERT OR REPLACE would otherwise rewrite a row without firing the delete trigger.
    """CREATE TRIGGER IF NOT EXISTS events_no_reuse BEFORE INSERT ON events
    WHEN EXISTS (SELECT 1 FROM events WHERE id = NEW.id)
    BEGIN SELECT RAISE(ABORT, 'the journal is append-only: entry id already used'); END""",
)
POSTGRES_TRIGGERS = (
    """CREATE OR REPLACE FUNCTION journal_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'the journal is append-only: % refused on %', TG_OP, TG_TABLE_NAME; END $$""",
    """CREATE OR REPLACE TRIGGER events_no_update BEFORE UPDATE ON events
    FOR EACH ROW EXECUTE FUNCTION journal_append_only()""",
    """CREATE OR REPLACE TRIGGER events_no_delete BEFORE DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION journal_append_only()""",
    """CREATE OR REPLACE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION journal_append_only()""",
)
# What the application role may do: everything the stores do, but the journal only grows.
READ_WRITE = ("callbacks", "inbox", "outcomes", "users", "login_throttle", "login_failed", "login_known", "sessions")
SEQUENCES = ("callbacks_id_seq", "inbox_id_seq", "outcomes_id_seq", "users_id_seq", "login_failed_id_seq")


def upgrade() -> None:
    conn = op.get_bind()
    inspector = sa.inspect(conn)
    present = set(inspector.get_table_names())
    added: dict[str, list[str]] = {}
    for table in metadata.sorted_tables:
        if table.name not in present:
            table.create(conn)
            continue
        columns = {column["name"] for column in inspector.get_columns(table.name)}
        missing = [name for name in LATER_COLUMNS.get(table.name, ()) if name not in columns]
        unknown = [column.name for column in table.columns if column.name not in columns and column.name not in missing]
        if unknown:
            raise RuntimeError(f"table {table.name} lacks columns {', '.join(unknown)} that no release left out")
        for name in missing:
            op.add_column(table.name, table.c[name]._copy())
        added[table.name] = missing
        indexes = {index["name"] for index in inspector.get_indexes(table.name)}
        for index in table.indexes:
            if index.name not in indexes:
                index.create(conn)
    for name in REPLACED_TABLES:
        if name in present:
            op.drop_table(name)

    postgres = conn.dialect.name == "postgresql"
    for statement in POSTGRES_TRIGGERS if postgres else SQLITE_TRIGGERS:
        op.execute(statement)

    if "hash" in added.get("events", ()):
        _seal_legacy_journal(conn)
    if "municipality" in added.get("users", ()):
        _municipalities_introduced(conn)
    if postgres:
        _grant(conn, context.config.attributes.get("app_role"))


def _seal_legacy_journal(conn) -> None:
    """Rows from before the hash chain: the first chained row seals them."""
    from bot.records import journal

    legacy = conn.execute(sa.select(sa.func.count()).select_from(events)).scalar()
    if legacy:
        journal.append(conn, None, "journal_chain_started", "migration", legacy_rows=legacy)


def _municipalities_introduced(conn) -> None:
    """Admins keep seeing everything; everyone else sees nothing until an
    admin sets their municipality."""
    from bot.records import journal

    admins = conn.execute(sa.update(users).where(users.c.role == "admin").values(municipality=ALL)).rowcount
    unset = conn.execute(sa.select(sa.func.count()).select_from(users).where(users.c.municipality.is_(None))).scalar()
    journal.append(conn, None, "user_municipalities_introduced", "migration", admins_all=admins, unset=unset)


def _grant(conn, app_role: str | None) -> None:
    if not app_role:
        return
    role = conn.dialect.identifier_preparer.quote(app_role)
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {', '.join(READ_WRITE)} TO {role}")
    op.execute(f"GRANT SELECT, INSERT ON events TO {role}")
    op.execute(f"GRANT USAGE, SELECT ON SEQUENCE {', '.join(SEQUENCES)} TO {role}")
    op.execute(f"GRANT SELECT ON alembic_version TO {role}")


def downgrade() -> None:
    raise NotImplementedError("the data database is never downgraded; restore a backup instead")
