"""The one append-only journal (notatpligt): every booking, cancellation,
staff action, inbox decision and user change is a row in ``events``.

Each store appends inside its own transaction, so a change and its journal
entry are stored together or not at all. Triggers (created by the
migrations) refuse updates, deletes and, on SQLite, re-used ids (``INSERT
OR REPLACE`` would otherwise rewrite a row without firing the delete
trigger); on PostgreSQL also TRUNCATE, and the application role has only
SELECT and INSERT on the table. No code path can rewrite the journal. Entries never
repeat a citizen's name or phone number, so they may outlive the rows that
retention deletes.

Triggers do not stop someone with write access to the file, so each row
also carries ``hash``: sha256 over the previous row's hash and the row's
own content (id, at, reference, action, actor, details as stored). Editing,
removing or inserting a row breaks the chain from that row on, and
``verify`` finds the first broken row. Rows written before the chain
existed have no hash; they are linked into the chain as computed values,
so the first chained row (``journal_chain_started``, appended by the
migration) seals them as they were. Appends are serialised (SQLite's write
lock; an advisory lock on PostgreSQL), so the chain never forks. Removing rows at the end leaves an
intact but shorter chain: keep the head that ``verify`` reports elsewhere
and check it later with ``anchor``.

Because nothing written can be taken back, ``append`` bounds and redacts
every string it is given (reference, action, actor, every value and key in
the details, in lists and dicts too): CPR numbers are removed by the
privacy layer's redactor, and a value longer than its bound is cut with
"…" and its original length named under ``truncated``, so a cut value
never pretends to be whole. A login form cannot write 100 kB, or a CPR
number typed as a user name, into the journal for good.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection

from bot.privacy.redaction import redact, redact_message
from bot.records.database import BATCH_ROWS, Database, delete_in_batches, lock, storage_time, utc_now
from bot.records.schema import events

GENESIS = "0" * 64  # the "previous hash" of the first row
LOCK = "kommunebot-journal"

# The bound of every journaled string but free text: the longest real ones
# are user names (2-40 characters), municipality keys (40), intents and the
# NLU file an inbox message went to (under 100): 200 leaves room and keeps a
# row small whatever a form sends.
MAX_VALUE_CHARS = 200
# Free text a person wrote for the journal: a caseworker's note, at most
# bot.callbacks.casework.MAX_NOTE_CHARS (4,000) characters, kept whole.
MAX_TEXT_CHARS = 4000
TEXT_KEYS = frozenset({"text"})  # details that hold such free text
CUT = "…"  # ends a truncated value
TRUNCATED = "truncated"  # detail naming each cut value and its original length
# Redacted before the cut, a little beyond it, so a CPR number across the
# cut is seen whole (and redacting never runs over an unbounded string).
_LOOKAHEAD = 64


def _content(row) -> str:
    """The canonical text of a row: its stored values, never re-serialised."""
    row = row._mapping if hasattr(row, "_mapping") else row
    return json.dumps(
        [row["id"], row["at"], row["reference"], row["action"], row["actor"], row["details"]],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def _link(previous: str, row) -> str:
    return hashlib.sha256(f"{previous}\n{_content(row)}".encode()).hexdigest()


def _head(conn: Connection) -> tuple[int, str]:
    """The last row's id and hash. A row without a hash (legacy, or inserted
    by hand) gets its computed one, so the chain always links every row."""
    last = conn.execute(sa.select(events.c.id, events.c.hash).order_by(events.c.id.desc()).limit(1)).first()
    if last is None:
        return 0, GENESIS
    if last.hash is not None:
        return last.id, last.hash
    anchor = conn.execute(
        sa.select(events.c.id, events.c.hash).where(events.c.hash.isnot(None)).order_by(events.c.id.desc()).limit(1)
    ).first()
    start, previous = (anchor.id, anchor.hash) if anchor is not None else (0, GENESIS)
    for row in conn.execute(sa.select(events).where(events.c.id > start).order_by(events.c.id)):
        previous = _link(previous, row)
    return last.id, previous


def bounded(value: str, limit: int = MAX_VALUE_CHARS) -> tuple[str, int | None]:
    """``value`` without CPR numbers and at most ``limit`` characters, and
    its original length when it had to be cut (None when whole)."""
    text = redact(value[: limit + _LOOKAHEAD]).text
    if len(value) <= limit and len(text) <= limit:
        return text, None
    # The cut may leave the start of a number at the end (a birth date):
    # redact_message removes a trailing date too.
    return redact_message(text[: limit - len(CUT)]).text[: limit - len(CUT)] + CUT, len(value)


def _bound(value, path: str, limit: int, cut: dict[str, int]):
    if isinstance(value, str):
        text, length = bounded(value, limit)
        if length is not None:
            cut[path] = length
        return text
    if isinstance(value, dict):
        keys = {key: bounded(str(key))[0] for key in value}
        return {keys[key]: _bound(item, f"{path}.{keys[key]}", limit, cut) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_bound(item, f"{path}.{n}", limit, cut) for n, item in enumerate(value)]
    return value


def _bounded_details(details: dict, cut: dict[str, int]) -> dict:
    if TRUNCATED in details:
        raise ValueError(f"journal detail {TRUNCATED!r} is reserved for cut values")
    return {
        bounded(key)[0]: _bound(value, key, MAX_TEXT_CHARS if key in TEXT_KEYS else MAX_VALUE_CHARS, cut)
        for key, value in details.items()
    }


def append(conn: Connection, reference: str | None, action: str, actor: str, **details) -> None:
    """Journal an action inside the caller's write transaction, every
    string bounded and redacted (see the module's docstring).

    Reading the head and inserting after it must not interleave with
    another append: on SQLite the caller's ``BEGIN IMMEDIATE`` holds the one
    write lock; on PostgreSQL an advisory lock is taken here, held until the
    caller's transaction ends."""
    if not conn.in_transaction():
        raise RuntimeError("journal.append must run inside the caller's write transaction")
    cut: dict[str, int] = {}
    reference = _bound(reference, "reference", MAX_VALUE_CHARS, cut)
    action = _bound(action, "action", MAX_VALUE_CHARS, cut)
    actor = _bound(actor, "actor", MAX_VALUE_CHARS, cut)
    details = _bounded_details(details, cut)
    if cut:
        details[TRUNCATED] = cut
    lock(conn, LOCK)
    last_id, previous = _head(conn)
    row = {
        "id": last_id + 1,
        "at": storage_time(utc_now()),
        "reference": reference,
        "action": action,
        "actor": actor,
        "details": json.dumps(details, ensure_ascii=False, sort_keys=True),
    }
    conn.execute(events.insert().values(**row, hash=_link(previous, row)))


def read(conn: Connection, reference: str | None = None) -> list[dict]:
    """Entries in the order they were written, all or one callback's."""
    query = sa.select(events).order_by(events.c.id)
    if reference is not None:
        query = query.where(events.c.reference == reference)
    return [{**r._mapping, "details": json.loads(r.details)} for r in conn.execute(query)]


def delete_journaled(
    write: Callable[[], AbstractContextManager[Connection]],
    table: sa.Table,
    where: sa.sql.ColumnElement,
    cutoff: dt.datetime,
    municipality: str | None,
    action: str,
    actor: str,
    batch: int = BATCH_ROWS,
) -> int:
    """Retention's deletes: the rows of ``table`` matching ``where``, all or
    one municipality's, in transactions of at most ``batch`` rows, each with
    its journal entry (count, cutoff, municipality); one entry with
    ``deleted=0`` when nothing matched."""
    if municipality is not None:
        where = sa.and_(where, table.c.municipality == municipality)
    limit = storage_time(cutoff)
    chosen = sa.select(table.c.id).where(where).limit(batch).scalar_subquery()
    statement = table.delete().where(table.c.id.in_(chosen))

    def step(first: bool) -> int:
        with write() as conn:
            deleted = conn.execute(statement).rowcount
            if deleted or first:
                append(conn, None, action, actor, deleted=deleted, cutoff=limit, municipality=municipality)
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


def verify(conn: Connection, anchor: tuple[int, str] | None = None) -> Verification:
    """Recompute the chain; stop at the first row that does not fit.
    ``anchor`` (id, hash), a head reported earlier, must still be in it."""
    inspector = sa.inspect(conn)
    if not inspector.has_table("events"):
        raise LookupError("the database has no journal (table events)")
    chained = "hash" in {column["name"] for column in inspector.get_columns("events")}
    entries = legacy = 0
    previous, last_id, started = GENESIS, None, False
    anchor_seen = anchor is None

    def broken(row_id: int, problem: str) -> Verification:
        return Verification(entries, legacy, (last_id, previous) if last_id else None, row_id, problem)

    for row in conn.execute(sa.text("SELECT * FROM events ORDER BY id")):
        row_id, stored = row.id, row.hash if chained else None
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


def verify_database(target: Path | str | URL, anchor: tuple[int, str] | None = None) -> Verification:
    """Verify the journal of an existing database (a SQLite file, read-only,
    or a URL) on one consistent snapshot while the servers keep appending."""
    db = Database(target, timeout=15.0, readonly=True)
    if db.sqlite and not db.path.is_file():
        raise FileNotFoundError(f"{db.path}: no such database")
    try:
        with db.snapshot() as conn:
            return verify(conn, anchor)
    finally:
        db.dispose()


verify_file = verify_database
