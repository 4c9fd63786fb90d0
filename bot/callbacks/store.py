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
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from bot.records import journal
from bot.records.database import SQLiteFile, from_row, storage_time, utc_now

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


class TooManyBookings(Exception):
    """The phone number or the conversation already has the allowed number
    of active bookings; ``args[0]`` says which ("phone" or "conversation")."""


class CallbackNotFound(LookupError):
    pass


@dataclass(frozen=True)
class Callback:
    reference: str
    municipality: str
    topic: str | None
    category: str | None
    name: str
    phone: str
    slot: dt.datetime
    status: str
    created: str
    version: int
    updated: str = ""
    conversation_id: str | None = None
    assigned_to: str | None = None
    attempts: int = 0

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Callback:
        return from_row(cls, row, slot=dt.datetime.fromisoformat)


ACTIVE_SQL = "status IN ({})".format(", ".join(f"'{s}'" for s in ACTIVE))


def _count_active(conn: sqlite3.Connection, municipality: str, slot_iso: str) -> int:
    (count,) = conn.execute(
        f"SELECT count(*) FROM callbacks WHERE municipality = ? AND slot = ? AND {ACTIVE_SQL}",
        (municipality, slot_iso),
    ).fetchone()
    return count


class CallbackStore(SQLiteFile):
    def __init__(self, path: Path, timeout: float = 15.0):
        super().__init__(path, timeout)

    def _setup(self, conn: sqlite3.Connection) -> None:
        conn.executescript(SCHEMA)
        _add_missing_columns(conn)
        journal.setup(conn)

    def book(
        self,
        municipality: str,
        slot: dt.datetime,
        capacity: int,
        name: str,
        phone: str,
        topic: str | None = None,
        category: str | None = None,
        conversation_id: str | None = None,
        max_active: int | None = None,
    ) -> Callback:
        """Book a place in ``slot``. A retry from the same conversation for
        the same slot (after a crash before the confirmation) returns the
        booking it already has; ``max_active`` caps the active bookings per
        phone number and per conversation, so a script cannot book up the
        whole capacity. All checks and the insert are one transaction."""
        slot_iso = storage_time(slot)
        now = storage_time(utc_now())
        with self._write() as conn:
            if conversation_id is not None:
                existing = conn.execute(
                    f"SELECT * FROM callbacks WHERE conversation_id = ? AND slot = ? AND municipality = ?"
                    f" AND {ACTIVE_SQL}",
                    (conversation_id, slot_iso, municipality),
                ).fetchone()
                if existing is not None:
                    return Callback.from_row(existing)
            if max_active is not None:
                (by_phone,) = conn.execute(
                    f"SELECT count(*) FROM callbacks WHERE replace(phone, ' ', '') = ? AND {ACTIVE_SQL}",
                    (phone.replace(" ", ""),),
                ).fetchone()
                if by_phone >= max_active:
                    raise TooManyBookings("phone")
                if conversation_id is not None:
                    (by_conversation,) = conn.execute(
                        f"SELECT count(*) FROM callbacks WHERE conversation_id = ? AND {ACTIVE_SQL}",
                        (conversation_id,),
                    ).fetchone()
                    if by_conversation >= max_active:
                        raise TooManyBookings("conversation")
            if _count_active(conn, municipality, slot_iso) >= capacity:
                raise SlotFull(slot_iso)
            cursor = conn.execute(
                "INSERT INTO callbacks (municipality, topic, category, name, phone, slot, status, conversation_id,"
                " created, updated) VALUES (?, ?, ?, ?, ?, ?, 'booked', ?, ?, ?)",
                (municipality, topic, category, name, phone, slot_iso, conversation_id, now, now),
            )
            reference = f"CB-{dt.date.today().year}-{cursor.lastrowid:06d}"
            conn.execute("UPDATE callbacks SET reference = ? WHERE id = ?", (reference, cursor.lastrowid))
            journal.append(
                conn,
                reference,
                "booked",
                "citizen",
                municipality=municipality,
                topic=topic,
                category=category,
                slot=slot_iso,
            )
        return self.get(reference)

    def get(self, reference: str) -> Callback:
        with self._read() as conn:
            row = conn.execute("SELECT * FROM callbacks WHERE reference = ?", (reference.strip().upper(),)).fetchone()
        if row is None:
            raise CallbackNotFound(reference)
        return Callback.from_row(row)

    def cancel(self, reference: str, actor: str = "citizen", conversation_id: str | None = None) -> Callback:
        """Cancel an active callback. A citizen may only cancel from the
        conversation that booked it, so a guessed reference is not enough."""
        reference = reference.strip().upper()
        with self._write() as conn:
            row = conn.execute(
                "SELECT status, conversation_id FROM callbacks WHERE reference = ?", (reference,)
            ).fetchone()
            if row is None or (
                actor == "citizen"
                and conversation_id is not None
                and row["conversation_id"] not in (None, conversation_id)
            ):
                raise CallbackNotFound(reference)
            if row["status"] in ACTIVE:
                conn.execute(
                    "UPDATE callbacks SET status = 'cancelled', updated = ?, version = version + 1 WHERE reference = ?",
                    (storage_time(utc_now()), reference),
                )
                journal.append(conn, reference, "cancelled", actor)
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

    def events(self, reference: str | None = None) -> list[dict]:
        with self._read() as conn:
            return journal.read(conn, reference)

    def record(self, action: str, actor: str, reference: str | None = None, **details) -> None:
        """Append a journal entry that belongs to no single booking step."""
        with self._write() as conn:
            journal.append(conn, reference, action, actor, **details)

    def municipalities(self) -> list[str]:
        """Every municipality with callback rows, for per-municipality retention."""
        with self._read() as conn:
            return [row[0] for row in conn.execute("SELECT DISTINCT municipality FROM callbacks ORDER BY 1")]

    def delete_expired(self, cutoff: dt.datetime, municipality: str | None = None, actor: str = "retention") -> int:
        """Delete callbacks (personal data) past retention, all or one
        municipality's, in small journaled batches: every callback whose slot
        is before ``cutoff``, whatever its status, and closed ones also when
        they were closed before it. Citizens are told the data is kept until
        the call is over and at most the period after; taking whichever of
        slot and closing comes first never keeps it longer."""
        where = f"slot < :cutoff OR (NOT {ACTIVE_SQL} AND updated < :cutoff)"
        return journal.delete_journaled(
            self._write, "callbacks", where, cutoff, municipality, "retention_callbacks", actor
        )
