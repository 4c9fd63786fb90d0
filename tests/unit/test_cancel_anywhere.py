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
