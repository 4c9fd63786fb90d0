"""One SQLite file shared by several processes (action server, staff
console, CLI): a short connection per operation, WAL mode, and explicit
``BEGIN IMMEDIATE`` transactions for writes.

Once the schema exists the file is opened read-write only: a database
deleted under a running server is an error, never a new empty file.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

# Rows per write transaction for bulk deletes (retention): small enough that
# the write lock is held for milliseconds, so chat turns never wait long.
BATCH_ROWS = 200


def from_row(cls: type[T], row: sqlite3.Row, **convert: Callable[[Any], Any]) -> T:
    """A dataclass from the row's columns of the same names; ``convert``
    turns stored text into the field's type (e.g. slot=datetime.fromisoformat)."""
    present = set(row.keys())
    values = {}
    for f in dataclasses.fields(cls):
        if f.name in present:
            value = row[f.name]
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


def connect(path: Path, mode: str, timeout: float) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit) with rows
    by column name; ``mode`` is SQLite's: ro, rw or rwc."""
    conn = sqlite3.connect(
        f"{Path(path).resolve().as_uri()}?mode={mode}", uri=True, timeout=timeout, isolation_level=None
    )
    conn.row_factory = sqlite3.Row
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A write transaction that takes the write lock at once, so what it
    reads cannot change before it writes."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def missing_columns(conn: sqlite3.Connection, table: str, columns) -> list[str]:
    present = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
    return [column for column in columns if column not in present]


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


class SQLiteFile:
    def __init__(self, path: Path, timeout: float = 5.0):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.timeout = timeout
        self._ready = False
        with self._read() as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            self._setup(conn)
        self._ready = True

    def _setup(self, conn: sqlite3.Connection) -> None:
        """Create the tables; runs once, on a connection that may create the file."""

    def _connect(self) -> sqlite3.Connection:
        return connect(self.path, "rw" if self._ready else "rwc", self.timeout)

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        conn = self._connect()
        try:
            yield conn
        finally:
            conn.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._read() as conn, transaction(conn):
            yield conn
