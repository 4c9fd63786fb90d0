"""Working callbacks: status flow, mandatory notes, optimistic locking,
assignment, the journal, the queue views, CSV export and transcripts."""

from __future__ import annotations

import csv
import datetime as dt
import io
import sqlite3
import threading
from zoneinfo import ZoneInfo

import pytest

from bot.callbacks.casework import Casework, InvalidChange, QueueFilter, VersionConflict
from bot.console.export import callbacks_csv
from bot.records.transcripts import Transcripts
from tests.conftest import run_async

TZ = ZoneInfo("Europe/Copenhagen")
NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def work(tmp_path):
    return Casework(tmp_path / "kommunebot.db")


def book(work, hours_from_now: float, **kw):
    values = dict(
        municipality="nyborg",
        capacity=5,
        name="Karen Jensen",
        phone="+45 20 30 40 50",
        topic="pas",
        category="health",
        conversation_id="conv-1",
    )
    values.update(kw)
    return work.book(slot=NOW + dt.timedelta(hours=hours_from_now), **values)


def actions(work, reference):
    return [(e["action"], e["actor"]) for e in work.events(reference)]


def test_take_then_complete_with_note_is_journaled(work):
    cb = book(work, 2)
    taken = work.take(cb.reference, cb.version, "anna")
    assert (taken.status, taken.assigned_to, taken.version) == ("in_progress", "anna", cb.version + 1)
    done = work.change_status(cb.reference, taken.version, "completed", "anna", "Ringet op, pas forklaret.")
    assert done.status == "completed"
    assert actions(work, cb.reference) == [
        ("booked", "citizen"),
        ("assigned", "anna"),
        ("status_changed", "anna"),
        ("status_changed", "anna"),
        ("note", "anna"),
    ]
    note = work.events(cb.reference)[-1]
    assert note["details"]["text"] == "Ringet op, pas forklaret."
    assert work.events(cb.reference)[-2]["details"] == {"from": "in_progress", "to": "completed"}


@pytest.mark.parametrize("status", ["completed", "no_answer"])
def test_completing_or_no_answer_requires_a_note(work, status):
    cb = book(work, 2)
    cb = work.take(cb.reference, cb.version, "anna")
    with pytest.raises(InvalidChange) as err:
        work.change_status(cb.reference, cb.version, status, "anna", "   ")
    assert err.value.reason == "note_required"
    assert work.get(cb.reference).status == "in_progress"


def test_no_answer_counts_attempts_and_can_be_retried(work):
    cb = work.take(book(work, 2).reference, 1, "anna")
    cb = work.change_status(cb.reference, cb.version, "no_answer", "anna", "Intet svar kl. 10.")
    assert (cb.status, cb.attempts) == ("no_answer", 1)
    cb = work.change_status(cb.reference, cb.version, "in_progress", "anna")
    assert cb.status == "in_progress"


@pytest.mark.parametrize(
    "start,target",
    [("booked", "completed"), ("booked", "no_answer"), ("completed", "booked"), ("cancelled", "in_progress")],
)
def test_transitions_outside_the_workflow_are_refused(work, start, target):
    cb = book(work, 2)
    if start == "completed":
        cb = work.take(cb.reference, cb.version, "anna")
        cb = work.change_status(cb.reference, cb.version, "completed", "anna", "ok")
    elif start == "cancelled":
        cb = work.change_status(cb.reference, cb.version, "cancelled", "anna")
    with pytest.raises(InvalidChange) as err:
        work.change_status(cb.reference, cb.version, target, "anna", "note")
    assert err.value.reason == "transition_not_allowed"
    assert work.get(cb.reference).status == start


def test_stale_version_is_refused_and_nothing_is_lost(work):
    cb = book(work, 2)
    work.take(cb.reference, cb.version, "anna")  # Anna saw version 1 and acted first
    with pytest.raises(VersionConflict) as err:
        work.change_status(cb.reference, cb.version, "cancelled", "bo")  # Bo still shows version 1
    assert err.value.current.assigned_to == "anna"
    assert work.get(cb.reference).status == "in_progress"
    assert ("status_changed", "bo") not in actions(work, cb.reference)


def test_concurrent_updates_exactly_one_wins(tmp_path):
    path = tmp_path / "kommunebot.db"
    cb = book(Casework(path), 2)
    results, barrier = [], threading.Barrier(8)

    def worker(n):
        store = Casework(path)
        barrier.wait()
        try:
            store.take(cb.reference, cb.version, f"user{n}")
            results.append("ok")
        except VersionConflict:
            results.append("conflict")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["conflict"] * 7 + ["ok"]
    assert Casework(path).get(cb.reference).version == cb.version + 1


def test_assign_and_unassign(work):
    cb = book(work, 2)
    cb = work.assign(cb.reference, cb.version, "bo", "anna")
    assert cb.assigned_to == "bo" and cb.status == "booked"
    cb = work.assign(cb.reference, cb.version, None, "anna")
    assert cb.assigned_to is None
    assert [e["details"]["to"] for e in work.events(cb.reference) if e["action"] == "assigned"] == ["bo", None]


def test_notes_are_redacted_and_bounded(work):
    cb = book(work, 2)
    work.add_note(cb.reference, "anna", "Borgeren sagde 010190-1234 i telefonen")
    assert "010190-1234" not in work.events(cb.reference)[-1]["details"]["text"]
    with pytest.raises(InvalidChange):
        work.add_note(cb.reference, "anna", "x" * 4001)
    with pytest.raises(InvalidChange):
        work.add_note(cb.reference, "anna", "")


def test_journal_cannot_be_rewritten(work, tmp_path):
    cb = book(work, 2)
    work.record_view(cb.reference, "anna")
    conn = sqlite3.connect(tmp_path / "kommunebot.db")
    with pytest.raises(sqlite3.DatabaseError):
        conn.execute("UPDATE events SET actor = 'someone' WHERE action = 'viewed'")
    with pytest.raises(sqlite3.DatabaseError):
        conn.execute("DELETE FROM events")
    conn.close()
    assert ("viewed", "anna") in actions(work, cb.reference)


def test_queue_views_and_filters(work):
    overdue = book(work, -3)
    today = book(work, 3)
    later = book(work, 48, topic="affald", category=None, municipality="glostrup")
    closed = book(work, 4)
    work.change_status(closed.reference, closed.version, "cancelled", "anna")

    def refs(**kw):
        return [cb.reference for cb in work.list(QueueFilter(**kw), now=NOW, tz=TZ)]

    assert refs() == [overdue.reference, today.reference, later.reference]
    assert refs(view="overdue") == [overdue.reference]
    assert refs(view="today") == [overdue.reference, today.reference]
    assert refs(view="upcoming") == [today.reference, later.reference]
    assert refs(view="all") == [overdue.reference, today.reference, closed.reference, later.reference]
    assert refs(topic="affald") == [later.reference]
    assert refs(municipality="nyborg", category="health") == [overdue.reference, today.reference]
    assert refs(view="all", status="cancelled") == [closed.reference]
    assert work.facets()["municipality"] == ["glostrup", "nyborg"]


def test_database_created_before_this_version_gains_the_new_columns(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE callbacks (id INTEGER PRIMARY KEY, reference TEXT UNIQUE, municipality TEXT NOT NULL,"
        " topic TEXT, category TEXT, name TEXT NOT NULL, phone TEXT NOT NULL, slot TEXT NOT NULL,"
        " status TEXT NOT NULL DEFAULT 'booked', conversation_id TEXT, created TEXT NOT NULL,"
        " updated TEXT NOT NULL, version INTEGER NOT NULL DEFAULT 1);"
    )
    conn.close()
    cb = book(Casework(path), 2)
    assert Casework(path).take(cb.reference, cb.version, "anna").assigned_to == "anna"


def test_csv_export_is_excel_friendly_and_injection_safe(work):
    book(work, 2, name='=HYPERLINK("http://evil")', phone="+45 20 30 40 50")
    book(work, 5, name="Søren Ærø")
    text = callbacks_csv(work.list(QueueFilter(view="all"), tz=TZ), TZ)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][:3] == ["Reference", "Kommune", "Emne"]
    names = [row[6] for row in rows[1:]]
    assert names == ['\'=HYPERLINK("http://evil")', "Søren Ærø"]
    assert rows[1][5] == (NOW + dt.timedelta(hours=2)).astimezone(TZ).strftime("%Y-%m-%d %H:%M")


def test_transcript_read_from_a_real_rasa_tracker_store(tmp_path):

    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    db = tmp_path / "tracker.db"
    store = SQLTrackerStore(dialect="sqlite", db=str(db))
    tracker = DialogueStateTracker("conv-1", slots=[])
    tracker.update(UserUttered("<script>alert(1)</script> [CPR-nummer fjernet]", timestamp=1_790_000_000))
    tracker.update(ActionExecuted("action_sensitive"))
    tracker.update(
        BotUttered("Det kan vi ikke i chatten.", data={"buttons": [{"title": "Ja, ring mig op", "payload": "/affirm"}]})
    )
    tracker.update(UserUttered("/affirm"))
    tracker.update(UserUttered("/affirm"))  # typed again later: no button on offer any more
    run_async(store.save(tracker))
    lines = Transcripts(f"sqlite:///{db}").lines("conv-1")
    assert [(line.speaker, line.text) for line in lines] == [
        ("citizen", "<script>alert(1)</script> [CPR-nummer fjernet]"),
        ("assistant", "Det kan vi ikke i chatten."),
        ("citizen", "Ja, ring mig op"),
        ("citizen", "/affirm"),
    ]
    assert lines[1].buttons == ("Ja, ring mig op",)
    assert lines[2].text == "Ja, ring mig op" and lines[2].clicked
    assert lines[0].at == dt.datetime.fromtimestamp(1_790_000_000, dt.timezone.utc)
    assert Transcripts(f"sqlite:///{db}").lines("unknown") == []
    assert Transcripts(f"sqlite:///{tmp_path / 'empty.db'}").lines("conv-1") == []


def test_the_queue_finds_a_callback_by_reference_name_or_phone_digits(work):
    karen = book(work, 2)
    ole = book(work, 3, name="Ole 100% Hansen", phone="+45 61 62 63 64")
    found = lambda text: [cb.reference for cb in work.list(QueueFilter(view="all", search=text), now=NOW)]  # noqa: E731
    assert found(karen.reference.lower()) == [karen.reference]
    assert found("jensen") == [karen.reference]
    assert found("61626364") == found("61 62 63 64") == found("+4561626364") == [ole.reference]
    assert found("100%") == [ole.reference]  # a % is a character here, not a wildcard
    assert found("%") == [ole.reference] and found("_") == []
    assert found("2030") == [karen.reference]
    assert found("63") == []  # too few digits to search phone numbers
    assert found("' OR 1=1 --") == []
    assert found("x" * 5000) == []


def test_the_queue_filters_by_local_day_and_sorts(work):
    early = book(work, 2, name="Åse Berg")  # 2026-11-23 12:00 local
    late = book(work, 24 * 3, name="bent Andersen")  # 2026-11-26
    listed = lambda **kw: [cb.reference for cb in work.list(QueueFilter(view="all", **kw), now=NOW, tz=TZ)]  # noqa: E731
    assert listed(date_from=dt.date(2026, 11, 24)) == [late.reference]
    assert listed(date_to=dt.date(2026, 11, 23)) == [early.reference]
    assert listed(date_from=dt.date(2026, 11, 23), date_to=dt.date(2026, 11, 26)) == [early.reference, late.reference]
    assert listed(date_from=dt.date(2026, 11, 27)) == []
    assert listed(sort="name") == [late.reference, early.reference]  # case-insensitive: bent before Åse
    assert listed(sort="created") == [late.reference, early.reference]  # newest booking first
    assert listed(sort="; DROP TABLE callbacks") == [early.reference, late.reference]  # unknown: by slot
