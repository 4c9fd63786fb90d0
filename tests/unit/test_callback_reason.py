"""Issue 27, item 5: the reason the callback was offered travels with it."""

from __future__ import annotations

import datetime as dt
import sqlite3

from bot.callbacks.casework import Casework
from bot.callbacks.store import REASONS, CallbackStore
from bot.chat.answers import Responder
from bot.chat.booking import BOOKED, TOPIC_CHOICES, CallbackFlow, callback_reason
from bot.console.texts import REASON_LABELS
from bot.knowledge.model import CASE_CATEGORY

NOW = dt.datetime(2026, 11, 23, 6, 0, tzinfo=dt.timezone.utc)  # a Monday morning


def _callback_situation(knowledge) -> tuple[str, str]:
    return next((t.key, s.key) for t in knowledge.topics.values() for s in t.situations if s.channel == "callback")


def test_the_reason_from_what_the_conversation_holds(knowledge):
    assert callback_reason(knowledge, CASE_CATEGORY, "pas", None) == "case"
    assert callback_reason(knowledge, "criminal", None, None) == "sensitive"
    assert callback_reason(knowledge, "personal", "pas", None) == "sensitive"
    assert callback_reason(knowledge, None, *_callback_situation(knowledge)) == "case"
    assert callback_reason(knowledge, None, "pas", None, ["ingen_mitid"]) == "assistance"
    assert callback_reason(knowledge, None, "pas", "bortkommet") == "asked"
    assert callback_reason(knowledge, None, None, None, "not a list") == "asked"
    assert set(REASON_LABELS) == set(REASONS)


def test_the_reason_is_stored_with_the_booking_and_read_back(knowledge, tmp_path):
    flow = CallbackFlow(knowledge, Responder(knowledge), CallbackStore(tmp_path / "k.db"))
    m = knowledge.municipalities["glostrup"]
    slot = dt.datetime.fromisoformat(flow.slot_question(m, NOW).buttons[0]["payload"])
    booked = flow.book(m, slot, "Karen Hansen", "+45 20 30 40 50", "pas", "criminal", "c1", now=NOW, reason="sensitive")
    assert booked.status == BOOKED
    assert Casework(tmp_path / "k.db").get(booked.reference).reason == "sensitive"
    # Anything else a forged call puts in the tracker is not stored.
    other = flow.book(m, slot, "Bo Ek", "+45 21 30 40 50", "pas", None, "c2", now=NOW, reason="<script>")
    assert other.status == BOOKED and Casework(tmp_path / "k.db").get(other.reference).reason is None


def test_a_database_at_the_previous_revision_gets_the_reason_column(tmp_path):
    from alembic import command

    from bot.records import migrations
    from bot.records.database import Database

    path = tmp_path / "old.db"
    db = Database(path)
    with db.begin() as conn:
        command.upgrade(migrations._config(conn), "0004")
    db.dispose()
    CallbackStore(path)
    with sqlite3.connect(path) as conn:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(callbacks)")}
        assert "reason" in columns
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (migrations.head(),)
    conn.close()


def test_an_unknown_topic_is_chosen_from_a_short_list_or_written(knowledge, tmp_path):
    flow = CallbackFlow(knowledge, Responder(knowledge), CallbackStore(tmp_path / "k.db"))
    m = knowledge.municipalities["nyborg"]
    reply = flow.ask_topic(None, None, m)
    assert reply.text.startswith("Hvad drejer opringningen sig om?")
    payloads = [b["payload"] for b in reply.buttons]
    assert payloads[:-1] == [f"/{key}" for key in TOPIC_CHOICES] and "/pas" in payloads
    assert 2 <= len(payloads) - 1 <= 6 and payloads[-1] == "/deny"
    # A known errand or matter is confirmed with yes/no, as before.
    assert flow.ask_topic("pas", None, m).text == "Drejer det sig om pas?"
    assert flow.ask_topic(None, "bereavement", m).text == "Drejer det sig om dødsfald?"
    # The answer: an errand (button or words the NLU read as one), or the matter in words.
    assert flow.chosen_topic("pas", "/pas") == (True, "pas")
    assert flow.chosen_topic("nlu_fallback", "det handler om min husleje") == (False, None)
    assert flow.chosen_topic("affirm", "ja") is None and flow.chosen_topic("deny", "nej") is None
