"""Callback booking: phone validation, slot availability, atomic capacity, journal."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading

import pytest

from bot.callbacks.hours import CallbackHours, danish_slot_label, parse_window
from bot.callbacks.phone import parse_danish_phone
from bot.callbacks.store import CallbackNotFound, CallbackStore, SlotFull

HOURS = CallbackHours(
    windows={
        "mon": (parse_window("09:00-10:00"),),
        "tue": (parse_window("09:00-10:00"),),
        "thu": (parse_window("13:00-14:00"),),
    },
    slot_minutes=30,
    capacity=2,
    min_notice_minutes=120,
    days_ahead=14,
    closed_dates=frozenset({dt.date(2026, 12, 24)}),
)
TZ = HOURS.tz


@pytest.mark.parametrize(
    "text,e164",
    [
        ("20 30 40 50", "+4520304050"),
        ("+45 20 30 40 50", "+4520304050"),
        ("0045 2030 4050", "+4520304050"),
        ("+4520304050", "+4520304050"),
    ],
)
def test_danish_phone_numbers_accepted(text, e164):
    assert parse_danish_phone(text).e164 == e164
    assert parse_danish_phone(text).display == "+45 20 30 40 50"


@pytest.mark.parametrize("text", ["", "1234", "abc", "12 34 56 78 90 12", "+46 70 123 45 67", "112", None])
def test_invalid_phone_numbers_refused(text):
    assert parse_danish_phone(text) is None


def test_slots_skip_past_short_notice_holidays_and_closed_days():
    # Friday 3 April 2026 is Good Friday; Monday 6 April is Easter Monday.
    now = dt.datetime(2026, 4, 2, 8, 0, tzinfo=TZ)  # Maundy Thursday, a holiday too
    slots = HOURS.free_slots(now, booked=lambda s: 0, count=2)
    assert slots == [dt.datetime(2026, 4, 7, 9, 0, tzinfo=TZ), dt.datetime(2026, 4, 7, 9, 30, tzinfo=TZ)]
    # Too little notice: at 08:00 on a Monday the 09:00 and 09:30 slots are too soon.
    monday = dt.datetime(2026, 11, 23, 8, 0, tzinfo=TZ)
    assert HOURS.free_slots(monday, lambda s: 0, 1) == [dt.datetime(2026, 11, 24, 9, 0, tzinfo=TZ)]
    # A configured closed date (24 December) is skipped.
    before_xmas = dt.datetime(2026, 12, 24, 7, 0, tzinfo=TZ)
    assert all(s.date() != dt.date(2026, 12, 24) for s in HOURS.free_slots(before_xmas, lambda s: 0, 5))


def test_full_slots_are_skipped_and_more_times_follow():
    now = dt.datetime(2026, 11, 23, 6, 0, tzinfo=TZ)
    first = dt.datetime(2026, 11, 23, 9, 0, tzinfo=TZ)
    slots = HOURS.free_slots(now, booked=lambda s: 2 if s == first else 0, count=2)
    assert first not in slots and slots[0] == dt.datetime(2026, 11, 23, 9, 30, tzinfo=TZ)
    more = HOURS.free_slots(now, booked=lambda s: 0, count=2, after=slots[-1])
    assert more[0] > slots[-1]
    assert danish_slot_label(slots[0]) == "mandag 23. november kl. 09.30"


def test_book_cancel_and_journal(tmp_path):
    store = CallbackStore(tmp_path / "kommunebot.db")
    slot = dt.datetime(2026, 11, 24, 9, 0, tzinfo=TZ)
    booking = store.book(
        "nyborg", slot, 2, "Karen Hansen", "+4520304050", topic="sygemelding", category="own_case", conversation_id="c1"
    )
    assert booking.reference.startswith(f"CB-{dt.date.today().year}-") and len(booking.reference) == 14
    assert booking.status == "booked" and booking.slot == slot
    with pytest.raises(CallbackNotFound):  # another conversation cannot cancel it
        store.cancel(booking.reference, conversation_id="someone-else")
    cancelled = store.cancel(booking.reference.lower(), conversation_id="c1")
    assert cancelled.status == "cancelled" and cancelled.version == 2
    actions = [e["action"] for e in store.events(booking.reference)]
    assert actions == ["booked", "cancelled"]
    # The journal never holds the name or phone number.
    assert "Karen" not in str(store.events()) and "2030" not in str(store.events())
    with pytest.raises(CallbackNotFound):
        store.cancel("CB-2026-999999")


def test_journal_is_append_only(tmp_path):
    store = CallbackStore(tmp_path / "k.db")
    store.book("nyborg", dt.datetime(2026, 11, 24, 9, 0, tzinfo=TZ), 1, "A", "+4520304050")
    conn = sqlite3.connect(tmp_path / "k.db")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE events SET actor = 'x'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM events")


def test_last_place_goes_to_exactly_one_of_many(tmp_path):
    store = CallbackStore(tmp_path / "k.db")
    slot = dt.datetime(2026, 11, 24, 9, 0, tzinfo=TZ)
    store.book("nyborg", slot, 2, "First", "+4520304050")  # one of two places left
    barrier = threading.Barrier(12)
    results = []

    def attempt(n):
        other = CallbackStore(tmp_path / "k.db")  # own connections, like separate requests
        barrier.wait()
        try:
            results.append(other.book("nyborg", slot, 2, f"Citizen {n}", "+4520304050").reference)
        except SlotFull:
            results.append("full")

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("full") == 11 and len(results) == 12
    assert store.booked_count("nyborg", slot) == 2


DAY = dt.timedelta(days=1)


def _at(conn_path, reference, **values):
    """Move a booking in time or status behind the store's back (the callbacks
    table has no triggers), as if it had been made or changed days ago."""
    with sqlite3.connect(conn_path) as conn:
        assignments = ", ".join(f"{k} = ?" for k in values)
        conn.execute(f"UPDATE callbacks SET {assignments} WHERE reference = ?", [*values.values(), reference])
    conn.close()


def test_retention_deletes_closed_personal_data_but_keeps_the_journal(tmp_path):
    store = CallbackStore(tmp_path / "k.db")
    slot = dt.datetime.now(TZ).replace(microsecond=0) + 2 * DAY
    done = store.book("nyborg", slot, 5, "Old", "+4520304050", conversation_id="c")
    store.cancel(done.reference, conversation_id="c")
    active = store.book("nyborg", slot, 5, "Active", "+4520304050")
    deleted = store.delete_expired(dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=5))
    assert deleted == 1
    with pytest.raises(CallbackNotFound):
        store.get(done.reference)
    assert store.get(active.reference).status == "booked"
    assert [e["action"] for e in store.events(done.reference)] == ["booked", "cancelled"]
    assert store.events()[-1]["action"] == "retention_callbacks"


def test_retention_deletes_callbacks_in_every_status_once_slot_or_closing_is_past_the_period(tmp_path):
    """Citizens are told: kept until the call is over, deleted at most the
    period after. Whichever of slot and closing comes first counts."""
    from bot.records.database import storage_time

    path = tmp_path / "k.db"
    store = CallbackStore(path)
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    refs = {}
    for name, slot, status, updated in [
        ("booked_long_ago", now - 40 * DAY, "booked", now - 45 * DAY),
        ("in_progress_long_ago", now - 40 * DAY, "in_progress", now - 39 * DAY),
        ("no_answer_long_ago", now - 31 * DAY, "no_answer", now - 2 * DAY),
        ("completed_late", now - 40 * DAY, "completed", now - DAY),  # closed recently, slot long ago
        ("cancelled_early", now + 20 * DAY, "cancelled", now - 31 * DAY),  # slot never came
        ("booked_recently", now - 10 * DAY, "booked", now - 12 * DAY),
        ("completed_recently", now - 29 * DAY, "completed", now - 28 * DAY),
        ("upcoming", now + 3 * DAY, "booked", now - 50 * DAY),
    ]:
        refs[name] = store.book("nyborg", now + DAY, 50, name, "+4520304050").reference
        _at(path, refs[name], slot=storage_time(slot), status=status, updated=storage_time(updated))
    deleted = store.delete_expired(now - 30 * DAY, municipality="nyborg")
    kept = {name for name, ref in refs.items() if _exists(store, ref)}
    assert kept == {"booked_recently", "completed_recently", "upcoming"} and deleted == 5
    (entry,) = [e for e in store.events() if e["action"] == "retention_callbacks"]
    assert entry["details"] == {"deleted": 5, "cutoff": storage_time(now - 30 * DAY), "municipality": "nyborg"}


def _exists(store, reference):
    try:
        store.get(reference)
    except CallbackNotFound:
        return False
    return True


def test_retention_deletes_in_small_journaled_batches(tmp_path):
    from bot.records.database import storage_time
    from bot.records.inbox import Inbox
    from bot.records.journal import verify_file

    path = tmp_path / "k.db"
    store, inbox = CallbackStore(path), Inbox(path)
    old = storage_time(dt.datetime.now(dt.timezone.utc) - 100 * DAY)
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO callbacks (reference, municipality, name, phone, slot, status, created, updated)"
            " VALUES (?, 'nyborg', 'Karen', '+4520304050', ?, 'booked', ?, ?)",
            [(f"CB-OLD-{n:06d}", old, old, old) for n in range(450)],
        )
        conn.executemany(
            "INSERT INTO inbox (at, municipality, text, outcome) VALUES (?, 'nyborg', 'hej', 'fallback')",
            [(old,)] * 250,
        )
    conn.close()
    cutoff = dt.datetime.now(dt.timezone.utc) - 30 * DAY
    assert store.delete_expired(cutoff, municipality="nyborg") == 450
    assert inbox.delete_before(cutoff, municipality="nyborg") == 250
    assert store.delete_expired(cutoff, municipality="nyborg") == 0  # nothing left: still journaled
    counts = [(e["action"], e["details"]["deleted"]) for e in store.events() if e["action"].startswith("retention_")]
    assert counts == [
        ("retention_callbacks", 200),
        ("retention_callbacks", 200),
        ("retention_callbacks", 50),
        ("retention_inbox", 200),
        ("retention_inbox", 50),
        ("retention_callbacks", 0),
    ]
    assert "hej" not in str(store.events())  # counts, never the citizen's words
    assert verify_file(path).intact


def _tracker_with(path, rows):
    import json as _json

    conn = sqlite3.connect(path)
    conn.execute(
        "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, type_name TEXT, timestamp REAL,"
        " intent_name TEXT, action_name TEXT, data TEXT)"
    )
    conn.executemany(
        "INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (?, 'user', ?, ?)",
        [(s, t, _json.dumps({})) for s, t in rows],
    )
    conn.commit()
    conn.close()


def test_retention_command_on_real_tracker_and_callback_files(tmp_path, monkeypatch, knowledge):
    import time

    from click.testing import CliRunner

    from bot import settings
    from bot.cli import main as cli
    from bot.knowledge.build import build_database

    tracker = tmp_path / "tracker.db"
    old, new = time.time() - 40 * 86400, time.time() - 3600
    _tracker_with(tracker, [("old", old), ("old", old + 10), ("recent", old), ("recent", new)])
    monkeypatch.setenv("KOMMUNEBOT_TRACKER_URL", f"sqlite:///{tracker}")
    monkeypatch.setenv("KOMMUNEBOT_DATA_DB", str(tmp_path / "kommunebot.db"))
    monkeypatch.setenv("KOMMUNEBOT_KNOWLEDGE_DB", str(build_database(knowledge, tmp_path / "knowledge.db")))
    settings.reset()
    result = CliRunner().invoke(cli, ["retention"])
    assert result.exit_code == 0, result.output
    remaining = sqlite3.connect(tracker).execute("SELECT DISTINCT sender_id FROM events").fetchall()
    assert remaining == [("recent",)]
    runs = [e for e in CallbackStore(tmp_path / "kommunebot.db").events() if e["action"] == "retention_run"]
    assert runs and runs[0]["details"]["conversations"] == 1 and runs[0]["details"]["days"] == 30
    monkeypatch.setenv("KOMMUNEBOT_KNOWLEDGE_DB", str(tmp_path / "missing.db"))
    settings.reset()
    result = CliRunner().invoke(cli, ["retention"])
    assert result.exit_code == 1 and "error: retention failed" in result.output and "missing.db" in result.output
    settings.reset()


def test_retention_follows_each_municipality_period(tmp_path, knowledge):
    """What citizens are told (callbacks.retention_days) is what is deleted."""
    from dataclasses import replace

    from bot.ops.retention import run
    from bot.records.inbox import Inbox
    from bot.settings import Settings

    municipalities = {
        k: replace(m, retention_days=10 if k == "glostrup" else 60) for k, m in knowledge.municipalities.items()
    }
    short = replace(knowledge, municipalities=municipalities)
    data_db = tmp_path / "kommunebot.db"
    store = CallbackStore(data_db)
    slot = dt.datetime.now(TZ).replace(microsecond=0) + 2 * DAY
    for municipality in ("glostrup", "nyborg", "gone"):
        booked = store.book(municipality, slot, 5, "Karen", "+4520304050", conversation_id="c")
        store.cancel(booked.reference, conversation_id="c")
        Inbox(data_db).add(municipality, "hvad koster et fiskekort", "out_of_scope")
    config = Settings.load(
        {"KOMMUNEBOT_DATA_DB": str(data_db), "KOMMUNEBOT_TRACKER_URL": f"sqlite:///{tmp_path / 'tracker.db'}"}
    )
    result = run(config, short, now=dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=30))
    # glostrup's 10 days have passed, nyborg's 60 have not; a municipality no
    # longer in knowledge gets the shortest period.
    assert result["callbacks"] == 2 and result["inbox"] == 2 and result["days"] == 10
    assert store.municipalities() == ["nyborg"] and Inbox(data_db).municipalities() == ["nyborg"]
    kinds = {e["action"] for e in store.events()}
    assert {"retention_callbacks", "retention_inbox", "retention_run"} <= kinds


def test_old_conversations_are_deleted_in_small_transactions_and_a_returning_one_is_kept(tmp_path):
    import time

    import sqlalchemy as sa

    from bot.ops.retention import delete_old_conversations

    tracker = tmp_path / "tracker.db"
    old, new = time.time() - 40 * 86400, time.time() - 3600
    rows = [(f"old-{n:03d}", old + i) for n in range(120) for i in range(5)]
    rows += [("old-long", old + i) for i in range(450)]  # longer than one batch
    rows += [("recent", old), ("recent", new), ("zz-returns", old)]
    _tracker_with(tracker, rows)
    deletes, batches = [], []

    def count_deletes(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("DELETE"):
            deletes.append(cursor.rowcount)

    def citizen_returns(conversations, events):
        # The last conversation in line gets a new message while the run is under way.
        batches.append((conversations, events))
        if len(batches) == 1:
            with sqlite3.connect(tracker) as conn:
                conn.execute(
                    "INSERT INTO events (sender_id, type_name, timestamp) VALUES ('zz-returns', 'user', ?)", (new,)
                )
            conn.close()

    sa.event.listen(sa.engine.Engine, "after_cursor_execute", count_deletes)
    try:
        cutoff = dt.datetime.now(dt.timezone.utc) - 30 * DAY
        deleted = delete_old_conversations(f"sqlite:///{tracker}", cutoff, batch=200, on_batch=citizen_returns)
    finally:
        sa.event.remove(sa.engine.Engine, "after_cursor_execute", count_deletes)
    assert deleted == 121
    assert max(deletes) <= 200 and sum(deletes) == 120 * 5 + 450
    assert sum(c for c, _ in batches) == 121 and sum(e for _, e in batches) == 120 * 5 + 450
    remaining = sqlite3.connect(tracker).execute("SELECT sender_id, count(*) FROM events GROUP BY 1").fetchall()
    assert remaining == [("recent", 2), ("zz-returns", 2)]


def test_inbox_texts_are_redacted_again_before_they_become_training_data(tmp_path):
    import shutil

    from bot.content.nlu_append import append_example
    from bot.privacy.redaction import PLACEHOLDER
    from bot.settings import PROJECT_ROOT

    shutil.copytree(PROJECT_ROOT / "data", tmp_path / "data")
    # Stored in the inbox before the channel redacted it (an older release).
    display, line = append_example(tmp_path, "affald", "mit cpr er 010190-1234 hvornår tømmes skraldet")
    written = (tmp_path / display).read_text(encoding="utf-8").splitlines()[line - 1]
    assert "010190" not in written and f"mit cpr er {PLACEHOLDER} hvornår tømmes skraldet" in written


def test_an_inbox_example_goes_after_the_newest_plain_block_of_its_file(tmp_path):
    """An errand's file may hold several blocks of the intent (one per round
    of examples); the new example ends the last one without metadata."""
    from bot.content.nlu_append import append_example

    (tmp_path / "data" / "nlu").mkdir(parents=True)
    (tmp_path / "data" / "nlu" / "affald.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: affald\n  examples: |\n    - hvornår tømmes skraldet\n'
        "# A later round.\n- intent: affald\n  examples: |\n    - hvad koster storskrald\n"
        "- intent: affald\n  metadata:\n    case: true\n  examples: |\n    - I har ikke tømt min spand i tre uger\n",
        encoding="utf-8",
    )
    display, line = append_example(tmp_path, "affald", "hvor er genbrugspladsen")
    lines = (tmp_path / display).read_text(encoding="utf-8").splitlines()
    assert lines[line - 1] == "    - hvor er genbrugspladsen" and lines[line - 2] == "    - hvad koster storskrald"
