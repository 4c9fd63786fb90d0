"""The data database by URL: one SQLite file by default, PostgreSQL by
configuration, through SQLAlchemy Core.

SQLite is shared by several processes (action server, staff console, CLI):
WAL mode, and ``BEGIN IMMEDIATE`` for write transactions, so what a write
transaction reads cannot change before it writes. Once the schema exists the
file is opened read-write only: a database deleted under a running server is
an error, never a new empty file. Connections are kept in a small pool
(opening one cost 1.1 ms of the action server's CPU on every turn's outcome
record, 10 % of that server under load; py-spy, issue 24), and each is
checked out only while the file it opened is still the file at the path, so
a deleted or replaced database is still an error, never a write into an
unlinked file.

PostgreSQL write transactions run at READ COMMITTED; the few places that
read and then write something another transaction could write too (booking
capacity, the journal's hash chain) take transaction-scoped advisory locks
with ``lock`` first. On SQLite ``lock`` does nothing: the write lock
already serialises every writer.

The schema is Alembic's (``bot.records.migrations``): a SQLite file is
created or upgraded when a store opens it; a PostgreSQL database is
migrated with ``kommunebot migrate`` by its owner, and a store refuses to
open one that is behind.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection
from sqlalchemy.pool import QueuePool

T = TypeVar("T")

# Rows per write transaction for bulk deletes (retention): small enough that
# the write lock is held for milliseconds, so chat turns never wait long.
BATCH_ROWS = 200
# SQLite's pool: kept connections per process, plus short-lived ones beyond
# them. SQLite serialises writers anyway, so more would only wait longer.
SQLITE_POOL_SIZE = 2
SQLITE_POOL_OVERFLOW = 8


class DatabaseUnavailable(RuntimeError):
    """The database cannot be reached or used right now (PostgreSQL down,
    SQLite file missing or locked); the message names the database."""


class SchemaOutdated(RuntimeError):
    """A PostgreSQL database whose schema is behind the code: run ``kommunebot migrate``."""


def from_row(cls: type[T], row: Any, **convert: Callable[[Any], Any]) -> T:
    """A dataclass from the row's columns of the same names; ``convert``
    turns stored text into the field's type (e.g. slot=datetime.fromisoformat)."""
    mapping = row._mapping if hasattr(row, "_mapping") else row
    values = {}
    for f in dataclasses.fields(cls):
        if f.name in mapping:
            value = mapping[f.name]
            values[f.name] = convert[f.name](value) if f.name in convert and value is not None else value
    return cls(**values)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def utc_text(value: dt.datetime, timespec: str = "auto") -> str:
    """How times are stored: UTC ISO 8601 text, so SQL can compare them as strings."""
    if value.tzinfo is None:
        raise ValueError("stored times must be timezone-aware")
    return value.astimezone(dt.timezone.utc).isoformat(timespec=timespec)


def storage_time(value: dt.datetime) -> str:
    """Record times (bookings, journal, inbox): UTC ISO 8601 to the second."""
    return utc_text(value, "seconds")


def delete_in_batches(step: Callable[[bool], int], batch: int = BATCH_ROWS, expected: int | None = None) -> int:
    """Call ``step(first)`` (one transaction deleting at most ``batch`` rows,
    returning how many) until a step deletes fewer than ``batch`` or the
    ``expected`` number of rows is gone.

    After each step it pauses for as long as the step took: a writer waiting
    in SQLite's busy handler polls, and a loop that commits and locks again
    at once could keep it out until its timeout."""
    total, first = 0, True
    while True:
        started = time.monotonic()
        deleted = step(first)
        total, first = total + deleted, False
        time.sleep(min(0.5, max(0.005, time.monotonic() - started)))
        if deleted < batch or (expected is not None and total >= expected):
            return total


def database_url(target: Path | str | URL) -> URL:
    """A URL from a URL or URL text; a ``Path`` (or text without ``://``) is a SQLite file."""
    if isinstance(target, URL):
        return target
    if isinstance(target, Path) or "://" not in str(target):
        return URL.create("sqlite", database=str(Path(target).resolve()))
    try:
        return sa.engine.make_url(str(target))
    except sa.exc.ArgumentError as exc:
        raise ValueError(f"database URL: cannot parse {str(target)!r} ({exc})") from None


def shown(url: URL) -> str:
    """A URL for messages and logs: the password hidden."""
    return url.render_as_string(hide_password=True)


def describe(target: Path | str | URL) -> str:
    """The database for messages: a SQLite file's path, or the URL without its password."""
    try:
        url = database_url(target)
    except ValueError:
        return "(unparseable database URL)"
    return url.database if url.get_backend_name() == "sqlite" else shown(url)


class Database:
    """An engine for the data database plus what the stores need of it:
    read connections, write transactions and locks with the same meaning
    on SQLite and PostgreSQL."""

    def __init__(self, target: Path | str | URL, timeout: float = 5.0, readonly: bool = False):
        self.url = database_url(target)
        self.timeout = timeout
        self.readonly = readonly
        backend = self.url.get_backend_name()
        if backend == "sqlite":
            if not self.url.database or self.url.database == ":memory:":
                raise ValueError(f"database URL {shown(self.url)}: a SQLite database must be a file")
            self.path: Path | None = Path(self.url.database)
            # Only the first open may create the file; see module docstring.
            self.may_create = not readonly
            self.engine = sa.create_engine(
                "sqlite://",
                creator=self._sqlite_connect,
                poolclass=QueuePool,
                # One connection per concurrent operation: the action server's
                # threads and the console's requests rarely hold more than two.
                pool_size=SQLITE_POOL_SIZE,
                max_overflow=SQLITE_POOL_OVERFLOW,
                pool_timeout=max(timeout, 30.0),
            )
            sa.event.listen(self.engine, "begin", _sqlite_begin)
            sa.event.listen(self.engine, "connect", self._remember_file)
            sa.event.listen(self.engine, "checkout", self._same_file)
        elif backend == "postgresql":
            self.path = None
            self.engine = sa.create_engine(
                self.url,
                pool_pre_ping=True,  # a connection from before a PostgreSQL restart is replaced, not used
                pool_size=5,
                max_overflow=15,
                pool_timeout=max(timeout, 30.0),
                connect_args={"connect_timeout": max(1, int(timeout))},
            )
        else:
            raise ValueError(f"database URL {shown(self.url)}: use sqlite:/// or postgresql://")

    @property
    def sqlite(self) -> bool:
        return self.path is not None

    def __str__(self) -> str:
        return str(self.path) if self.path is not None else shown(self.url)

    def _file_identity(self) -> tuple[int, int] | None:
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            return None
        return (stat.st_dev, stat.st_ino)

    def _remember_file(self, dbapi_connection, record) -> None:
        record.info["file"] = self._file_identity()

    def _same_file(self, dbapi_connection, record, proxy) -> None:
        # A pooled connection to a file deleted or replaced since it opened
        # would write where no one reads: drop it, and let the pool open the
        # path again, which fails (mode rw) if the file is gone.
        if record.info.get("file") != self._file_identity():
            raise sa.exc.DisconnectionError(f"database {self.path} was deleted or replaced")

    def _sqlite_connect(self) -> sqlite3.Connection:
        mode = "ro" if self.readonly else "rwc" if self.may_create else "rw"
        # isolation_level=None: the driver never begins on its own; _sqlite_begin does.
        return sqlite3.connect(
            f"{self.path.as_uri()}?mode={mode}",
            uri=True,
            timeout=self.timeout,
            isolation_level=None,
            check_same_thread=False,
        )

    @contextmanager
    def _unavailable_as_error(self) -> Iterator[None]:
        try:
            yield
        except sa.exc.OperationalError as exc:
            raise DatabaseUnavailable(f"database {self}: {exc.orig}") from exc

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A connection outside any explicit transaction: each statement commits on its own."""
        with self._unavailable_as_error(), self.engine.connect() as conn:
            yield conn

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A write transaction: committed at the end, rolled back on any error."""
        with self._unavailable_as_error(), self.engine.begin() as conn:
            yield conn

    @contextmanager
    def snapshot(self) -> Iterator[Connection]:
        """A read transaction that sees one consistent state while others write."""
        with self._unavailable_as_error(), self.engine.connect() as conn:
            if self.sqlite:
                conn = conn.execution_options(sqlite_begin="DEFERRED")
            else:
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn

    def lock(self, conn: Connection, *keys: str) -> None:
        """Serialise transactions that name the same key, until they end.

        Keys are taken in sorted order, so two transactions taking several
        never wait for each other in a cycle."""
        if self.sqlite:
            return
        for key in sorted(set(keys)):
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key})

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_begin(conn: Connection) -> None:
    conn.exec_driver_sql(f"BEGIN {conn.get_execution_options().get('sqlite_begin', 'IMMEDIATE')}")


def lock(conn: Connection, *keys: str) -> None:
    """``Database.lock`` for code that only has the connection."""
    if conn.dialect.name == "postgresql":
        for key in sorted(set(keys)):
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key})


class Store:
    """Base of the stores: opens the database and brings a SQLite file's
    schema up to date (PostgreSQL's must already be; ``kommunebot migrate``)."""

    def __init__(self, target: Path | str | URL, timeout: float = 5.0):
        self.db = Database(target, timeout)
        self.timeout = timeout
        if self.db.sqlite:
            self.db.path.parent.mkdir(parents=True, exist_ok=True)
        from bot.records import migrations

        with self.db._unavailable_as_error():
            if self.db.sqlite:
                with self.db.connect() as conn:
                    conn.exec_driver_sql("PRAGMA journal_mode=WAL")
            migrations.ensure_current(self.db)
        if self.db.sqlite:
            self.db.may_create = False

    @property
    def path(self) -> Path | None:
        """The SQLite file, or None on PostgreSQL."""
        return self.db.path

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self.db.connect() as conn:
            yield conn

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self.db.begin() as conn:
            yield conn

    def close(self) -> None:
        self.db.dispose()
