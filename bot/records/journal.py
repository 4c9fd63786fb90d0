"""The one append-only journal (notatpligt): every booking, cancellation,
staff action, inbox decision and user change is a row in ``events``.

Each store that journals creates the table in its own setup and appends
inside its own transaction, so a change and its journal entry are stored
together or not at all. Triggers refuse updates, deletes and re-used ids
(``INSERT OR REPLACE`` would otherwise rewrite a row without firing the
delete trigger), so no code path can rewrite the journal. Entries never
repeat a citizen's name or phone number, so they may outlive the rows that
retention deletes.

Triggers do not stop someone with write access to the file, so each row
also carries ``hash``: sha256 over the previous row's hash and the row's
own content (id, at, reference, action, actor, details as stored). Editing,
removing or inserting a row breaks the chain from that row on, and
``verify`` finds the first broken row. Rows written before the chain
existed have no hash; they are linked into the chain as computed values,
so the first chained row (``journal_chain_started``, appended by the
migration) seals them as they were. Removing rows at the end leaves an
intact but shorter chain: keep the head that ``verify`` reports elsewhere
and check it later with ``anchor``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from bot.records.database import (
    BATCH_ROWS,
    connect,
    delete_in_batches,
    missing_columns,
    storage_time,
    transaction,
    utc_now,
)

# Valid on databases from before the chain too (no statement here names
# ``hash``), because stores that are not migrated here run it as well.
SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    reference TEXT,
    action TEXT NOT NULL,
    actor TEXT NOT NULL,
    details TEXT NOT NULL DEFAULT '{}',
    hash TEXT
);
CREATE INDEX IF NOT EXISTS events_reference ON events (reference);
CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_no_reuse BEFORE INSERT ON events
WHEN EXISTS (SELECT 1 FROM events WHERE id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'the journal is append-only: entry id already used'); END;
"""
GENESIS = "0" * 64  # the "previous hash" of the first row


def _content(row) -> str:
    """The canonical text of a row: its stored values, never re-serialised."""
    return json.dumps(
        [row["id"], row["at"], row["reference"], row["action"], row["actor"], row["details"]],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def _link(previous: str, row) -> str:
    return hashlib.sha256(f"{previous}\n{_content(row)}".encode()).hexdigest()


def setup(conn: sqlite3.Connection) -> None:
    """Create the journal, or give an existing one the hash chain."""
    conn.executescript(SCHEMA)
    if missing_columns(conn, "events", ["hash"]):
        with transaction(conn):
            _migrate(conn)


def _migrate(conn: sqlite3.Connection) -> None:
    """Add the hash column (inside a write transaction, so of two processes
    starting at once only one adds it) and seal the rows written before."""
    if not missing_columns(conn, "events", ["hash"]):
        return
    conn.execute("ALTER TABLE events ADD COLUMN hash TEXT")
    (legacy,) = conn.execute("SELECT count(*) FROM events").fetchone()
    if legacy:
        append(conn, None, "journal_chain_started", "migration", legacy_rows=legacy)


def _head(conn: sqlite3.Connection) -> tuple[int, str]:
    """The last row's id and hash. A row without a hash (legacy, or written
    by a process still running old code) gets its computed one, so the
    chain always links every row."""
    last = conn.execute("SELECT id, hash FROM events ORDER BY id DESC LIMIT 1").fetchone()
    if last is None:
        return 0, GENESIS
    if last[1] is not None:
        return last[0], last[1]
    anchor = conn.execute("SELECT id, hash FROM events WHERE hash IS NOT NULL ORDER BY id DESC LIMIT 1").fetchone()
    start, previous = anchor if anchor is not None else (0, GENESIS)
    for row in conn.execute("SELECT * FROM events WHERE id > ? ORDER BY id", (start,)):
        previous = _link(previous, row)
    return last[0], previous


def append(conn: sqlite3.Connection, reference: str | None, action: str, actor: str, **details) -> None:
    """Journal an action inside the caller's write transaction.

    The caller's ``BEGIN IMMEDIATE`` holds the database's one write lock, so
    reading the head and inserting after it cannot interleave with another
    process's append: the chain never forks.
    """
    if not conn.in_transaction:
        raise RuntimeError("journal.append must run inside the caller's write transaction")
    _migrate(conn)  # a store that does not call setup() may still open an old file
    last_id, previous = _head(conn)
    row = {
        "id": last_id + 1,
        "at": storage_time(utc_now()),
        "reference": reference,
        "action": action,
        "actor": actor,
        "details": json.dumps(details, ensure_ascii=False, sort_keys=True),
    }
    conn.execute(
        "INSERT INTO events (id, at, reference, action, actor, details, hash)"
        " VALUES (:id, :at, :reference, :action, :actor, :details, :hash)",
        {**row, "hash": _link(previous, row)},
    )


def read(conn: sqlite3.Connection, reference: str | None = None) -> list[dict]:
    """Entries in the order they were written, all or one callback's."""
    if reference is None:
        rows = conn.execute("SELECT * FROM events ORDER BY id").fetchall()
    else:
        rows = conn.execute("SELECT * FROM events WHERE reference = ? ORDER BY id", (reference,)).fetchall()
    return [{**dict(r), "details": json.loads(r["details"])} for r in rows]


def delete_journaled(
    write: Callable[[], AbstractContextManager[sqlite3.Connection]],
    table: str,
    where: str,
    cutoff: dt.datetime,
    municipality: str | None,
    action: str,
    actor: str,
    batch: int = BATCH_ROWS,
) -> int:
    """Retention's deletes: the rows of ``table`` matching ``where`` (which
    names ``:cutoff``), all or one municipality's, in transactions of at most
    ``batch`` rows, each with its journal entry (count, cutoff,
    municipality); one entry with ``deleted=0`` when nothing matched."""
    params = {"cutoff": storage_time(cutoff), "municipality": municipality, "batch": batch}
    if municipality is not None:
        where = f"({where}) AND municipality = :municipality"

    def step(first: bool) -> int:
        with write() as conn:
            deleted = conn.execute(
                f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} WHERE {where} LIMIT :batch)", params
            ).rowcount
            if deleted or first:
                append(conn, None, action, actor, deleted=deleted, cutoff=params["cutoff"], municipality=municipality)
        return deleted

    return delete_in_batches(step, batch)


@dataclass(frozen=True)
class Verification:
    entries: int
    legacy: int  # rows from before the chain, sealed by the first chained row
    head: tuple[int, str] | None  # the last row's id and (computed) hash
    broken: int | None = None  # the first row that does not fit the chain
    problem: str = ""

    @property
    def intact(self) -> bool:
        return self.broken is None


def _short(value: str | None) -> str:
    return "none" if value is None else f"{value[:16]}…"


def verify(conn: sqlite3.Connection, anchor: tuple[int, str] | None = None) -> Verification:
    """Recompute the chain; stop at the first row that does not fit.
    ``anchor`` (id, hash), a head reported earlier, must still be in it."""
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'events'").fetchone():
        raise LookupError("the database has no journal (table events)")
    chained = not missing_columns(conn, "events", ["hash"])
    entries = legacy = 0
    previous, last_id, started = GENESIS, None, False
    anchor_seen = anchor is None

    def broken(row_id: int, problem: str) -> Verification:
        return Verification(entries, legacy, (last_id, previous) if last_id else None, row_id, problem)

    for row in conn.execute("SELECT * FROM events ORDER BY id"):
        row_id, stored = row["id"], row["hash"] if chained else None
        if started and row_id != last_id + 1:
            gone = f"{last_id + 1}" if row_id == last_id + 2 else f"{last_id + 1}-{row_id - 1}"
            return broken(row_id, f"entry {gone} missing before it (deleted)")
        computed = _link(previous, row)
        if stored is None:
            if started:
                return broken(row_id, "no hash: not written by journal.append (inserted behind its back)")
            legacy += 1
        elif stored != computed:
            return broken(
                row_id,
                f"hash differs: stored {_short(stored)}, computed {_short(computed)} from its content and the "
                "entry before it (this entry, or one before it, was changed)",
            )
        else:
            started = True
        entries, previous, last_id = entries + 1, computed, row_id
        if anchor is not None and row_id == anchor[0]:
            if computed != anchor[1]:
                return broken(
                    row_id, f"hash differs from the anchor: anchored {_short(anchor[1])}, now {_short(computed)}"
                )
            anchor_seen = True
    if not anchor_seen:
        return broken(anchor[0], f"the anchored entry {anchor[0]} is gone (entries at the end were deleted)")
    return Verification(entries, legacy, (last_id, previous) if last_id else None)


def verify_file(path: Path, anchor: tuple[int, str] | None = None) -> Verification:
    """Verify the journal of an existing database file, read-only and on one
    consistent snapshot while the servers keep appending."""
    if not Path(path).is_file():
        raise FileNotFoundError(f"{path}: no such database")
    conn = connect(path, "ro", timeout=15.0)
    try:
        conn.execute("BEGIN")
        return verify(conn, anchor)
    finally:
        conn.close()
