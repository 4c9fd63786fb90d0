"""Every data store on a real PostgreSQL (our own child process), migrated
by `kommunebot migrate` as the owner and used as the application role, and
the first migration adopting a SQLite file the earlier code created."""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
import sqlite3
import tempfile
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from bot.callbacks.hours import CallbackHours, parse_window
from bot.callbacks.store import (
    AddressLimit,
    CallbackNotFound,
    CallbackStore,
    ChatPlacesFull,
    SlotFull,
    TooManyBookings,
)
from bot.chat.answers import Responder
from bot.chat.booking import BOOKED, FAILED, CallbackFlow
from bot.cli import main as cli
from bot.console.accounts import Accounts, LoginRefused
from bot.console.sessions import Sessions
from bot.ops.services import APP_ROLE, OWNER_ROLE, TRACKER_DATABASE, Postgres
from bot.records.database import SchemaOutdated
from bot.records.inbox import Inbox
from bot.records.journal import verify_database
from bot.records.outcomes import OutcomeLog
from bot.records.transcripts import Transcripts
from tests.support.senders import sender_id

SLOT = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.timezone.utc)
PASSWORD = "Kaffe-og-rugbrød-2026"
NOW = dt.datetime(2026, 11, 23, 6, 0, tzinfo=dt.timezone.utc)  # a Monday morning


@pytest.fixture(scope="module")
def pg():
    root = Path(tempfile.mkdtemp(prefix="kb-pg-"))
    root.chmod(0o755)  # PostgreSQL runs as the postgres user, which must reach its folder
    server = Postgres(root)
    try:
        server.start()
        out = CliRunner().invoke(cli, ["migrate", "--url", server.url(OWNER_ROLE)])
        assert out.exit_code == 0, out.output
        assert "migrated from revision none to" in out.output and server.password(OWNER_ROLE) not in out.output
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def url(pg):
    return pg.url()


def _owner(pg):
    return sa.create_engine(pg.url(OWNER_ROLE))


def test_migrate_again_changes_nothing(pg):
    out = CliRunner().invoke(cli, ["migrate", "--url", pg.url(OWNER_ROLE)])
    assert out.exit_code == 0 and "already at revision" in out.output, out.output


def test_a_database_never_migrated_is_refused_with_the_command_to_run(pg):
    admin = pg._admin()
    admin.cursor().execute(f"CREATE DATABASE empty_one OWNER {OWNER_ROLE}")
    admin.close()
    with pytest.raises(SchemaOutdated, match="kommunebot migrate"):
        CallbackStore(pg.url(OWNER_ROLE, "empty_one"))


def test_book_get_and_cancel(url):
    store = CallbackStore(url)
    booked = store.book("nyborg", SLOT, 3, "Anna Hansen", "+45 20 30 40 50", topic="pas", conversation_id="c-1")
    assert booked.reference.startswith("CB-") and booked.status == "booked" and booked.slot == SLOT
    assert store.get(booked.reference.lower()) == booked
    again = store.book("nyborg", SLOT, 3, "Anna Hansen", "+45 20 30 40 50", conversation_id="c-1")
    assert again.reference == booked.reference  # a retry returns the booking it has
    with pytest.raises(CallbackNotFound):
        store.cancel(booked.reference, conversation_id="someone-else")
    cancelled = store.cancel(booked.reference, conversation_id="c-1")
    assert cancelled.status == "cancelled" and cancelled.version == 2
    assert [e["action"] for e in store.events(booked.reference)] == ["booked", "cancelled"]


def test_parallel_wrong_digits_on_postgresql_stop_at_the_lock(url):
    """Issue 27: the app role may update the check columns, and twenty
    guesses at once count exactly: 4 refused, then locked."""
    from bot.callbacks.store import CancelLocked, CancelRefused
    from bot.privacy.cancel_digits import cancel_key

    store = CallbackStore(url, cancel_key=cancel_key("pg test", None))
    booked = store.book("nyborg", SLOT, 3, "Bo Berg", "+45 20 30 40 58", conversation_id="c-digits")

    def guess(n):
        try:
            store.cancel_with_digits(booked.reference, f"{n:04d}", via="page")
        except CancelLocked:
            return "locked"
        except CancelRefused:
            return "refused"
        return "cancelled"

    results = _concurrently(20, guess)
    assert results.count("refused") == 4 and results.count("locked") == 16
    with pytest.raises(CancelLocked):
        store.cancel_with_digits(booked.reference, "4058", via="page")
    assert store.get(booked.reference).status == "booked"


def _concurrently(count: int, work) -> list:
    barrier, results = threading.Barrier(count), [None] * count

    def run(n: int) -> None:
        barrier.wait()
        try:
            results[n] = work(n)
        except Exception as exc:  # counted by the caller
            results[n] = exc

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def test_two_hundred_bookings_at_once_fill_twenty_seats_exactly(url):
    stores = [CallbackStore(url) for _ in range(8)]  # many pools, many connections
    slot = SLOT + dt.timedelta(hours=1)

    def book(n: int):
        return stores[n % 8].book("rush", slot, 20, f"Borger {n}", f"+45 30 00 {n:04d}", conversation_id=f"rush-{n}")

    results = _concurrently(200, book)
    booked = [r for r in results if not isinstance(r, Exception)]
    full = [r for r in results if isinstance(r, SlotFull)]
    assert len(booked) == 20 and len(full) == 180, [r for r in results if isinstance(r, Exception)][:3]
    assert len({b.reference for b in booked}) == 20
    assert stores[0].booked_count("rush", slot) == 20
    for store in stores:
        store.close()


def test_the_per_phone_limit_holds_under_concurrency(url):
    stores = [CallbackStore(url) for _ in range(6)]
    warm = _concurrently(60, lambda n: stores[n % 6].booked_count("limit", SLOT))  # connections ready in every pool
    assert warm == [0] * 60

    def book(n: int):
        slot = SLOT + dt.timedelta(minutes=15 * n)
        return stores[n % 6].book("limit", slot, 5, "Bo", "+45 40 40 40 40", conversation_id=f"l-{n}", max_active=2)

    results = _concurrently(60, book)
    assert sum(not isinstance(r, Exception) for r in results) == 2
    assert sum(isinstance(r, TooManyBookings) for r in results) == 58


def test_the_per_address_cap_holds_under_concurrency(url):
    """Issue 22: one client address, a new sender id and phone number for
    every booking, all at once: exactly the cap is booked; another address
    still books."""
    stores = [CallbackStore(url) for _ in range(6)]
    warm = _concurrently(60, lambda n: stores[n % 6].booked_count("address", SLOT))
    assert warm == [0] * 60
    per_address = AddressLimit(active=4, recent=10, seconds=86400)

    def book(n: int):
        slot = SLOT + dt.timedelta(minutes=15 * n)
        return stores[n % 6].book(
            "address",
            slot,
            5,
            f"Borger {n}",
            f"+45 41 00 {n:04d}",
            conversation_id=f"a-{n}",
            max_active=2,
            client="00000000000000aa",
            per_address=per_address,
        )

    results = _concurrently(60, book)
    assert sum(not isinstance(r, Exception) for r in results) == 4, [
        r for r in results if not isinstance(r, TooManyBookings)
    ]
    assert sum(isinstance(r, TooManyBookings) and r.args == ("address", "active") for r in results) == 56
    other = stores[0].book(
        "address", SLOT, 5, "Anden", "+45 41 99 99 99", client="00000000000000bb", per_address=per_address
    )
    assert other.status == "booked"
    for store in stores:
        store.close()


def test_the_chat_share_of_a_day_holds_under_concurrency(url):
    stores = [CallbackStore(url) for _ in range(6)]
    hours = CallbackHours(windows={"tue": (parse_window("09:00-14:00"),)}, slot_minutes=15, capacity=1, chat_share=50)
    first = dt.datetime(2026, 11, 24, 9, 0, tzinfo=hours.tz)
    day = hours.chat_day(first)
    assert day.places == 10  # 20 places, half for the chat

    def book(n: int):
        return stores[n % 6].book(
            "share", first + dt.timedelta(minutes=15 * n), 1, f"B {n}", f"+45 42 00 {n:04d}", chat_day=day
        )

    results = _concurrently(20, book)
    assert sum(not isinstance(r, Exception) for r in results) == 10
    assert sum(isinstance(r, ChatPlacesFull) for r in results) == 10
    assert stores[0].booked_on("share", day) == 10
    for store in stores:
        store.close()


def test_the_journal_refuses_changes_by_trigger_and_by_privilege(pg, url):
    CallbackStore(url).record("viewed", "anna", reference="CB-2026-999999")
    owner, app = _owner(pg), sa.create_engine(url)
    for statement in ("UPDATE events SET actor = 'x'", "DELETE FROM events", "TRUNCATE events"):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), owner.begin() as conn:
            conn.execute(sa.text(statement))  # the owner has the privilege: the trigger refuses
        with pytest.raises(sa.exc.ProgrammingError, match="permission denied"), app.begin() as conn:
            conn.execute(sa.text(statement))
    owner.dispose()
    app.dispose()
    assert verify_database(url).intact


def test_the_chain_stays_linear_under_concurrent_appends(url):
    stores = [CallbackStore(url) for _ in range(4)]
    before = verify_database(url).entries
    results = _concurrently(40, lambda n: [stores[n % 4].record("viewed", f"w{n}", i=i) for i in range(5)])
    assert not [r for r in results if isinstance(r, Exception)]
    result = verify_database(url)
    assert result.intact and result.entries == before + 200, result.problem


def test_accounts_and_sessions(url):
    accounts, sessions = Accounts(url, municipalities={"nyborg"}), Sessions(url)
    user = accounts.create_user("pgbruger", PASSWORD, "staff", "PG Bruger", municipality="nyborg")
    assert accounts.authenticate("pgbruger", PASSWORD, "10.0.0.1").id == user.id
    with pytest.raises(LoginRefused):
        accounts.authenticate("pgbruger", "forkert-kodeord-123", "10.0.0.1")
    session = sessions.create(user.id)
    assert sessions.get(session.token).user_id == user.id
    accounts.set_password("pgbruger", PASSWORD + "!", actor="ali")
    assert sessions.get(session.token) is None  # a password reset ends the sessions
    with pytest.raises(Exception, match="already exists"):
        accounts.create_user("pgbruger", PASSWORD, "staff", municipality="nyborg")
    accounts.disable("pgbruger", actor="ali")
    assert accounts.get("pgbruger").disabled


def test_outcomes_and_the_inbox(pg, url):
    OutcomeLog(url).record("nyborg", "selfservice", topic="pas")
    inbox = Inbox(url)
    message_id = inbox.add("nyborg", "hvad koster et fiskekort", "out_of_scope", "pas", 0.31)
    assert inbox.get(message_id).text == "hvad koster et fiskekort"
    inbox.decide(message_id, "dismissed", "eva")
    assert inbox.get(message_id).status == "dismissed"
    with _owner(pg).connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM outcomes WHERE topic = 'pas'")).scalar() == 1


def test_feedback_answers_are_stored_and_never_changed_by_the_application_role(pg, url):
    """Issue 27's "Fik du svar?" answers: migration 0004 grants the servers' role SELECT and INSERT only."""
    import datetime as dt

    from bot.console.dashboard import dashboard
    from bot.records.feedback import FeedbackLog

    FeedbackLog(url).record("nyborg", "pas", None, False, "link_failed")
    app = sa.create_engine(url)
    for statement in ("UPDATE feedback SET answered = true", "DELETE FROM feedback"):
        with pytest.raises(sa.exc.ProgrammingError, match="permission denied"), app.begin() as conn:
            conn.execute(sa.text(statement))
    app.dispose()
    today = dt.date.today()
    assert dashboard(url, "nyborg", today - dt.timedelta(days=1), today + dt.timedelta(days=1)).answered == (0, 1)


def test_retention_runs_as_the_application_role(url):
    store, inbox = CallbackStore(url), Inbox(url)
    old = dt.datetime(2020, 1, 6, 9, 0, tzinfo=dt.timezone.utc)
    store.book("gammel", old, 5, "Gammel Booking", "+45 50 50 50 50")
    inbox.add("gammel", "en gammel besked", "fallback")
    cutoff = dt.datetime(2021, 1, 1, tzinfo=dt.timezone.utc)
    assert store.delete_expired(cutoff, municipality="gammel") == 1
    assert inbox.delete_before(dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1), municipality="gammel") == 1
    actions = [e["action"] for e in store.events()]
    assert "retention_callbacks" in actions and "retention_inbox" in actions
    assert verify_database(url).intact


def test_transcripts_read_rasas_tracker_store_on_postgres(pg):
    tracker = pg.url(database=TRACKER_DATABASE)
    engine = sa.create_engine(tracker)
    with engine.begin() as conn:  # the columns of Rasa's SQLTrackerStore that the console reads
        conn.execute(
            sa.text(
                "CREATE TABLE events (id SERIAL PRIMARY KEY, sender_id VARCHAR(255) NOT NULL,"
                " type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255), action_name VARCHAR(255),"
                " data TEXT)"
            )
        )
        rows = [
            ("user", 1.0, {"event": "user", "text": "pas"}),
            (
                "bot",
                2.0,
                {"event": "bot", "text": "Hvad vil du?", "data": {"buttons": [{"title": "Ja", "payload": "/affirm"}]}},
            ),
            ("user", 3.0, {"event": "user", "text": "/affirm"}),
        ]
        for type_name, timestamp, data in rows:
            conn.execute(
                sa.text("INSERT INTO events (sender_id, type_name, timestamp, data) VALUES ('s1', :t, :ts, :d)"),
                {"t": type_name, "ts": timestamp, "d": json.dumps(data)},
            )
    engine.dispose()
    lines = Transcripts(tracker).lines("s1")
    assert [(line.speaker, line.text) for line in lines] == [
        ("citizen", "pas"),
        ("assistant", "Hvad vil du?"),
        ("citizen", "Ja"),
    ]


# The data database as the code before Alembic left it, from its CREATE statements.
OLD_SCHEMA = """
CREATE TABLE callbacks (
    id INTEGER PRIMARY KEY, reference TEXT UNIQUE, municipality TEXT NOT NULL, topic TEXT, category TEXT,
    name TEXT NOT NULL, phone TEXT NOT NULL, slot TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'booked',
    conversation_id TEXT, created TEXT NOT NULL, updated TEXT NOT NULL, version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX callbacks_slot ON callbacks (municipality, slot, status);
CREATE TABLE events (
    id INTEGER PRIMARY KEY, at TEXT NOT NULL, reference TEXT, action TEXT NOT NULL,
    actor TEXT NOT NULL, details TEXT NOT NULL DEFAULT '{}'
);
CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
CREATE TABLE inbox (
    id INTEGER PRIMARY KEY, at TEXT NOT NULL, municipality TEXT NOT NULL, text TEXT NOT NULL, outcome TEXT NOT NULL,
    predicted TEXT, confidence REAL, status TEXT NOT NULL DEFAULT 'new', intent TEXT, decided_by TEXT, decided_at TEXT
);
CREATE TABLE [outcomes] ([id] INTEGER PRIMARY KEY, [at] TEXT NOT NULL, [municipality] TEXT NOT NULL, [topic] TEXT,
    [situation] TEXT, [outcome] TEXT NOT NULL);
CREATE INDEX [idx_outcomes_at] ON [outcomes] ([at]);
CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT NOT NULL UNIQUE, display_name TEXT NOT NULL DEFAULT '',
    role TEXT NOT NULL, password_hash TEXT NOT NULL, disabled INTEGER NOT NULL DEFAULT 0, created TEXT NOT NULL);
CREATE TABLE login_failures (key TEXT PRIMARY KEY, count INTEGER NOT NULL, last TEXT NOT NULL, locked_until TEXT);
CREATE TABLE sessions (token_hash TEXT PRIMARY KEY, user_id INTEGER NOT NULL, csrf_token TEXT NOT NULL,
    created TEXT NOT NULL, last_seen TEXT NOT NULL);
"""


def test_the_first_migration_adopts_an_old_sqlite_file_without_losing_a_row(tmp_path):
    path = tmp_path / "kommunebot.db"
    conn = sqlite3.connect(path)
    conn.executescript(OLD_SCHEMA)
    conn.execute(
        "INSERT INTO callbacks (reference, municipality, name, phone, slot, created, updated) VALUES"
        " ('CB-2025-000001', 'nyborg', 'Anna', '+45 20 30 40 50', '2026-11-24T09:00:00+00:00', 'x', 'x')"
    )
    conn.execute(
        "INSERT INTO events (at, reference, action, actor) VALUES ('x', 'CB-2025-000001', 'booked', 'citizen')"
    )
    conn.execute("INSERT INTO inbox (at, municipality, text, outcome) VALUES ('x', 'nyborg', 'fiskekort', 'fallback')")
    conn.execute("INSERT INTO outcomes (at, municipality, outcome) VALUES ('x', 'nyborg', 'selfservice')")
    conn.execute("INSERT INTO users (username, role, password_hash, created) VALUES ('ali', 'admin', 'h', 'x')")
    conn.execute("INSERT INTO sessions VALUES ('t', 1, 'c', 'x', 'x')")
    conn.commit()
    conn.close()

    out = CliRunner().invoke(cli, ["migrate", "--url", f"sqlite:///{path}"])
    assert out.exit_code == 0 and "migrated from revision none" in out.output, out.output

    store = CallbackStore(path)
    callback = store.get("CB-2025-000001")
    assert callback.name == "Anna" and callback.attempts == 0 and callback.assigned_to is None
    assert [e["action"] for e in store.events()] == [
        "booked",
        "journal_chain_started",
        "user_municipalities_introduced",
    ]
    assert verify_database(path).intact
    assert Inbox(path).list()[0].text == "fiskekort"
    assert Accounts(path).get("ali").municipality == "*"
    conn = sqlite3.connect(path)
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert conn.execute("SELECT count(*) FROM outcomes").fetchone() == (1,)
    assert conn.execute("SELECT mfa_pending FROM sessions").fetchone() == (0,)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("INSERT OR REPLACE INTO events (id, at, action, actor) VALUES (1, 'x', 'forged', 'x')")
    conn.close()
    assert "login_failures" not in tables and {"login_throttle", "alembic_version"} <= tables


# Last: it stops the server the other tests share (and starts it again).
def test_postgres_stopped_mid_booking_fails_plainly_then_books_once(pg, url, knowledge, caplog):
    store = CallbackStore(url)
    flow = CallbackFlow(knowledge, Responder(knowledge), store)
    m = knowledge.municipalities["guldborgsund"]
    slot = dt.datetime.fromisoformat(flow.slot_question(m, NOW).buttons[0]["payload"])
    pg.stop()
    try:
        with caplog.at_level(logging.ERROR, logger="bot.chat.booking"):
            failed = flow.book(m, slot, "Karen Hansen", "+45 21 22 23 24", None, None, "stopped-1", now=NOW)
        assert failed.status == FAILED and "teknisk fejl" in failed.text
        assert "database postgresql://kommunebot:***@127.0.0.1" in caplog.text
        assert pg.password("kommunebot") not in caplog.text
    finally:
        pg.start()
    booked = flow.book(m, slot, "Karen Hansen", "+45 21 22 23 24", None, None, "stopped-1", now=NOW)
    again = flow.book(m, slot, "Karen Hansen", "+45 21 22 23 24", None, None, "stopped-1", now=NOW)
    assert booked.status == BOOKED and again.reference == booked.reference
    with _owner(pg).connect() as conn:
        rows = conn.execute(sa.text("SELECT count(*) FROM callbacks WHERE conversation_id = 'stopped-1'")).scalar()
    assert rows == 1


def test_the_tracker_store_loads_only_the_current_session(pg):
    """Rasa on PostgreSQL reads the current session, not a citizen's whole
    history, through a pool sized for the replicas."""
    import time

    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from glue.tracker_store import PG_MAX_OVERFLOW, PG_POOL_SIZE, UrlSQLTrackerStore
    from tests.conftest import run_async

    store = UrlSQLTrackerStore(domain=Domain.empty(), host=pg.url(APP_ROLE, TRACKER_DATABASE))
    assert store.engine.url.drivername == "postgresql"
    assert store.engine.pool.size() == PG_POOL_SIZE and store.engine.pool._max_overflow == PG_MAX_OVERFLOW
    assert store.engine.pool._pre_ping
    sender = sender_id("sessions", 8)
    now = time.time()
    events = [
        ActionExecuted("action_session_start", timestamp=now - 7200),
        SessionStarted(timestamp=now - 7200),
        UserUttered("det gamle spørgsmål", timestamp=now - 7100),
        SessionStarted(timestamp=now),
        UserUttered("det nye spørgsmål", timestamp=now + 1),
    ]
    run_async(store.save(DialogueStateTracker.from_events(sender, events)))
    current = run_async(store.retrieve(sender))
    assert [e.text for e in current.events if isinstance(e, UserUttered)] == ["det nye spørgsmål"]
    full = run_async(store.retrieve_full_tracker(sender))
    assert len([e for e in full.events if isinstance(e, UserUttered)]) == 2
