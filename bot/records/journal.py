"""The one append-only journal (notatpligt): every booking, cancellation,
staff action, inbox decision and user change is a row in ``events``.

Each store that journals creates the table in its own setup and appends
inside its own transaction, so a change and its journal entry are stored
together or not at all. Triggers refuse updates and deletes, so no code
path can rewrite the journal. Entries never repeat a citizen's name or
phone number, so they may outlive the rows that retention deletes.
"""

from __future__ import annotations

import json
import sqlite3

from bot.records.database import storage_time, utc_now

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    reference TEXT,
    action TEXT NOT NULL,
    actor TEXT NOT NULL,
    details TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS events_reference ON events (reference);
CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
"""


def append(conn: sqlite3.Connection, reference: str | None, action: str, actor: str, **details) -> None:
    """Journal an action inside the caller's transaction."""
    conn.execute(
        "INSERT INTO events (at, reference, action, actor, details) VALUES (?, ?, ?, ?, ?)",
        (storage_time(utc_now()), reference, action, actor, json.dumps(details, ensure_ascii=False, sort_keys=True)),
    )


def read(conn: sqlite3.Connection, reference: str | None = None) -> list[dict]:
    """Entries in the order they were written, all or one callback's."""
    if reference is None:
        rows = conn.execute("SELECT * FROM events ORDER BY id").fetchall()
    else:
        rows = conn.execute("SELECT * FROM events WHERE reference = ? ORDER BY id", (reference,)).fetchall()
    return [{**dict(r), "details": json.loads(r["details"])} for r in rows]
