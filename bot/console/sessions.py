"""Server-side sessions for the staff console.

Only the SHA-256 of a session token is stored, so a copy of the database
gives no usable sessions. Each session has its own CSRF token, which every
form in the console carries back.

A session made after the right password of a user with a second factor is
*pending*: it grants nothing but the page that asks for the code, for at
most five minutes. The code turns it into a new, full session.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.console.security import same_token
from bot.records.database import SQLiteFile, missing_columns, transaction, utc_text

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL,
    csrf_token TEXT NOT NULL,
    created TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    mfa_pending INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions (user_id);
"""
PENDING = dt.timedelta(minutes=5)


def add_columns(
    conn: sqlite3.Connection,
    table: str,
    columns: dict[str, str],
    then: Callable[[sqlite3.Connection, list[str]], None] | None = None,
) -> None:
    """Add the columns a database from an earlier release lacks (name →
    definition), and run ``then(conn, added)`` in the same write
    transaction, so of two processes starting at once only one migrates."""
    if not missing_columns(conn, table, columns):
        return
    with transaction(conn):
        added = missing_columns(conn, table, columns)
        for name in added:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {name} {columns[name]}")
        if added and then is not None:
            then(conn, added)


def create_schema(conn: sqlite3.Connection) -> None:
    """The sessions table, also for Accounts, which ends a user's sessions in
    the same transaction as a password change or a disabling."""
    conn.executescript(SCHEMA)
    add_columns(conn, "sessions", {"mfa_pending": "INTEGER NOT NULL DEFAULT 0"})


def end_sessions(conn: sqlite3.Connection, user_id: int, keep: str | None = None) -> None:
    """Delete a user's sessions inside the caller's transaction, all or all
    but the one whose raw token is ``keep``."""
    conn.execute("DELETE FROM sessions WHERE user_id = ? AND token_hash != ?", (user_id, digest(keep) if keep else ""))


@dataclass(frozen=True)
class Session:
    token: str  # the raw token: only known right after create()
    user_id: int
    csrf_token: str
    created: dt.datetime
    last_seen: dt.datetime
    mfa_pending: bool = False


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


TOUCH_EVERY = dt.timedelta(minutes=1)


class Sessions(SQLiteFile):
    def __init__(
        self,
        path: Path,
        clock: Callable[[], dt.datetime] | None = None,
        idle_minutes: int = 30,
        absolute_hours: int = 10,
    ):
        self.clock = clock or (lambda: dt.datetime.now(dt.timezone.utc))
        self.idle = dt.timedelta(minutes=idle_minutes)
        self.absolute = dt.timedelta(hours=absolute_hours)
        super().__init__(path)

    def _setup(self, conn: sqlite3.Connection) -> None:
        create_schema(conn)

    def create(self, user_id: int, mfa_pending: bool = False) -> Session:
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = self.clock()
        with self._read() as conn:
            conn.execute(
                "INSERT INTO sessions (token_hash, user_id, csrf_token, created, last_seen, mfa_pending)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (digest(token), user_id, csrf, utc_text(now), utc_text(now), int(mfa_pending)),
            )
            # Expired sessions are removed as new ones are made.
            conn.execute(
                "DELETE FROM sessions WHERE last_seen < ? OR created < ? OR (mfa_pending AND created < ?)",
                (utc_text(now - self.idle), utc_text(now - self.absolute), utc_text(now - PENDING)),
            )
        return Session(token, user_id, csrf, now, now, mfa_pending)

    def get(self, token: str | None) -> Session | None:
        if not token:
            return None
        now = self.clock()
        with self._read() as conn:
            row = conn.execute("SELECT * FROM sessions WHERE token_hash = ?", (digest(token),)).fetchone()
            if row is None:
                return None
            created, last_seen = dt.datetime.fromisoformat(row["created"]), dt.datetime.fromisoformat(row["last_seen"])
            limit = PENDING if row["mfa_pending"] else self.absolute
            if now - last_seen > self.idle or now - created > limit:
                conn.execute("DELETE FROM sessions WHERE token_hash = ?", (row["token_hash"],))
                return None
            # Every page view would otherwise be a write; a minute's precision
            # is plenty for a 30-minute idle limit.
            if now - last_seen >= TOUCH_EVERY:
                conn.execute(
                    "UPDATE sessions SET last_seen = ? WHERE token_hash = ?", (utc_text(now), row["token_hash"])
                )
                last_seen = now
        return Session("", row["user_id"], row["csrf_token"], created, last_seen, bool(row["mfa_pending"]))

    def delete(self, token: str | None) -> None:
        if token:
            with self._read() as conn:
                conn.execute("DELETE FROM sessions WHERE token_hash = ?", (digest(token),))

    def delete_for_user(self, user_id: int, keep: str | None = None) -> None:
        with self._read() as conn:
            end_sessions(conn, user_id, keep)

    @staticmethod
    def check_csrf(session: Session | None, submitted: str | None) -> bool:
        return session is not None and same_token(session.csrf_token, submitted)
