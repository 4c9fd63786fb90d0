"""The journal you can prove: append-only triggers (re-used ids too), the
hash chain, its migration, and `kommunebot journal verify` against someone
with write access to the file."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading

import pytest
from click.testing import CliRunner

from bot.callbacks import casework
from bot.callbacks.store import CallbackStore
from bot.cli import main as cli
from bot.console.sessions import Sessions
from bot.records import journal
from bot.records.journal import verify_file

# The journal as the first release created it: no hash column.
LEGACY_SCHEMA = """
CREATE TABLE events (
    id INTEGER PRIMARY KEY, at TEXT NOT NULL, reference TEXT, action TEXT NOT NULL,
    actor TEXT NOT NULL, details TEXT NOT NULL DEFAULT '{}'
);
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
"""


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "kommunebot.db"
    store = CallbackStore(path)
    for n in range(6):
        store.record("viewed", f"anna{n}", reference=f"CB-2026-{n:06d}", n=n)
    return path


def attacker(path, *statements, params=()):
    """Someone with write access to the file: drops the triggers, changes
    rows and puts the triggers back, so nothing looks different."""
    conn = sqlite3.connect(path, isolation_level=None)
    triggers = [row[0] for row in conn.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger'")]
    for name in ("events_no_update", "events_no_delete", "events_no_reuse"):
        conn.execute(f"DROP TRIGGER IF EXISTS {name}")
    for statement in statements:
        conn.execute(statement, params)
    for sql in triggers:
        conn.execute(sql)
    conn.close()


def verify(path, *args):
    return CliRunner().invoke(cli, ["journal", "verify", "--db", str(path), *args])


def test_every_entry_is_chained_and_verifies(db):
    rows = sqlite3.connect(db).execute("SELECT id, hash FROM events ORDER BY id").fetchall()
    assert [r[0] for r in rows] == [1, 2, 3, 4, 5, 6] and all(len(r[1]) == 64 for r in rows)
    assert len({r[1] for r in rows}) == 6
    result = verify_file(db)
    assert result.intact and result.entries == 6 and result.legacy == 0 and result.head == rows[-1]
    out = verify(db)
    assert out.exit_code == 0, out.output
    assert out.output.startswith("6 entries, chain intact\n") and f"head 6:{rows[-1][1]}" in out.output


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT OR REPLACE INTO events (id, at, action, actor) VALUES (2, 'x', 'forged', 'x')",
        "REPLACE INTO events (id, at, action, actor) VALUES (2, 'x', 'forged', 'x')",
        "INSERT INTO events (id, at, action, actor) VALUES (2, 'x', 'forged', 'x')",
        "INSERT INTO events (id, at, action, actor) VALUES (2, 'x', 'forged', 'x')"
        " ON CONFLICT (id) DO UPDATE SET action = 'forged'",
    ],
)
def test_a_used_id_cannot_be_written_again(db, statement):
    conn = sqlite3.connect(db)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute(statement)
    conn.close()
    assert [e["action"] for e in CallbackStore(db).events()][1] == "viewed"
    assert verify_file(db).intact


def test_an_entry_edited_behind_the_triggers_back_is_found(db):
    attacker(db, "UPDATE events SET actor = 'someone else' WHERE id = 3")
    result = verify_file(db)
    assert result.broken == 3 and result.entries == 2 and "hash differs" in result.problem
    out = verify(db)
    assert out.exit_code == 1 and "journal broken at entry 3: hash differs" in out.output


def test_an_entry_edited_with_its_hash_recomputed_breaks_the_next_one(db):
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    before = conn.execute("SELECT hash FROM events WHERE id = 2").fetchone()[0]
    row = dict(conn.execute("SELECT * FROM events WHERE id = 3").fetchone(), actor="someone else")
    conn.close()
    attacker(
        db, "UPDATE events SET actor = ?, hash = ? WHERE id = 3", params=(row["actor"], journal._link(before, row))
    )
    result = verify_file(db)
    assert result.broken == 4 and "hash differs" in result.problem


def test_an_entry_deleted_in_the_middle_is_found(db):
    attacker(db, "DELETE FROM events WHERE id = 4")
    result = verify_file(db)
    assert result.broken == 5 and "entry 4 missing" in result.problem
    assert verify(db).exit_code == 1


@pytest.mark.parametrize(
    "statement",
    [
        # What an old or foreign writer would do: no hash at all.
        "INSERT INTO events (at, action, actor, details) VALUES ('2026-12-01T10:00:00+00:00', 'note', 'x', '{}')",
        # A plausible-looking hash: the previous entry's.
        "INSERT INTO events (at, action, actor, details, hash) SELECT '2026-12-01T10:00:00+00:00', 'note', 'x',"
        " '{}', hash FROM events WHERE id = 6",
    ],
)
def test_a_forged_entry_appended_is_found(db, statement):
    attacker(db, statement)
    result = verify_file(db)
    assert result.broken == 7 and result.entries == 6
    out = verify(db)
    assert out.exit_code == 1 and "entry 7" in out.output


def test_entries_removed_at_the_end_are_found_with_an_anchor(db):
    head = verify_file(db).head
    anchor = f"{head[0]}:{head[1]}"
    assert verify(db, "--anchor", anchor).exit_code == 0
    attacker(db, "DELETE FROM events WHERE id >= 5")
    assert verify(db).exit_code == 0  # a shorter chain is still a chain
    out = verify(db, "--anchor", anchor)
    assert out.exit_code == 1 and "entry 6 is gone" in out.output
    assert verify(db, "--anchor", "6:nothex").exit_code == 2


def test_verify_needs_an_existing_database(tmp_path):
    out = verify(tmp_path / "missing.db")
    assert out.exit_code == 2 and "missing.db" in out.output
    assert not (tmp_path / "missing.db").exists()  # never created by looking


def legacy_journal(path, rows):
    """A database written by the first release: events without hashes."""
    conn = sqlite3.connect(path)
    conn.executescript(LEGACY_SCHEMA)
    conn.executemany("INSERT INTO events (at, reference, action, actor, details) VALUES (?, ?, ?, ?, ?)", rows)
    conn.commit()
    conn.close()
    return path


LOGIN = [("2025-01-01T10:00:00+00:00", None, "login", "anna", "{}")]


def test_an_old_journal_is_migrated_and_its_rows_sealed(tmp_path):
    path = legacy_journal(
        tmp_path / "kommunebot.db",
        [(f"2025-01-0{n}T10:00:00+00:00", "CB-2025-000001", "note", "anna", '{"text": "ok"}') for n in range(1, 4)],
    )
    out = verify(path)  # not migrated yet: reported, not broken
    assert out.exit_code == 0 and "3 entries, chain intact" in out.output and "unchained legacy" in out.output

    store = CallbackStore(path)
    store.record("viewed", "bo", reference="CB-2025-000001")
    events = store.events()
    assert [(e["action"], e["hash"] is None) for e in events] == [
        ("note", True),
        ("note", True),
        ("note", True),
        ("journal_chain_started", False),
        ("viewed", False),
    ]
    assert events[3]["details"] == {"legacy_rows": 3}
    result = verify_file(path)
    assert result.intact and result.entries == 5 and result.legacy == 3
    out = verify(path)
    assert out.exit_code == 0 and "3 unchained legacy rows" in out.output

    # The legacy rows have no hash of their own, but the seal covers them.
    attacker(path, 'UPDATE events SET details = \'{"text": "changed"}\' WHERE id = 2')
    assert verify_file(path).broken == 4


def test_a_store_that_never_journals_still_migrates_the_journal(tmp_path):
    path = legacy_journal(tmp_path / "kommunebot.db", LOGIN)
    Sessions(path)  # the first to open the old file, with no journal entry of its own
    actions = [e["action"] for e in CallbackStore(path).events()]
    assert actions == ["login", "journal_chain_started"]
    assert verify_file(path).intact


def test_processes_starting_at_once_migrate_once(tmp_path):
    path = legacy_journal(tmp_path / "kommunebot.db", LOGIN)
    barrier, errors = threading.Barrier(8), []

    def start():
        barrier.wait()
        try:
            CallbackStore(path)
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert [e["action"] for e in CallbackStore(path).events()] == ["login", "journal_chain_started"]


def _append_many(path, worker, count):
    store = CallbackStore(path)
    for n in range(count):
        store.record("viewed", f"worker{worker}", n=n)


def test_appends_from_many_processes_never_fork_the_chain(db):
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_append_many, args=(db, w, 25)) for w in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
    assert all(w.exitcode == 0 for w in workers)
    result = verify_file(db)
    assert result.intact and result.entries == 6 + 4 * 25


def test_append_refuses_to_run_outside_a_write_transaction(tmp_path):
    store = CallbackStore(tmp_path / "k.db")
    with store.db.connect() as conn, pytest.raises(RuntimeError, match="write transaction"):
        journal.append(conn, None, "viewed", "anna")
    assert store.events() == []


# --- bounded, redacted values (issue 22) ----------------------------------

CPR_FORMS = (
    "010203-1234",
    "01.02.03-1234",
    "0102031234",
    "0102 03 1234",  # DDMM YY SSSS: any grouping of the ten digits
    "01 0203 12 34",
)


def _last(db) -> dict:
    return CallbackStore(db).events()[-1]


def test_a_huge_value_is_cut_marked_and_its_length_kept(db):
    huge = "a" * 100_000
    CallbackStore(db).record("login_refused", huge, reference=huge, user=huge, reason="bad_credentials")
    row = _last(db)
    for value in (row["actor"], row["reference"], row["details"]["user"]):
        assert len(value) == journal.MAX_VALUE_CHARS and value.endswith(journal.CUT)
    assert row["details"]["reason"] == "bad_credentials"
    assert row["details"][journal.TRUNCATED] == {"actor": 100_000, "reference": 100_000, "user": 100_000}
    (size,) = (
        sqlite3.connect(db)
        .execute("SELECT length(details) + length(actor) + length(reference) FROM events ORDER BY id DESC LIMIT 1")
        .fetchone()
    )
    assert size < 1_000  # as stored: not 300 kB
    assert verify_file(db).intact


@pytest.mark.parametrize("cpr", CPR_FORMS)
def test_cpr_numbers_never_reach_the_journal_wherever_they_are(db, cpr):
    CallbackStore(db).record(
        "login_refused", cpr, reference=f"ref {cpr}", user=cpr, nested={"list": [f"x {cpr}", 3, None], cpr: cpr}
    )
    stored = sqlite3.connect(db).execute("SELECT reference, actor, details FROM events ORDER BY id DESC").fetchone()
    text = " ".join(stored)
    assert "1234" not in text and "010203" not in text and "0102 03" not in text
    assert "CPR-nummer fjernet" in _last(db)["actor"]
    assert _last(db)["details"]["nested"]["list"][1:] == [3, None]


def test_a_cpr_number_across_the_cut_is_not_left_half(db):
    store = CallbackStore(db)
    for pad in range(journal.MAX_VALUE_CHARS - 12, journal.MAX_VALUE_CHARS + 2):
        store.record("login_refused", "x" * pad + "010203-1234 and more text after it")
        actor = _last(db)["actor"]
        assert "010203" not in actor and "0102" not in actor.replace("x", "")[:4], pad


def test_a_note_is_kept_whole_up_to_the_note_limit_and_cut_beyond(db):
    assert casework.MAX_NOTE_CHARS <= journal.MAX_TEXT_CHARS  # a note the console accepts is never cut
    store = CallbackStore(db)
    note = "Ringede op; borgeren bad om en ny tid. " * 200
    note = note[: journal.MAX_TEXT_CHARS]
    store.record("note", "anna", reference="CB-2026-000001", text=note)
    assert _last(db)["details"] == {"text": note}
    store.record("note", "anna", reference="CB-2026-000001", text=note + "!")
    cut = _last(db)["details"]
    assert len(cut["text"]) == journal.MAX_TEXT_CHARS and cut["text"].endswith(journal.CUT)
    assert cut[journal.TRUNCATED] == {"text": journal.MAX_TEXT_CHARS + 1}


def test_identifiers_and_times_pass_unchanged(db):
    # References end in six digits and slots are ISO times: neither may look like a CPR number to the journal.
    store = CallbackStore(db)
    slot = "2026-01-02T09:00:00+00:00"
    store.record("booked", "citizen", reference="CB-2026-010203", slot=slot, municipality="nyborg", topic="pas")
    row = _last(db)
    assert row["reference"] == "CB-2026-010203"
    assert row["details"] == {"slot": slot, "municipality": "nyborg", "topic": "pas"}
    assert [e["action"] for e in store.events("CB-2026-010203")] == ["booked"]


def test_the_truncation_detail_is_reserved(db):
    with pytest.raises(ValueError, match="reserved"):
        CallbackStore(db).record("viewed", "anna", truncated={"actor": 1})
