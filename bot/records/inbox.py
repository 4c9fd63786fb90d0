"""Messages the assistant did not understand, kept for editors to review.

A message that ended in fallback or out_of_scope is stored (already
CPR-redacted by the channel) with what the model guessed. In the staff
console an editor assigns it to an intent, which appends it to that
intent's training file, or dismisses it. Each decision is journaled; the
journal holds the decision, never the message text.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass

from bot.errors import Refused
from bot.records import journal
from bot.records.database import SQLiteFile, from_row, storage_time, utc_now

SCHEMA = """
CREATE TABLE IF NOT EXISTS inbox (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    municipality TEXT NOT NULL,
    text TEXT NOT NULL,
    outcome TEXT NOT NULL,
    predicted TEXT,
    confidence REAL,
    status TEXT NOT NULL DEFAULT 'new',
    intent TEXT,
    decided_by TEXT,
    decided_at TEXT
);
CREATE INDEX IF NOT EXISTS inbox_status ON inbox (status, at);
"""
MAX_TEXT = 500  # longer messages are rarely useful training examples


class InboxError(Refused):
    """Reasons: not_found, already_decided."""


@dataclass(frozen=True)
class InboxMessage:
    id: int
    at: str
    municipality: str
    text: str
    outcome: str
    predicted: str | None
    confidence: float | None
    status: str
    intent: str | None


def _now() -> str:
    return storage_time(utc_now())


class Inbox(SQLiteFile):
    def _setup(self, conn: sqlite3.Connection) -> None:
        conn.executescript(SCHEMA)
        journal.setup(conn)

    def add(
        self, municipality: str, text: str, outcome: str, predicted: str | None = None, confidence: float | None = None
    ) -> int | None:
        text = " ".join((text or "").split())
        if not text or text.startswith("/") or len(text) > MAX_TEXT:
            return None  # empty, a button payload, or an essay
        with self._write() as conn:
            return conn.execute(
                "INSERT INTO inbox (at, municipality, text, outcome, predicted, confidence) VALUES (?, ?, ?, ?, ?, ?)",
                (_now(), municipality, text, outcome, predicted, confidence),
            ).lastrowid

    def list(self, status: str = "new", limit: int = 200) -> list[InboxMessage]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT * FROM inbox WHERE status = ? ORDER BY at DESC, id DESC LIMIT ?", (status, limit)
            ).fetchall()
        return [_message(row) for row in rows]

    def get(self, message_id: int) -> InboxMessage:
        with self._read() as conn:
            row = conn.execute("SELECT * FROM inbox WHERE id = ?", (message_id,)).fetchone()
        if row is None:
            raise InboxError("not_found")
        return _message(row)

    def decide(self, message_id: int, status: str, actor: str, intent: str | None = None, **details) -> None:
        """Mark a new message assigned or dismissed, once; journaled."""
        with self._write() as conn:
            row = conn.execute("SELECT status FROM inbox WHERE id = ?", (message_id,)).fetchone()
            if row is None:
                raise InboxError("not_found")
            if row["status"] != "new":
                raise InboxError("already_decided")
            conn.execute(
                "UPDATE inbox SET status = ?, intent = ?, decided_by = ?, decided_at = ? WHERE id = ?",
                (status, intent, actor, _now(), message_id),
            )
            journal.append(conn, None, f"inbox_{status}", actor, inbox_id=message_id, intent=intent, **details)

    def municipalities(self) -> list[str]:
        with self._read() as conn:
            return [row[0] for row in conn.execute("SELECT DISTINCT municipality FROM inbox ORDER BY 1")]

    def delete_before(self, cutoff: dt.datetime, municipality: str | None = None, actor: str = "retention") -> int:
        """Delete messages received before ``cutoff``, all or one
        municipality's, in small journaled batches (counts, never texts)."""
        return journal.delete_journaled(
            self._write, "inbox", "at < :cutoff", cutoff, municipality, "retention_inbox", actor
        )


def _message(row: sqlite3.Row) -> InboxMessage:
    return from_row(InboxMessage, row)
