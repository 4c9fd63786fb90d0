"""Staff-console users: argon2id passwords, roles, municipalities, a second
factor (TOTP) for admins, and throttled logins.

Every staff and editor account belongs to one municipality (a knowledge
key) and sees only its callbacks; an admin belongs to one or to all
(``ALL``). Accounts from before municipalities existed have none and see
no callbacks until an admin sets one; admins became ``ALL``.

Login throttling is keyed on the pair (client address, user name), so an
attacker behind a shared proxy address slows down only the names they try
from there, and guessing a name does not lock its owner out elsewhere:

- after the n-th failure in a row for a pair, its next attempt must wait
  2^(n-1) seconds (at most 60); a refused early attempt is not checked and
  does not count; after ``lock_after`` failures in a row the pair is locked
  for ``lock_minutes``;
- ``ip_max`` failures from one address in ``ip_window_minutes`` (spraying
  many names) or ``name_max`` failures for one name in
  ``name_window_minutes`` (guessing from many addresses) pause further
  attempts, except for pairs that have logged in before: colleagues behind
  the same proxy keep working;
- wrong one-time codes are counted per user name (only someone with the
  password gets that far), with the same delay and lock.

Failures are counted for names that do not exist too, so guessing names
teaches nothing, and a disabled user with the right password is refused
and counted exactly like a wrong password. A password reset unlocks.

An attempt is counted as a failure in the same transaction that lets it
through, and forgiven if the password turns out right: the console checks
passwords on several threads, and parallel guesses must not all slip past
the delay before the first one is counted.

The journal never keeps what an attacker typed (``record_refusal``): a
refused login names the account when the name is one, else "(ukendt
bruger)" with a short keyed tag of the name (the key lives only in the
process, so the tag shows one name tried again and again, or many names
sprayed, but can never be turned back into the name, a CPR number typed as
one included). Throttled attempts are the flood itself: each is logged,
without the name, and the journal gets at most one row per window.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import re
import secrets
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import URL

from bot.console import passwords, totp
from bot.console.sessions import end_sessions
from bot.privacy.redaction import redact
from bot.records import journal
from bot.records.database import Store, from_row, utc_text
from bot.records.schema import login_failed, login_known, login_throttle, users

ROLES = ("staff", "editor", "admin")
ALL = "*"  # the municipality of an admin who works for all of them
DEMO_NAMES = {"staff": "Demo-sagsbehandler", "editor": "Demo-redaktør", "admin": "Demo-administrator"}
MAX_USERNAME = 40  # a user name's length, checked before anything else where one is typed
USERNAME = re.compile(rf"^[a-z0-9._-]{{2,{MAX_USERNAME}}}$")
MAX_DISPLAY_NAME = 80  # a person's full name, with room to spare
MUNICIPALITY_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
MIN_PASSWORD, MAX_PASSWORD = passwords.MIN_LENGTH, passwords.MAX_LENGTH

_SELECT = sa.select(users, users.c.totp_secret.isnot(None).label("mfa"))
PASSWORD, CODE = "password", "code"

log = logging.getLogger(__name__)

THROTTLED = ("wait", "locked")  # refusals before the password is even checked
# Journal actors: for a typed name that is no account, for none, and for throttled attempts.
UNKNOWN_USER, NO_USER, THROTTLED_ACTOR = "(ukendt bruger)", "(tom)", "(for mange forsøg)"
NAME_TAG_CHARS = 8  # hex: 32 bits tell thousands of names apart and are far too few to look one up
# Throttled attempts get one journal row per window: at most six an hour
# however long a flood lasts (the same window as the per-address limit).
THROTTLED_ROW_MINUTES = 10
# Addresses counted for a window's row: memory stays bounded under a flood
# from many addresses, and a count of 1000 means "at least 1000".
MAX_COUNTED_ADDRESSES = 1000


class AccountError(ValueError):
    def __init__(self, field: str, problem: str, code: str | None = None):
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.code = code or field  # which Danish text the console shows


class LoginRefused(Exception):
    def __init__(self, reason: str, retry_after: int = 0, cause: str | None = None, account: str | None = None):
        super().__init__(reason)
        self.reason = reason  # what the user is told: bad_credentials, bad_code, wait or locked
        self.retry_after = retry_after
        self.cause = cause or reason  # what the journal records (e.g. disabled)
        self.account = account  # the account the typed name named, if it named one

    @property
    def throttled(self) -> bool:
        return self.reason in THROTTLED


class ThrottledLogins:
    """Throttled attempts of one process, for the journal's one row per
    window: each call says whether a row is due, and what the window before
    held that had no row of its own."""

    def __init__(self, window: dt.timedelta):
        self.window = window
        self._lock = threading.Lock()
        self._opened: dt.datetime | None = None
        self._attempts = 0
        self._addresses: set[str] = set()

    def note(self, ip: str, now: dt.datetime) -> dict | None:
        with self._lock:
            if self._opened is not None and now < self._opened + self.window:
                self._attempts += 1
                if len(self._addresses) < MAX_COUNTED_ADDRESSES:
                    self._addresses.add(ip)
                return None
            earlier = {"attempts": self._attempts, "addresses": len(self._addresses)} if self._attempts else None
            self._opened, self._attempts, self._addresses = now, 0, set()
            return {"earlier": earlier} if earlier else {}


@dataclass(frozen=True)
class User:
    id: int
    username: str
    display_name: str
    role: str
    disabled: bool
    created: str
    municipality: str | None = None
    mfa: bool = False  # a confirmed second factor: the login asks for a code

    def sees(self, municipality: str | None) -> bool:
        """May this user see a callback of ``municipality``?"""
        return self.municipality == ALL or (self.municipality is not None and self.municipality == municipality)

    @property
    def scope(self) -> tuple[str, ...] | None:
        """The municipalities the user sees, for the stores' filters: None for
        all of them, none for an account without a municipality."""
        if self.municipality == ALL:
            return None
        return (self.municipality,) if self.municipality else ()


@dataclass(frozen=True)
class LockoutPolicy:
    max_delay_seconds: int = 60
    lock_after: int = 10
    lock_minutes: int = 15
    ip_max: int = 30
    ip_window_minutes: int = 10
    name_max: int = 100
    name_window_minutes: int = 60


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Accounts(Store):
    def __init__(
        self,
        path: Path | str | URL,
        clock: Callable[[], dt.datetime] | None = None,
        policy: LockoutPolicy = LockoutPolicy(),
        municipalities: Collection[str] | None = None,
    ):
        self.clock = clock or _utcnow
        self.policy = policy
        # The knowledge base's keys, when known: a user's municipality must be one.
        self.municipalities = frozenset(municipalities) if municipalities else None
        self.hasher = PasswordHasher()
        # Never stored: a tag made with it can be compared within this process, never reversed.
        self._tag_key = secrets.token_bytes(32)
        self.throttled_logins = ThrottledLogins(dt.timedelta(minutes=THROTTLED_ROW_MINUTES))
        super().__init__(path)

    @cached_property
    def _dummy_hash(self) -> str:
        # Verified against when the user name is unknown, so the answer takes
        # as long; made on first login, not by every CLI call or demo start.
        return self.hasher.hash(secrets.token_urlsafe(16))

    # --- users ---------------------------------------------------------

    @staticmethod
    def _user(row) -> User | None:
        if row is None:
            return None
        return from_row(User, row, disabled=bool, mfa=bool)  # flags are stored as 0 or 1

    @staticmethod
    def _check_password(username: str, password: str, display_name: str = "") -> None:
        found = passwords.problem(password, username, display_name)
        if found:
            raise AccountError("password", found[1], code=found[0])

    def municipality_key(self, role: str, municipality: str | None) -> str:
        """The stored key for a user of ``role``: admins default to all."""
        key = (municipality or "").strip().lower()
        if key in ("", ALL, "all"):
            if role == "admin":
                return ALL
            if key:
                raise AccountError("municipality", "only admins may belong to all municipalities", code="admin_only")
            raise AccountError("municipality", "staff and editors must belong to a municipality", code="required")
        if not MUNICIPALITY_KEY.match(key) or (self.municipalities is not None and key not in self.municipalities):
            known = f"; choose one of: {', '.join(sorted(self.municipalities))}" if self.municipalities else ""
            raise AccountError("municipality", f"unknown municipality {key!r}{known}", code="unknown")
        return key

    def create_user(
        self,
        username: str,
        password: str,
        role: str,
        display_name: str | None = None,
        actor: str = "cli",
        municipality: str | None = None,
    ) -> User:
        username = (username or "").strip().lower()
        if not USERNAME.match(username):
            raise AccountError("username", f"use 2-{MAX_USERNAME} characters: a-z, 0-9, '.', '_' or '-'")
        if redact(username).changed:
            # The journal names users for good: a CPR number must never be one.
            raise AccountError("username", "must not be a CPR number", code="username_cpr")
        if role not in ROLES:
            raise AccountError("role", f"must be one of {', '.join(ROLES)}")
        key = self.municipality_key(role, municipality)
        display = " ".join((display_name or "").split())
        if len(display) > MAX_DISPLAY_NAME:
            raise AccountError("display_name", f"at most {MAX_DISPLAY_NAME} characters")
        self._check_password(username, password, display)
        created = utc_text(self.clock(), "seconds")
        hashed = self.hasher.hash(password)
        with self._write() as conn:
            try:
                # A savepoint: on PostgreSQL a failed statement would otherwise end the transaction.
                with conn.begin_nested():
                    conn.execute(
                        users.insert().values(
                            username=username,
                            display_name=display,
                            role=role,
                            password_hash=hashed,
                            created=created,
                            municipality=key,
                        )
                    )
            except sa.exc.IntegrityError:
                raise AccountError("username", f"{username!r} already exists", code="exists") from None
            journal.append(conn, None, "user_created", actor, user=username, role=role, municipality=key)
        return self.get(username)

    def get(self, username: str) -> User | None:
        with self._read() as conn:
            return self._user(conn.execute(_SELECT.where(users.c.username == (username or "").strip().lower())).first())

    def get_by_id(self, user_id: int) -> User | None:
        with self._read() as conn:
            return self._user(conn.execute(_SELECT.where(users.c.id == user_id)).first())

    def list_users(self) -> list[User]:
        with self._read() as conn:
            return [self._user(row) for row in conn.execute(_SELECT.order_by(users.c.username))]

    def _require(self, username: str) -> User:
        user = self.get(username)
        if user is None:
            raise AccountError("username", f"no user {username!r}", code="unknown_user")
        return user

    @staticmethod
    def new_password(username: str = "") -> str:
        """A random password that passes the rules, for an admin's reset or a demo login."""
        return passwords.generate(username)

    def set_password(
        self,
        username: str,
        password: str,
        actor: str = "cli",
        keep_session: str | None = None,
        action: str = "password_reset",
    ) -> None:
        """Set a new password, unlock the name and end the user's sessions
        (all but ``keep_session``, the raw token of the one making the change)."""
        user = self._require(username)
        self._check_password(user.username, password, user.display_name)
        hashed = self.hasher.hash(password)
        with self._write() as conn:
            conn.execute(users.update().where(users.c.id == user.id).values(password_hash=hashed))
            self._unlock(conn, user.username, PASSWORD)
            end_sessions(conn, user.id, keep_session)
            journal.append(conn, None, action, actor, user=user.username)

    def change_password(self, username: str, current: str, new: str, ip: str, keep_session: str | None) -> User:
        """A user's own change: the current password is checked (and
        throttled) like a login, then the other sessions end."""
        user = self.authenticate(username, current, ip)
        if new == current:
            raise AccountError("password", "must differ from the current password", code="unchanged")
        self.set_password(user.username, new, actor=user.username, keep_session=keep_session, action="password_changed")
        return user

    def _set(self, username: str, column: str, value, action: str, actor: str, end: bool = False, **details) -> None:
        user = self._require(username)
        with self._write() as conn:
            conn.execute(users.update().where(users.c.id == user.id).values({column: value}))
            if end:
                end_sessions(conn, user.id)
            journal.append(conn, None, action, actor, user=user.username, **details)

    def disable(self, username: str, actor: str = "cli") -> None:
        """Disable the user and end their sessions."""
        self._set(username, "disabled", 1, "user_disabled", actor, end=True)

    def enable(self, username: str, actor: str = "cli") -> None:
        self._set(username, "disabled", 0, "user_enabled", actor)

    def set_role(self, username: str, role: str, actor: str = "cli") -> None:
        if role not in ROLES:
            raise AccountError("role", f"must be one of {', '.join(ROLES)}")
        if role != "admin" and self._require(username).municipality == ALL:
            raise AccountError("municipality", "only admins may belong to all municipalities", code="admin_only")
        self._set(username, "role", role, "role_changed", actor, role=role)

    def set_municipality(self, username: str, municipality: str | None, actor: str = "cli") -> User:
        user = self._require(username)
        key = self.municipality_key(user.role, municipality)
        self._set(
            username, "municipality", key, "municipality_changed", actor, municipality=key, previous=user.municipality
        )
        return self.get(username)

    def ensure_demo_user(
        self, username: str = "demo", role: str = "staff", municipality: str | None = None, actor: str = "demo"
    ) -> str | None:
        """A demo login with a fresh random password (there is no default
        password), or None when an admin has disabled it: a demo start never
        enables a user again."""
        user = self.get(username)
        if user is not None and user.disabled:
            return None
        password = self.new_password(username)
        if user is None:
            self.create_user(
                username, password, role, DEMO_NAMES.get(role, "Demo"), actor=actor, municipality=municipality
            )
        else:
            self.set_password(username, password, actor=actor)
        return password

    # --- login ---------------------------------------------------------

    def authenticate(self, username: str, password: str, ip: str) -> User:
        username = (username or "").strip().lower()[:80]
        password = password or ""
        now = self.clock()
        ip = str(ip or "")
        with self._write() as conn:
            self._refuse_if_throttled(conn, PASSWORD, ip, username, now)
            row = conn.execute(_SELECT.where(users.c.username == username)).first()
            failure = self._count_failure(conn, PASSWORD, ip, username, now)
        stored = row.password_hash if row is not None else self._dummy_hash
        try:
            self.hasher.verify(stored, password)
            ok = row is not None
        except (VerificationError, InvalidHashError):
            ok = False
        if not ok:
            raise LoginRefused("bad_credentials", account=row.username if row is not None else None)
        if row.disabled:
            # Refused and counted like a wrong password, so neither the answer
            # nor the delay that follows tells that the password was right.
            raise LoginRefused("bad_credentials", cause="disabled", account=row.username)
        # Hashed before the write lock is taken: argon2 is slow on purpose.
        rehashed = self.hasher.hash(password) if self.hasher.check_needs_rehash(stored) else None
        with self._write() as conn:
            self._forgive(conn, ip, username, failure, now)
            if rehashed:
                conn.execute(users.update().where(users.c.id == row.id).values(password_hash=rehashed))
        return self._user(row)

    def verify_code(self, username: str, code: str) -> User:
        """The second step of an admin's login: a code from their app, for a
        time step not used before."""
        username = (username or "").strip().lower()
        now = self.clock()
        with self._write() as conn:
            self._refuse_if_throttled(conn, CODE, "", username, now)
            row = conn.execute(_SELECT.where(users.c.username == username)).first()
            ok = row is not None and row.totp_secret and not row.disabled
            step = totp.matching_step(row.totp_secret, code, now, row.totp_last_step) if ok else None
            if step is None:
                self._count_failure(conn, CODE, "", username, now)
            else:
                conn.execute(users.update().where(users.c.id == row.id).values(totp_last_step=step))
                self._unlock(conn, username, CODE)
        if step is None:
            raise LoginRefused("bad_code", account=row.username if row is not None else None)
        return self._user(row)

    def name_tag(self, typed: str) -> str:
        """A short keyed tag of a typed user name that is no account."""
        return hmac.new(self._tag_key, typed.encode(), hashlib.sha256).hexdigest()[:NAME_TAG_CHARS]

    def record_refusal(self, action: str, refused: LoginRefused, typed: str, ip: str, **details) -> None:
        """Journal a refused login step without what was typed: the account
        if the name is one, else "(ukendt bruger)" and the name's tag.
        Throttled attempts are logged, and journaled once per window."""
        if refused.throttled:
            log.info("console %s: throttled (%s, %d s left) from %s", action, refused.reason, refused.retry_after, ip)
            summary = self.throttled_logins.note(ip, self.clock())
            if summary is None:
                return
            action, details = (
                "login_throttled",
                {
                    **summary,
                    "first": action,
                    "reason": refused.reason,
                    "window_minutes": THROTTLED_ROW_MINUTES,
                },
            )
            actor = THROTTLED_ACTOR
        elif refused.account is not None:
            actor, details = refused.account, {**details, "reason": refused.cause}
        else:
            typed = (typed or "").strip().lower()
            actor = UNKNOWN_USER if typed else NO_USER
            details = {**details, "reason": refused.cause, **({"name_tag": self.name_tag(typed)} if typed else {})}
        with self._write() as conn:
            journal.append(conn, None, action, actor, **details)

    # --- second factor -------------------------------------------------

    def start_totp(self, username: str, actor: str) -> str:
        """A new secret for the user's authenticator app, kept as pending until
        ``confirm_totp``; returned to be shown once."""
        user = self._require(username)
        if user.mfa:
            raise AccountError("mfa", "already set up; a lost device is reset with `kommunebot users reset-mfa`")
        secret = totp.new_secret()
        with self._write() as conn:
            conn.execute(users.update().where(users.c.id == user.id).values(totp_pending=secret))
            journal.append(conn, None, "mfa_enrolment_started", actor, user=user.username)
        return secret

    def pending_totp(self, username: str) -> str | None:
        with self._read() as conn:
            row = conn.execute(sa.select(users.c.totp_pending).where(users.c.username == username)).first()
        return row.totp_pending if row else None

    def confirm_totp(self, username: str, code: str, actor: str, keep_session: str | None = None) -> bool:
        """Turn the pending secret into the user's second factor if ``code``
        is right; the user's other sessions end."""
        now = self.clock()
        with self._write() as conn:
            row = conn.execute(_SELECT.where(users.c.username == username).with_for_update(of=users)).first()
            pending = row.totp_pending if row is not None and not row.totp_secret else None
            step = totp.matching_step(pending, code, now) if pending else None
            if step is not None:
                conn.execute(
                    users.update()
                    .where(users.c.id == row.id)
                    .values(totp_secret=users.c.totp_pending, totp_pending=None, totp_last_step=step)
                )
                end_sessions(conn, row.id, keep_session)
                journal.append(conn, None, "mfa_enrolled", actor, user=row.username)
        return step is not None

    def reset_totp(self, username: str, actor: str = "cli") -> None:
        """Remove the second factor (a lost device); the user's sessions end
        and they log in with the password alone until they enrol again."""
        user = self._require(username)
        with self._write() as conn:
            conn.execute(
                users.update()
                .where(users.c.id == user.id)
                .values(totp_secret=None, totp_pending=None, totp_last_step=None)
            )
            self._unlock(conn, user.username, CODE)
            end_sessions(conn, user.id)
            journal.append(conn, None, "mfa_reset", actor, user=user.username)

    # --- throttling ----------------------------------------------------

    def _window(self, column: str) -> tuple[int, dt.timedelta]:
        if column == "ip":
            return self.policy.ip_max, dt.timedelta(minutes=self.policy.ip_window_minutes)
        return self.policy.name_max, dt.timedelta(minutes=self.policy.name_window_minutes)

    def _refuse_if_throttled(self, conn, factor: str, ip: str, username: str, now: dt.datetime) -> None:
        # Parallel attempts are checked and counted one after the other (on
        # SQLite the write lock already does that), for the pair, the address and the name.
        self.db.lock(conn, f"login:{factor}:{ip}:{username}", f"login-ip:{ip}", f"login-name:{username}")
        run = conn.execute(
            sa.select(login_throttle).where(
                login_throttle.c.factor == factor, login_throttle.c.ip == ip, login_throttle.c.username == username
            )
        ).first()
        if run is not None:
            if run.locked_until:
                until = dt.datetime.fromisoformat(run.locked_until)
                if now < until:
                    raise LoginRefused("locked", _seconds(until - now))
            else:
                delay = dt.timedelta(seconds=min(2 ** (run.count - 1), self.policy.max_delay_seconds))
                ready = dt.datetime.fromisoformat(run.last) + delay
                if now < ready:
                    raise LoginRefused("wait", _seconds(ready - now))
        if factor != PASSWORD:
            return
        known = conn.execute(
            sa.select(sa.literal(1)).where(login_known.c.ip == ip, login_known.c.username == username)
        ).first()
        if known:
            return
        for column, value in (("ip", ip), ("username", username)):
            limit, window = self._window(column)
            count, oldest = conn.execute(
                sa.select(sa.func.count(), sa.func.min(login_failed.c.at)).where(
                    login_failed.c[column] == value, login_failed.c.at > utc_text(now - window)
                )
            ).one()
            if count >= limit:
                raise LoginRefused("wait", _seconds(dt.datetime.fromisoformat(oldest) + window - now))

    def _count_failure(self, conn, factor: str, ip: str, username: str, now: dt.datetime) -> int | None:
        """Count the attempt as failed; returns the row to forgive on success."""
        run = conn.execute(
            sa.select(login_throttle.c.count, login_throttle.c.locked_until).where(
                login_throttle.c.factor == factor, login_throttle.c.ip == ip, login_throttle.c.username == username
            )
        ).first()
        # A lock that has run out starts the count afresh.
        count = 1 if run is None or run.locked_until else run.count + 1
        locked = (
            utc_text(now + dt.timedelta(minutes=self.policy.lock_minutes)) if count >= self.policy.lock_after else None
        )
        values = {"count": count, "last": utc_text(now), "locked_until": locked}
        _upsert(conn, login_throttle, {"factor": factor, "ip": ip, "username": username}, values)
        if factor != PASSWORD:
            return None
        longest = max(self._window("ip")[1], self._window("username")[1])
        conn.execute(login_failed.delete().where(login_failed.c.at <= utc_text(now - longest)))
        (failure,) = conn.execute(
            login_failed.insert().values(ip=ip, username=username, at=utc_text(now))
        ).inserted_primary_key
        return failure

    @staticmethod
    def _forgive(conn, ip: str, username: str, failure: int | None, now: dt.datetime) -> None:
        """The right password ends the pair's run of failures and makes it known."""
        conn.execute(
            login_throttle.delete().where(
                login_throttle.c.factor == PASSWORD, login_throttle.c.ip == ip, login_throttle.c.username == username
            )
        )
        conn.execute(login_failed.delete().where(login_failed.c.id == failure))
        _upsert(conn, login_known, {"ip": ip, "username": username}, {"last": utc_text(now)})

    @staticmethod
    def _unlock(conn, username: str, factor: str) -> None:
        conn.execute(
            login_throttle.delete().where(login_throttle.c.factor == factor, login_throttle.c.username == username)
        )
        if factor == PASSWORD:
            conn.execute(login_failed.delete().where(login_failed.c.username == username))


def _upsert(conn, table: sa.Table, key: dict, values: dict) -> None:
    """Insert the row, or update it where its primary key exists (both databases know ON CONFLICT)."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(table).values(**key, **values)
    conn.execute(statement.on_conflict_do_update(index_elements=list(key), set_=values))


def _seconds(delta: dt.timedelta) -> int:
    return max(1, int(-(-delta.total_seconds() // 1)))
