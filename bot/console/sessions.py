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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection

from bot.console.security import same_token
from bot.records.database import Store, utc_text
from bot.records.schema import sessions

PENDING = dt.timedelta(minutes=5)


def end_sessions(conn: Connection, user_id: int, keep: str | None = None) -> None:
    """Delete a user's sessions inside the caller's transaction, all or all
    but the one whose raw token is ``keep``."""
    conn.execute(
        sessions.delete().where(sessions.c.user_id == user_id, sessions.c.token_hash != (digest(keep) if keep else ""))
    )


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


class Sessions(Store):
    def __init__(
        self,
        path: Path | str | URL,
        clock: Callable[[], dt.datetime] | None = None,
        idle_minutes: int = 30,
        absolute_hours: int = 10,
    ):
        self.clock = clock or (lambda: dt.datetime.now(dt.timezone.utc))
        self.idle = dt.timedelta(minutes=idle_minutes)
        self.absolute = dt.timedelta(hours=absolute_hours)
        super().__init__(path)

    def create(self, user_id: int, mfa_pending: bool = False) -> Session:
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = self.clock()
        with self._write() as conn:
            conn.execute(
                sessions.insert().values(
                    token_hash=digest(token),
                    user_id=user_id,
                    csrf_token=csrf,
                    created=utc_text(now),
                    last_seen=utc_text(now),
                    mfa_pending=int(mfa_pending),
                )
            )
            # Expired sessions are removed as new ones are made.
            conn.execute(
                sessions.delete().where(
                    sa.or_(
                        sessions.c.last_seen < utc_text(now - self.idle),
                        sessions.c.created < utc_text(now - self.absolute),
                        sa.and_(sessions.c.mfa_pending != 0, sessions.c.created < utc_text(now - PENDING)),
                    )
                )
            )
        return Session(token, user_id, csrf, now, now, mfa_pending)

    def get(self, token: str | None) -> Session | None:
        if not token:
            return None
        now = self.clock()
        hashed = digest(token)
        with self._read() as conn:
            row = conn.execute(sa.select(sessions).where(sessions.c.token_hash == hashed)).first()
            if row is None:
                return None
            created, last_seen = dt.datetime.fromisoformat(row.created), dt.datetime.fromisoformat(row.last_seen)
            limit = PENDING if row.mfa_pending else self.absolute
            if now - last_seen > self.idle or now - created > limit:
                conn.execute(sessions.delete().where(sessions.c.token_hash == hashed))
                return None
            # Every page view would otherwise be a write; a minute's precision
            # is plenty for a 30-minute idle limit.
            if now - last_seen >= TOUCH_EVERY:
                conn.execute(sessions.update().where(sessions.c.token_hash == hashed).values(last_seen=utc_text(now)))
                last_seen = now
        return Session("", row.user_id, row.csrf_token, created, last_seen, bool(row.mfa_pending))

    def delete(self, token: str | None) -> None:
        if token:
            with self._read() as conn:
                conn.execute(sessions.delete().where(sessions.c.token_hash == digest(token)))

    def delete_for_user(self, user_id: int, keep: str | None = None) -> None:
        with self._write() as conn:
            end_sessions(conn, user_id, keep)

    @staticmethod
    def check_csrf(session: Session | None, submitted: str | None) -> bool:
        return session is not None and same_token(session.csrf_token, submitted)
