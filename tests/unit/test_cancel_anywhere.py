"""Cancelling a callback from anywhere with its reference and the last four
digits of its phone number (issue 27): the stored check, the lock after
five wrong attempts, one answer for every refusal, the migration."""

from __future__ import annotations

import datetime as dt
import hmac
import sqlite3

import pytest

from bot.callbacks import verification
from bot.callbacks.store import CallbackStore, CancelLocked, CancelRefused
from bot.privacy import cancel_digits
from bot.privacy.cancel_digits import digits_token

KEY = cancel_digits.cancel_key("test secret", None)
SLOT = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.timezone.utc)


def _store(tmp_path, key=KEY) -> CallbackStore:
    return CallbackStore(tmp_path / "k.db", cancel_key=key)


def _book(store, phone="+45 20 30 40 50", conversation="c1"):
    return store.book("nyborg", SLOT, 5, "Karen Hansen", phone, topic="pas", conversation_id=conversation)


def test_the_check_is_keyed_and_never_the_digits(tmp_path):
    store = _store(tmp_path)
    booked = _book(store)
    with sqlite3.connect(tmp_path / "k.db") as conn:
        (stored,) = conn.execute("SELECT cancel_check FROM callbacks").fetchone()
    conn.close()
    assert "4050" not in stored and len(stored) == 64
    assert stored == verification.check(KEY, booked.reference, digits_token(KEY, "4050"))
    other_key = cancel_digits.cancel_key("another", None)
    assert stored != verification.check(other_key, booked.reference, digits_token(other_key, "4050"))
    # The same digits give another check for another booking.
    assert verification.check(KEY, "CB-2026-000002", digits_token(KEY, "4050")) != stored
    assert "4050" not in digits_token(KEY, "4050") and digits_token(KEY, "4050") != digits_token(other_key, "4050")


def test_the_secret_file_is_made_once_and_private(tmp_path):
    first = cancel_digits.cancel_key(None, tmp_path)
    assert cancel_digits.cancel_key(None, tmp_path) == first
    assert (tmp_path / cancel_digits.SECRET_FILE).stat().st_mode & 0o777 == 0o600
    assert cancel_digits.cancel_key("from the setting", tmp_path) != first


def test_checks_are_compared_in_constant_time(monkeypatch):
    calls = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(verification.hmac, "compare_digest", spy)
    stored = verification.check(KEY, "CB-2026-000001", digits_token(KEY, "4050"))
    assert verification.matches(KEY, "CB-2026-000001", digits_token(KEY, "4050"), stored)
    assert not verification.matches(KEY, "CB-2026-000001", digits_token(KEY, "4051"), stored)
    assert len(calls) == 2


@pytest.mark.parametrize(
    "text,digits",
    [
        ("4050", "4050"),
        (" 40 50 ", "4050"),
        ("405", None),
        ("40501", None),
        ("abcd", None),
        ("٤٠٥٠", None),
        (None, None),
    ],
)
def test_typed_digits(text, digits):
    assert cancel_digits.typed_digits(text) == digits


def test_right_digits_cancel_from_anywhere_and_are_journaled(tmp_path):
    store = _store(tmp_path)
    booked = _book(store)
    cancelled = store.cancel_with_digits(booked.reference.lower(), "40 50", via="page")
    assert cancelled.status == "cancelled"
    last = store.events(booked.reference)[-1]
    assert (last["action"], last["actor"], last["details"]) == ("cancelled", "citizen", {"via": "page"})
    with pytest.raises(CancelRefused):  # already cancelled: the same answer as a wrong number
        store.cancel_with_digits(booked.reference, "4050", via="page")


def test_an_unknown_reference_and_wrong_digits_are_one_refusal(tmp_path):
    store = _store(tmp_path)
    booked = _book(store)
    cases = (("CB-2026-999999", "4050"), (booked.reference, "1111"), ("x" * 500, "4050"), (booked.reference, "4" * 500))
    for reference, digits in cases:
        with pytest.raises(CancelRefused) as refused:
            store.cancel_with_digits(reference, digits, via="chat")
        assert type(refused.value) is CancelRefused
    assert store.get(booked.reference).status == "booked"


def test_five_wrong_attempts_lock_the_reference_even_for_the_right_digits(tmp_path):
    store = _store(tmp_path)
    booked = _book(store)
    for attempt in range(1, 5):
        with pytest.raises(CancelRefused) as refused:
            store.cancel_with_digits(booked.reference, f"000{attempt}", via="page")
        assert type(refused.value) is CancelRefused
    with pytest.raises(CancelLocked):
        store.cancel_with_digits(booked.reference, "0005", via="page")
    # Locked in the database: a new store (another process) sees it, and the right digits no longer help.
    again = _store(tmp_path)
    with pytest.raises(CancelLocked):
        again.cancel_with_digits(booked.reference, "4050", via="page")
    assert again.get(booked.reference).status == "booked"
    actions = [e["action"] for e in again.events(booked.reference)]
    assert actions == ["booked", *["cancel_refused"] * 4, "cancel_locked"]
    # Another booking is not affected.
    other = _book(again, phone="+45 30 30 30 31", conversation="c2")
    assert again.cancel_with_digits(other.reference, "3031", via="chat").status == "cancelled"


def test_without_a_key_no_check_is_stored_and_digits_never_cancel(tmp_path):
    store = _store(tmp_path, key=None)
    booked = _book(store)
    with pytest.raises(CancelRefused):
        store.cancel_with_digits(booked.reference, "4050", via="page")
    assert _store(tmp_path).get(booked.reference).status == "booked"


def test_a_database_at_the_previous_revision_gets_the_check_columns(tmp_path):
    from alembic import command

    from bot.records import migrations
    from bot.records.database import Database

    path = tmp_path / "k.db"
    db = Database(path)
    with db.begin() as conn:
        command.upgrade(migrations._config(conn), "0004")
        conn.exec_driver_sql(
            "INSERT INTO callbacks (reference, municipality, name, phone, slot, status, created, updated)"
            " VALUES ('CB-2026-000001', 'nyborg', 'Karen', '+45 20 30 40 50', '2026-11-24T08:00:00+00:00', 'booked',"
            " '2026-11-20T08:00:00+00:00', '2026-11-20T08:00:00+00:00')"
        )
    db.dispose()
    store = _store(tmp_path)
    # An older booking has no check: digits cannot cancel it, and wrong attempts still count.
    with pytest.raises(CancelRefused):
        store.cancel_with_digits("CB-2026-000001", "4050", via="page")
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT cancel_failures FROM callbacks").fetchone() == (1,)
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (migrations.head(),)
    conn.close()


# --- in the chat: the guard seals the digits, the flow cancels --------------------------------------


@pytest.fixture
def guard(tmp_path, knowledge):
    from bot.knowledge.build import build_database
    from bot.settings import Settings
    from glue.guard import build_guard

    db = build_database(knowledge, tmp_path / "knowledge.db")
    return build_guard(Settings.load({"KOMMUNEBOT_KNOWLEDGE_DB": str(db), "KOMMUNEBOT_CANCEL_SECRET": "test secret"}))


@pytest.fixture
def flow(knowledge, tmp_path):
    from bot.chat.answers import Responder
    from bot.chat.booking import CallbackFlow

    return CallbackFlow(knowledge, Responder(knowledge), _store(tmp_path))


def test_four_digits_reach_rasa_only_as_a_token_after_the_question(guard):
    assert guard.prepare("4050", {}, "s1").text == "4050"  # not asked: an ordinary message
    guard.expect_digits("s1", "CB-2026-000001")
    sealed = guard.prepare("40 50", {"kommune": "nyborg"}, "s1").text
    assert "4050" not in sealed and "40 50" not in sealed
    assert sealed == cancel_digits.sealed_message("CB-2026-000001", digits_token(KEY, "4050"))
    assert guard.prepare("4050", {}, "s1").text == "4050"  # taken once
    guard.expect_digits("s2", "CB-2026-000001")
    assert guard.prepare("hvad koster et pas", {}, "s2").text == "hvad koster et pas"
    assert guard.prepare("4050", {}, "s2").text == "4050"  # another message came between
    guard.expect_digits("s3", "not a reference")
    assert guard.prepare("4050", {}, "s3").text == "4050"
    # A client cannot send the sealed form itself: it is not a button the assistant offered.
    assert guard.prepare(sealed, {}, "s4").refusal is not None


def test_cancel_from_another_conversation_with_the_digits(flow, guard, knowledge):
    from bot.chat.booking import ASK_DIGITS, CANCELLED, NOT_CANCELLED

    nyborg = knowledge.municipalities["nyborg"]
    booked = _book(flow.store, conversation="booker")
    unknown = flow.cancel("aflys CB-2026-999999", nyborg, "other")
    asked = flow.cancel(f"aflys {booked.reference}", nyborg, "other")
    assert asked.status == unknown.status == ASK_DIGITS  # an unknown reference is asked the same
    assert asked.text == unknown.text.replace("CB-2026-999999", booked.reference)
    assert "sidste 4 cifre" in asked.text
    english = flow.cancel(f"please cancel my call {booked.reference}", nyborg, "other", "en")
    assert "last 4 digits" in english.text

    guard.expect_digits("other", booked.reference)
    wrong = flow.cancel(guard.prepare("1111", {}, "other").text, nyborg, "other")
    guard.expect_digits("other", "CB-2026-999999")
    nowhere = flow.cancel(guard.prepare("4050", {}, "other").text, nyborg, "other")
    assert wrong.status == nowhere.status == NOT_CANCELLED
    assert wrong.text == nowhere.text.replace("CB-2026-999999", booked.reference)  # no enumeration
    guard.expect_digits("other", booked.reference)
    done = flow.cancel(guard.prepare("4050", {}, "other").text, nyborg, "other")
    assert done.status == CANCELLED and flow.store.get(booked.reference).status == "cancelled"
    assert [e["details"].get("via") for e in flow.store.events(booked.reference)][-1] == "chat"


def test_the_chat_tells_a_locked_reference_to_call(flow, guard, knowledge):
    nyborg = knowledge.municipalities["nyborg"]
    booked = _book(flow.store)
    replies = []
    for attempt in range(6):
        guard.expect_digits("other", booked.reference)
        replies.append(flow.cancel(guard.prepare(f"000{attempt}", {}, "other").text, nyborg, "other").text)
    assert len(set(replies[:4])) == 1 and "Ring" in replies[4] and replies[5] == replies[4]
    assert "for mange gange" in replies[5]
    guard.expect_digits("other", booked.reference)
    assert flow.cancel(guard.prepare("4050", {}, "other").text, nyborg, "other").text == replies[5]
