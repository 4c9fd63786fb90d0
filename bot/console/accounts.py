"""Staff-console users: argon2id passwords, roles, growing delay and lockout.

Failed logins are counted per user name (also for names that do not exist,
so guessing names teaches nothing) and per client address. After the n-th
failure in a row the next attempt must wait 2^(n-1) seconds (at most 60);
a refused early attempt is not checked and does not count. After
``lock_after`` failures the name is locked for ``lock_minutes``.

An attempt is counted as a failure in the same transaction that lets it
through, and forgiven if the password turns out right: the console checks
passwords on several threads, and parallel guesses must not all slip past
the delay before the first one is counted.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from bot.records import journal
from bot.records.database import SQLiteFile, from_row, utc_text

ROLES = ("staff", "editor", "admin")
DEMO_NAMES = {"staff": "Demo-sagsbehandler", "editor": "Demo-redaktør", "admin": "Demo-administrator"}
USERNAME = re.compile(r"^[a-z0-9._-]{2,40}$")
MIN_PASSWORD, MAX_PASSWORD = 12, 256

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL DEFAULT '',
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS login_failures (
    key TEXT PRIMARY KEY,          -- 'user:<name>'
    count INTEGER NOT NULL,
    last TEXT NOT NULL,
    locked_until TEXT
);
-- One row per failed attempt from an address, kept for the window only.
CREATE TABLE IF NOT EXISTS login_failures_ip (
    id INTEGER PRIMARY KEY,
    ip TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS login_failures_ip_at ON login_failures_ip (ip, at);
-- The first release kept addresses in login_failures as 'ip:<address>:...',
-- matched by prefix, so one IPv6 address could count against another.
DELETE FROM login_failures WHERE key LIKE 'ip:%';
"""


class AccountError(ValueError):
    def __init__(self, field: str, problem: str):
        super().__init__(f"{field}: {problem}")
        self.field = field


class LoginRefused(Exception):
    def __init__(self, reason: str, retry_after: int = 0):
        super().__init__(reason)
        self.reason = reason  # bad_credentials, wait, locked or disabled
        self.retry_after = retry_after


@dataclass(frozen=True)
class User:
    id: int
    username: str
    display_name: str
    role: str
    disabled: bool
    created: str


@dataclass(frozen=True)
class LockoutPolicy:
    max_delay_seconds: int = 60
    lock_after: int = 10
    lock_minutes: int = 15
    ip_max: int = 30
    ip_window_minutes: int = 10


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Accounts(SQLiteFile):
    def __init__(
        self, path: Path, clock: Callable[[], dt.datetime] | None = None, policy: LockoutPolicy = LockoutPolicy()
    ):
        self.clock = clock or _utcnow
        self.policy = policy
        self.hasher = PasswordHasher()
        super().__init__(path)

    def _setup(self, conn: sqlite3.Connection) -> None:
        conn.executescript(SCHEMA + journal.SCHEMA)

    @cached_property
    def _dummy_hash(self) -> str:
        # Verified against when the user name is unknown, so the answer takes
        # as long; made on first login, not by every CLI call or demo start.
        return self.hasher.hash(secrets.token_urlsafe(16))

    # --- users ---------------------------------------------------------

    @staticmethod
    def _user(row: sqlite3.Row | None) -> User | None:
        if row is None:
            return None
        return from_row(User, row, disabled=bool)  # SQLite keeps the flag as 0 or 1

    def _check_password(self, username: str, password: str) -> None:
        if not isinstance(password, str) or len(password) < MIN_PASSWORD:
            raise AccountError("password", f"must be at least {MIN_PASSWORD} characters")
        if len(password) > MAX_PASSWORD:
            raise AccountError("password", f"must be at most {MAX_PASSWORD} characters")
        if username and username in password.lower():
            raise AccountError("password", "must not contain the user name")

    def create_user(
        self, username: str, password: str, role: str, display_name: str | None = None, actor: str = "cli"
    ) -> User:
        username = (username or "").strip().lower()
        if not USERNAME.match(username):
            raise AccountError("username", "use 2-40 characters: a-z, 0-9, '.', '_' or '-'")
        if role not in ROLES:
            raise AccountError("role", f"must be one of {', '.join(ROLES)}")
        self._check_password(username, password)
        display = " ".join((display_name or "").split())[:80]
        created = utc_text(self.clock(), "seconds")
        hashed = self.hasher.hash(password)
        with self._write() as conn:
            try:
                conn.execute(
                    "INSERT INTO users (username, display_name, role, password_hash, created) VALUES (?, ?, ?, ?, ?)",
                    (username, display, role, hashed, created),
                )
            except sqlite3.IntegrityError:
                raise AccountError("username", f"{username!r} already exists") from None
            journal.append(conn, None, "user_created", actor, user=username, role=role)
        return self.get(username)

    def get(self, username: str) -> User | None:
        with self._read() as conn:
            return self._user(
                conn.execute("SELECT * FROM users WHERE username = ?", ((username or "").strip().lower(),)).fetchone()
            )

    def get_by_id(self, user_id: int) -> User | None:
        with self._read() as conn:
            return self._user(conn.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone())

    def list_users(self) -> list[User]:
        with self._read() as conn:
            return [self._user(row) for row in conn.execute("SELECT * FROM users ORDER BY username")]

    def _require(self, username: str) -> User:
        user = self.get(username)
        if user is None:
            raise AccountError("username", f"no user {username!r}")
        return user

    def set_password(self, username: str, password: str, actor: str = "cli") -> None:
        user = self._require(username)
        self._check_password(user.username, password)
        hashed = self.hasher.hash(password)
        with self._write() as conn:
            conn.execute("UPDATE users SET password_hash = ? WHERE id = ?", (hashed, user.id))
            conn.execute("DELETE FROM login_failures WHERE key = ?", (f"user:{user.username}",))
            journal.append(conn, None, "password_reset", actor, user=user.username)

    def _set(self, username: str, column: str, value, action: str, actor: str, **details) -> None:
        user = self._require(username)
        with self._write() as conn:
            conn.execute(f"UPDATE users SET {column} = ? WHERE id = ?", (value, user.id))
            journal.append(conn, None, action, actor, user=user.username, **details)

    def disable(self, username: str, actor: str = "cli") -> None:
        self._set(username, "disabled", 1, "user_disabled", actor)

    def enable(self, username: str, actor: str = "cli") -> None:
        self._set(username, "disabled", 0, "user_enabled", actor)

    def set_role(self, username: str, role: str, actor: str = "cli") -> None:
        if role not in ROLES:
            raise AccountError("role", f"must be one of {', '.join(ROLES)}")
        self._set(username, "role", role, "role_changed", actor, role=role)

    def ensure_demo_user(self, username: str = "demo", role: str = "staff", actor: str = "demo") -> str:
        """A demo login with a fresh random password; there is no default password."""
        password = secrets.token_urlsafe(12)
        if self.get(username) is None:
            self.create_user(username, password, role, display_name=DEMO_NAMES.get(role, "Demo"), actor=actor)
        else:
            self.set_password(username, password, actor=actor)
            self.enable(username, actor=actor)
        return password

    # --- login ---------------------------------------------------------

    def authenticate(self, username: str, password: str, ip: str) -> User:
        username = (username or "").strip().lower()[:80]
        password = password or ""
        now = self.clock()
        user_key, ip = f"user:{username}", str(ip or "")
        with self._write() as conn:
            self._refuse_if_throttled(conn, user_key, ip, now)
            row = conn.execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone()
            ip_failure = self._count_failure(conn, user_key, ip, now)
        stored = row["password_hash"] if row is not None else self._dummy_hash
        try:
            self.hasher.verify(stored, password)
            ok = row is not None
        except (VerificationError, InvalidHashError):
            ok = False
        if not ok:
            raise LoginRefused("bad_credentials")
        # Hashed before the write lock is taken: argon2 is slow on purpose.
        rehashed = self.hasher.hash(password) if self.hasher.check_needs_rehash(stored) else None
        with self._write() as conn:
            # The right password ends the run of failures, also for a disabled user.
            conn.execute("DELETE FROM login_failures WHERE key = ?", (user_key,))
            conn.execute("DELETE FROM login_failures_ip WHERE id = ?", (ip_failure,))
            if rehashed:
                conn.execute("UPDATE users SET password_hash = ? WHERE id = ?", (rehashed, row["id"]))
        if row["disabled"]:
            raise LoginRefused("disabled")
        return self._user(row)

    def _refuse_if_throttled(self, conn, user_key: str, ip: str, now: dt.datetime) -> None:
        failure = conn.execute("SELECT * FROM login_failures WHERE key = ?", (user_key,)).fetchone()
        if failure is not None:
            if failure["locked_until"]:
                until = dt.datetime.fromisoformat(failure["locked_until"])
                if now < until:
                    raise LoginRefused("locked", _seconds(until - now))
            else:
                delay = dt.timedelta(seconds=min(2 ** (failure["count"] - 1), self.policy.max_delay_seconds))
                ready = dt.datetime.fromisoformat(failure["last"]) + delay
                if now < ready:
                    raise LoginRefused("wait", _seconds(ready - now))
        window = dt.timedelta(minutes=self.policy.ip_window_minutes)
        count, oldest = conn.execute(
            "SELECT count(*), min(at) FROM login_failures_ip WHERE ip = ? AND at > ?",
            (ip, utc_text(now - window)),
        ).fetchone()
        if count >= self.policy.ip_max:
            raise LoginRefused("wait", _seconds(dt.datetime.fromisoformat(oldest) + window - now))

    def _count_failure(self, conn, user_key: str, ip: str, now: dt.datetime) -> int:
        """Count the attempt as failed; returns the address row to forgive on success."""
        row = conn.execute("SELECT count, locked_until FROM login_failures WHERE key = ?", (user_key,)).fetchone()
        # A lock that has run out starts the count afresh.
        count = 1 if row is None or row["locked_until"] else row["count"] + 1
        locked = (
            utc_text(now + dt.timedelta(minutes=self.policy.lock_minutes)) if count >= self.policy.lock_after else None
        )
        conn.execute(
            "INSERT INTO login_failures (key, count, last, locked_until) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(key) DO UPDATE SET count = excluded.count, last = excluded.last,"
            " locked_until = excluded.locked_until",
            (user_key, count, utc_text(now), locked),
        )
        window = dt.timedelta(minutes=self.policy.ip_window_minutes)
        conn.execute("DELETE FROM login_failures_ip WHERE at <= ?", (utc_text(now - window),))
        return conn.execute("INSERT INTO login_failures_ip (ip, at) VALUES (?, ?)", (ip, utc_text(now))).lastrowid


def _seconds(delta: dt.timedelta) -> int:
    return max(1, int(-(-delta.total_seconds() // 1)))
