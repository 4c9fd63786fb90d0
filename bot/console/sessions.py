"""Server-side sessions for the staff console.

Only the SHA-256 of a session token is stored, so a copy of the database
gives no usable sessions. Each session has its own CSRF token, which every
form in the console carries back.
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
from bot.records.database import SQLiteFile, utc_text

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL,
    csrf_token TEXT NOT NULL,
    created TEXT NOT NULL,
    last_seen TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions (user_id);
"""


@dataclass(frozen=True)
class Session:
    token: str  # the raw token: only known right after create()
    user_id: int
    csrf_token: str
    created: dt.datetime
    last_seen: dt.datetime


def _digest(token: str) -> str:
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
        conn.executescript(SCHEMA)

    def create(self, user_id: int) -> Session:
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = self.clock()
        with self._read() as conn:
            conn.execute(
                "INSERT INTO sessions (token_hash, user_id, csrf_token, created, last_seen) VALUES (?, ?, ?, ?, ?)",
                (_digest(token), user_id, csrf, utc_text(now), utc_text(now)),
            )
            # Expired sessions are removed as new ones are made.
            conn.execute(
                "DELETE FROM sessions WHERE last_seen < ? OR created < ?",
                (utc_text(now - self.idle), utc_text(now - self.absolute)),
            )
        return Session(token, user_id, csrf, now, now)

    def get(self, token: str | None) -> Session | None:
        if not token:
            return None
        now = self.clock()
        with self._read() as conn:
            row = conn.execute("SELECT * FROM sessions WHERE token_hash = ?", (_digest(token),)).fetchone()
            if row is None:
                return None
            created, last_seen = dt.datetime.fromisoformat(row["created"]), dt.datetime.fromisoformat(row["last_seen"])
            if now - last_seen > self.idle or now - created > self.absolute:
                conn.execute("DELETE FROM sessions WHERE token_hash = ?", (row["token_hash"],))
                return None
            # Every page view would otherwise be a write; a minute's precision
            # is plenty for a 30-minute idle limit.
            if now - last_seen >= TOUCH_EVERY:
                conn.execute(
                    "UPDATE sessions SET last_seen = ? WHERE token_hash = ?", (utc_text(now), row["token_hash"])
                )
                last_seen = now
        return Session("", row["user_id"], row["csrf_token"], created, last_seen)

    def delete(self, token: str | None) -> None:
        if token:
            with self._read() as conn:
                conn.execute("DELETE FROM sessions WHERE token_hash = ?", (_digest(token),))

    def delete_for_user(self, user_id: int) -> None:
        with self._read() as conn:
            conn.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,))

    @staticmethod
    def check_csrf(session: Session | None, submitted: str | None) -> bool:
        return session is not None and same_token(session.csrf_token, submitted)
