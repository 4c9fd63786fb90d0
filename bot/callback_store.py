"""Booked callbacks and their append-only journal, in SQLite (WAL).

Notatpligt and journalisering: every booking, cancellation and staff action
is appended to ``events``; triggers refuse updates and deletes there, so the
journal cannot be rewritten through any code path. Events never repeat the
citizen's name or phone number, so they may outlive the callback row that
retention deletes.

Capacity is enforced inside one ``BEGIN IMMEDIATE`` transaction: SQLite
lets one writer in at a time, so when many citizens take the last place of
a slot at once, exactly one succeeds and the others get ``SlotFull``.
"""
from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from bot.sqlite_file import SQLiteFile, utc_text

ACTIVE = ("booked", "in_progress", "no_answer")

SCHEMA = """
CREATE TABLE IF NOT EXISTS callbacks (
    id INTEGER PRIMARY KEY,
    reference TEXT UNIQUE,
    municipality TEXT NOT NULL,
    topic TEXT,
    category TEXT,
    name TEXT NOT NULL,
    phone TEXT NOT NULL,
    slot TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'booked',
    conversation_id TEXT,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    assigned_to TEXT,
    attempts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS callbacks_slot ON callbacks (municipality, slot, status);
"""
# The journal. Every store that journals (callbacks, accounts, the inbox)
# creates it in its own setup, so an entry is written in the same
# transaction as the change it records.
JOURNAL_SCHEMA = """
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


# Columns added after the first release; databases created before get them here.
_LATER_COLUMNS = {
    "assigned_to": "ALTER TABLE callbacks ADD COLUMN assigned_to TEXT",
    "attempts": "ALTER TABLE callbacks ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0",
}


def _add_missing_columns(conn: sqlite3.Connection) -> None:
    present = {row["name"] for row in conn.execute("PRAGMA table_info(callbacks)")}
    for column, statement in _LATER_COLUMNS.items():
        if column not in present:
            conn.execute(statement)


class SlotFull(Exception):
    """The chosen slot has no free place left."""


class CallbackNotFound(LookupError):
    pass


@dataclass(frozen=True)
class Callback:
    reference: str
    municipality: str
    topic: Optional[str]
    category: Optional[str]
    name: str
    phone: str
    slot: dt.datetime
    status: str
    created: str
    version: int
    updated: str = ""
    conversation_id: Optional[str] = None
    assigned_to: Optional[str] = None
    attempts: int = 0

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> "Callback":
        return cls(
            reference=row["reference"],
            municipality=row["municipality"],
            topic=row["topic"],
            category=row["category"],
            name=row["name"],
            phone=row["phone"],
            slot=dt.datetime.fromisoformat(row["slot"]),
            status=row["status"],
            created=row["created"],
            version=row["version"],
            updated=row["updated"],
            conversation_id=row["conversation_id"],
            assigned_to=row["assigned_to"],
            attempts=row["attempts"],
        )


ACTIVE_SQL = "status IN ({})".format(", ".join(f"'{s}'" for s in ACTIVE))


def _count_active(conn: sqlite3.Connection, municipality: str, slot_iso: str) -> int:
    (count,) = conn.execute(
        f"SELECT count(*) FROM callbacks WHERE municipality = ? AND slot = ? AND {ACTIVE_SQL}",
        (municipality, slot_iso),
    ).fetchone()
    return count


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def storage_time(value: dt.datetime) -> str:
    """How a callback time is stored: UTC, ISO 8601, to the second."""
    return utc_text(value, "seconds")


def append_event(conn: sqlite3.Connection, reference: Optional[str], action: str, actor: str, **details) -> None:
    """Journal an action inside the caller's transaction, so the change and
    its journal entry are stored together or not at all."""
    conn.execute(
        "INSERT INTO events (at, reference, action, actor, details) VALUES (?, ?, ?, ?, ?)",
        (storage_time(_now()), reference, action, actor, json.dumps(details, ensure_ascii=False, sort_keys=True)),
    )


class CallbackStore(SQLiteFile):
    def __init__(self, path: Path, timeout: float = 15.0):
        super().__init__(path, timeout)

    def _setup(self, conn: sqlite3.Connection) -> None:
        conn.executescript(SCHEMA + JOURNAL_SCHEMA)
        _add_missing_columns(conn)

    def book(
        self,
        municipality: str,
        slot: dt.datetime,
        capacity: int,
        name: str,
        phone: str,
        topic: Optional[str] = None,
        category: Optional[str] = None,
        conversation_id: Optional[str] = None,
    ) -> Callback:
        slot_iso = storage_time(slot)
        now = storage_time(_now())
        with self._write() as conn:
            if _count_active(conn, municipality, slot_iso) >= capacity:
                raise SlotFull(slot_iso)
            cursor = conn.execute(
                "INSERT INTO callbacks (municipality, topic, category, name, phone, slot, status, conversation_id,"
                " created, updated) VALUES (?, ?, ?, ?, ?, ?, 'booked', ?, ?, ?)",
                (municipality, topic, category, name, phone, slot_iso, conversation_id, now, now),
            )
            reference = f"CB-{dt.date.today().year}-{cursor.lastrowid:06d}"
            conn.execute("UPDATE callbacks SET reference = ? WHERE id = ?", (reference, cursor.lastrowid))
            append_event(conn, reference, "booked", "citizen", municipality=municipality, topic=topic,
                         category=category, slot=slot_iso)
        return self.get(reference)

    def get(self, reference: str) -> Callback:
        with self._read() as conn:
            row = conn.execute("SELECT * FROM callbacks WHERE reference = ?", (reference.strip().upper(),)).fetchone()
        if row is None:
            raise CallbackNotFound(reference)
        return Callback.from_row(row)

    def cancel(self, reference: str, actor: str = "citizen", conversation_id: Optional[str] = None) -> Callback:
        """Cancel an active callback. A citizen may only cancel from the
        conversation that booked it, so a guessed reference is not enough."""
        reference = reference.strip().upper()
        with self._write() as conn:
            row = conn.execute("SELECT status, conversation_id FROM callbacks WHERE reference = ?", (reference,)).fetchone()
            if row is None or (actor == "citizen" and conversation_id is not None
                               and row["conversation_id"] not in (None, conversation_id)):
                raise CallbackNotFound(reference)
            if row["status"] in ACTIVE:
                conn.execute(
                    "UPDATE callbacks SET status = 'cancelled', updated = ?, version = version + 1 WHERE reference = ?",
                    (storage_time(_now()), reference),
                )
                append_event(conn, reference, "cancelled", actor)
        return self.get(reference)

    def booked_count(self, municipality: str, slot: dt.datetime) -> int:
        with self._read() as conn:
            return _count_active(conn, municipality, storage_time(slot))

    def booked_counts(self, municipality: str, since: dt.datetime) -> dict[str, int]:
        """Active bookings per slot (UTC ISO) from ``since`` on, in one query."""
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT slot, count(*) FROM callbacks WHERE municipality = ? AND slot >= ? AND {ACTIVE_SQL}"
                " GROUP BY slot",
                (municipality, storage_time(since)),
            ).fetchall()
        return {slot: count for slot, count in rows}

    def events(self, reference: Optional[str] = None) -> list[dict]:
        with self._read() as conn:
            if reference is None:
                rows = conn.execute("SELECT * FROM events ORDER BY id").fetchall()
            else:
                rows = conn.execute("SELECT * FROM events WHERE reference = ? ORDER BY id", (reference,)).fetchall()
        return [{**dict(r), "details": json.loads(r["details"])} for r in rows]

    def record(self, action: str, actor: str, reference: Optional[str] = None, **details) -> None:
        """Append a journal entry that belongs to no single booking step."""
        with self._write() as conn:
            append_event(conn, reference, action, actor, **details)

    def delete_closed_before(self, cutoff: dt.datetime, actor: str = "retention") -> int:
        """Delete closed callbacks (personal data) last updated before ``cutoff``."""
        with self._write() as conn:
            cursor = conn.execute(
                "DELETE FROM callbacks WHERE status IN ('completed', 'cancelled') AND updated < ?",
                (storage_time(cutoff),),
            )
            deleted = cursor.rowcount
            append_event(conn, None, "retention_callbacks", actor, deleted=deleted, cutoff=storage_time(cutoff))
        return deleted
