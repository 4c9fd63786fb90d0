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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


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
        target = f"{self.path.resolve().as_uri()}?mode={'rw' if self._ready else 'rwc'}"
        # Autocommit mode: transactions are opened explicitly in _write.
        conn = sqlite3.connect(target, uri=True, timeout=self.timeout, isolation_level=None)
        conn.row_factory = sqlite3.Row
        return conn

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        conn = self._connect()
        try:
            yield conn
        finally:
            conn.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._read() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
