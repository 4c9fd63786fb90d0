"""The data database's tables as the code uses them: one ``MetaData`` for
every store. The migrations in ``bot.records.migrations`` create them;
change both together.

Times are UTC ISO 8601 text (see ``database.utc_text``), compared as
strings; on PostgreSQL they use the "C" collation so that comparison is
byte order whatever the database's locale.
"""

from __future__ import annotations

import sqlalchemy as sa

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
    # The channel's pseudonym of the client address (keyed hash, 16 hex characters); NULL when none came.
    sa.Column("client", sa.Text),
    # HMAC of the reference and the phone's last four digits (bot.callbacks.verification); NULL: older booking.
    sa.Column("cancel_check", sa.Text),
    # Wrong attempts to cancel with reference and digits; at MAX_FAILURES cancelling that way is locked.
    sa.Column("cancel_failures", sa.Integer, nullable=False, server_default="0"),
    # Why the chat offered the callback (bot.callbacks.store.REASONS); NULL for staff's and older rows.
    sa.Column("reason", sa.Text),
    sa.Index("callbacks_slot", "municipality", "slot", "status"),
    sa.Index("callbacks_client", "client", "created"),
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
    sa.Column("suggestions", sa.Text),  # JSON list of "topic/situation" offered
    sa.Column("chosen", sa.Text),  # one of them, or "none"
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

# "Fik du svar?" after an answer (issue 27): the citizen's yes or no and a
# reason from a fixed list, per errand and municipality. Like outcomes, no
# text, conversation or address: nothing that could identify the citizen.
feedback = sa.Table(
    "feedback",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", Time, nullable=False),
    sa.Column("municipality", sa.Text, nullable=False),
    sa.Column("topic", sa.Text, nullable=False),
    sa.Column("situation", sa.Text),
    sa.Column("answered", sa.Boolean, nullable=False),
    sa.Column("reason", sa.Text),
    sa.Index("feedback_at", "at"),
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
