"""Issue 22: bookings a script cannot drain. Caps per client address (the
channel's pseudonym) and the chat's share of a day's places, checked in the
booking transaction; the Danish refusals; the count caseworkers see.

Real SQLite stores and the real knowledge base throughout."""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
import threading
from dataclasses import replace

import pytest
import sqlalchemy as sa

from bot.callbacks.casework import Casework
from bot.callbacks.hours import CallbackHours, parse_window
from bot.callbacks.store import AddressLimit, CallbackStore, ChatPlacesFull, SlotFull, TooManyBookings
from bot.chat.answers import Responder
from bot.chat.booking import BOOKED, REFUSED, SLOT_TAKEN, CallbackFlow, client_pseudonym
from bot.knowledge.loader import load_knowledge
from bot.knowledge.problems import KnowledgeError
from bot.records.database import storage_time
from tests.support.knowledge_copy import edit

TZ = dt.timezone(dt.timedelta(hours=1))
SLOT = dt.datetime(2026, 11, 24, 9, 0, tzinfo=TZ)
CLIENT = "0123456789abcdef"
OTHER = "fedcba9876543210"
NOW = dt.datetime(2026, 11, 23, 6, 0, tzinfo=dt.timezone.utc)  # a Monday morning
LIMIT = AddressLimit(active=3, recent=5, seconds=86400)


def _slot(n: int) -> dt.datetime:
    return SLOT + dt.timedelta(minutes=15 * n)


def _book(store, n, client=CLIENT, per_address=LIMIT, **kw):
    """A booking as a script makes them: a new conversation and phone number each time."""
    return store.book(
        "nyborg",
        _slot(n),
        5,
        f"Borger {n}",
        f"+45 30 00 {n:04d}",
        conversation_id=f"script-{client}-{n}",
        max_active=2,
        client=client,
        per_address=per_address,
        **kw,
    )


# --- the per-address cap in the store ------------------------------------------------------------


def test_many_sender_ids_and_phones_from_one_address_are_refused_past_the_cap(tmp_path):
    store = CallbackStore(tmp_path / "k.db")
    booked = [_book(store, n) for n in range(3)]
    for n in range(3, 10):
        with pytest.raises(TooManyBookings) as refusal:
            _book(store, n)
        assert refusal.value.args == ("address", "active")
    # Another address, and a booking whose address is unknown, are not affected.
    assert _book(store, 20, client=OTHER).status == "booked"
    assert _book(store, 21, client=None).status == "booked"
    # The pseudonym is stored with the booking; nothing else about the address is.
    with sqlite3.connect(tmp_path / "k.db") as conn:
        stored = dict(conn.execute("SELECT reference, client FROM callbacks").fetchall())
    conn.close()
    assert [stored[b.reference] for b in booked] == [CLIENT] * 3
    assert sorted(v for v in stored.values() if v) == [CLIENT] * 3 + [OTHER]
    # Cancelling one frees a place for the address.
    store.cancel(booked[0].reference, conversation_id=booked[0].conversation_id)
    assert _book(store, 30).status == "booked"


def test_a_retry_of_the_same_booking_is_not_refused_by_the_cap(tmp_path):
    store = CallbackStore(tmp_path / "k.db")
    booked = [_book(store, n) for n in range(3)]
    again = _book(store, 2)  # the same conversation and slot: the booking it already has
    assert again.reference == booked[2].reference


def test_bookings_in_the_window_count_even_when_cancelled(tmp_path):
    """Book and cancel, book and cancel: the active cap never bites, the window does."""
    path = tmp_path / "k.db"
    store = CallbackStore(path)
    for n in range(5):
        booking = _book(store, n)
        store.cancel(booking.reference, conversation_id=booking.conversation_id)
    with pytest.raises(TooManyBookings) as refusal:
        _book(store, 5)
    assert refusal.value.args == ("address", "recent")
    assert _book(store, 6, client=OTHER).status == "booked"
    # A day later the first bookings have left the window.
    with sqlite3.connect(path) as conn:
        conn.execute(
            "UPDATE callbacks SET created = ? WHERE client = ?",
            (storage_time(dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1, seconds=5)), CLIENT),
        )
    conn.close()
    assert _book(store, 7).status == "booked"


def test_threads_booking_at_once_from_one_address_end_at_exactly_the_cap(tmp_path):
    path = tmp_path / "k.db"
    CallbackStore(path)  # migrated before the rush
    barrier = threading.Barrier(16)
    results: list = [None] * 16

    def attempt(n):
        store = CallbackStore(path, timeout=30)  # own connections, like separate requests
        barrier.wait()
        try:
            results[n] = _book(store, n).reference
        except TooManyBookings as exc:
            results[n] = exc.args

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(isinstance(r, str) for r in results) == 3
    assert results.count(("address", "active")) == 13
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM callbacks WHERE client = ?", (CLIENT,)).fetchone() == (3,)
    conn.close()


# --- the chat's share of a day ---------------------------------------------------------------------

# Two slots of 30 minutes, two places each: four places a day, half of them for the chat.
SMALL = CallbackHours(
    windows={d: (parse_window("09:00-10:00"),) for d in ("mon", "tue", "wed", "thu", "fri")},
    slot_minutes=30,
    capacity=2,
    min_notice_minutes=60,
    days_ahead=1,
    chat_share=50,
)


def test_day_places_and_the_chat_share():
    tuesday = dt.datetime(2026, 11, 24, 9, 30, tzinfo=SMALL.tz)
    day = SMALL.chat_day(tuesday)
    assert (day.date, day.places) == (dt.date(2026, 11, 24), 2)
    assert day.start == dt.datetime(2026, 11, 24, tzinfo=SMALL.tz) and day.end - day.start == dt.timedelta(days=1)
    assert SMALL.day_places(dt.date(2026, 11, 28)) == 0  # a Saturday
    assert SMALL.day_places(dt.date(2026, 12, 25)) == 0  # a holiday
    default = replace(SMALL, chat_share=75)
    assert default.chat_day(tuesday).places == 3  # 75 % of 4, rounded down: one place kept for staff
    # The share round-trips through the compiled knowledge's JSON.
    assert CallbackHours.from_json(SMALL.to_json()).chat_share == 50


def test_the_chat_share_leaves_places_for_staff_in_the_transaction(tmp_path):
    store = CallbackStore(tmp_path / "k.db")
    first, second = dt.datetime(2026, 11, 24, 9, 0, tzinfo=SMALL.tz), dt.datetime(2026, 11, 24, 9, 30, tzinfo=SMALL.tz)
    chat_day = SMALL.chat_day(first)
    store.book("nyborg", first, 2, "A", "+4520304050", conversation_id="a", chat_day=chat_day)
    store.book("nyborg", second, 2, "B", "+4521304050", conversation_id="b", chat_day=chat_day)
    with pytest.raises(ChatPlacesFull):  # a free place in the slot, but the chat's half of the day is booked
        store.book("nyborg", second, 2, "C", "+4522304050", conversation_id="c", chat_day=chat_day)
    # Staff bookings (no chat day) may use the places kept for them, up to the slot's capacity.
    store.book("nyborg", first, 2, "Staff A", "+4523304050")
    store.book("nyborg", second, 2, "Staff B", "+4524304050")
    with pytest.raises(SlotFull):
        store.book("nyborg", second, 2, "Staff C", "+4525304050")
    # Another municipality's day is its own.
    assert store.book("glostrup", first, 2, "D", "+4526304050", chat_day=chat_day).status == "booked"
    # The chat counts every active booking of the day, staff's too: it books only while more than
    # the staff's half of the day's places is free. With the two chat bookings cancelled, staff's
    # two still keep it out; one place freed more lets it in.
    store.cancel(_ref(store, "a"), actor="citizen", conversation_id="a")
    store.cancel(_ref(store, "b"), actor="citizen", conversation_id="b")
    with pytest.raises(ChatPlacesFull):
        store.book("nyborg", first, 2, "E", "+4527304050", conversation_id="e", chat_day=chat_day)
    staff = [cb for cb in (store.get(f"CB-{dt.date.today().year}-{n:06d}") for n in (3, 4))]
    assert [cb.name for cb in staff] == ["Staff A", "Staff B"]
    store.cancel(staff[0].reference, actor="staff")
    assert store.book("nyborg", first, 2, "E", "+4527304050", conversation_id="e", chat_day=chat_day)


def _ref(store, conversation_id):
    with store._read() as conn:
        from bot.records.schema import callbacks

        return conn.execute(
            sa.select(callbacks.c.reference).where(callbacks.c.conversation_id == conversation_id)
        ).scalar_one()


def test_threads_filling_one_day_stop_at_exactly_the_chat_share(tmp_path):
    """Different slots of one day, booked at once: the day's count is serialised too."""
    path = tmp_path / "k.db"
    CallbackStore(path)
    hours = replace(SMALL, windows={"tue": (parse_window("09:00-12:00"),)}, capacity=1, chat_share=50)  # 6 places
    chat_day = hours.chat_day(dt.datetime(2026, 11, 24, 9, 0, tzinfo=hours.tz))
    assert chat_day.places == 3
    barrier = threading.Barrier(6)
    results: list = [None] * 6

    def attempt(n):
        store = CallbackStore(path, timeout=30)
        slot = dt.datetime(2026, 11, 24, 9, 0, tzinfo=hours.tz) + dt.timedelta(minutes=30 * n)
        barrier.wait()
        try:
            results[n] = store.book("nyborg", slot, 1, f"B {n}", f"+45 31 00 00 0{n}", chat_day=chat_day).reference
        except ChatPlacesFull:
            results[n] = "chat full"

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("chat full") == 3 and CallbackStore(path).booked_on("nyborg", chat_day) == 3


# --- the booking flow: pseudonym, refusals in Danish, the listing ----------------------------------


@pytest.mark.parametrize(
    "value",
    ["0123456789ABCDEF", "0123456789abcde", "0123456789abcdef0", "0123456789abcdeg", " 0123456789abcdef", 12, [], {}],
)
def test_anything_but_sixteen_lower_case_hex_characters_is_no_client(value, caplog):
    with caplog.at_level(logging.WARNING, logger="bot.chat.booking"):
        assert client_pseudonym(value) is None
    assert "not 16 lower-case hex" in caplog.text
    if isinstance(value, str):
        assert value.strip() not in caplog.text  # never the value itself


def test_a_pseudonym_passes_and_none_is_unknown():
    assert client_pseudonym(CLIENT) == CLIENT and client_pseudonym(None) is None


@pytest.fixture
def flow(knowledge, tmp_path):
    return CallbackFlow(
        knowledge, Responder(knowledge), CallbackStore(tmp_path / "k.db"), per_address=AddressLimit(2, 10, 86400)
    )


def _slots(flow, m, count=3):
    return [dt.datetime.fromisoformat(b["payload"]) for b in flow.slot_question(m, NOW).buttons[:count]]


def test_the_flow_refuses_a_third_booking_from_one_address_and_offers_the_phone(flow, knowledge, caplog):
    m = knowledge.municipalities["guldborgsund"]
    assert m.phone_number and "phone" not in m.unverified
    results = [
        flow.book(m, s, "Karen Hansen", f"+45 20 30 40 5{i}", None, None, f"sender-{i}", now=NOW, client=CLIENT)
        for i, s in enumerate(_slots(flow, m))
    ]
    assert [r.status for r in results] == [BOOKED, BOOKED, REFUSED]
    text = results[2].text
    assert "internetforbindelse" in text and f"Ring på {m.phone_number}" in text and "medarbejder" in text
    assert CLIENT not in caplog.text and "too many active bookings per address" in caplog.text
    # A refusal is no booking: nothing journaled for it.
    assert [e["action"] for e in flow.store.events()] == ["booked", "booked"]
    # Without a phone number we can vouch for, the refusal points to the website.
    nyborg = knowledge.municipalities["nyborg"]
    refused = flow.book(
        nyborg, _slots(flow, nyborg)[0], "Bo Ek", "+45 21 30 40 50", None, None, "sender-x", now=NOW, client=CLIENT
    )
    assert refused.status == REFUSED and nyborg.website_url in refused.text and "internetforbindelse" in refused.text


def test_a_forged_client_value_is_stored_as_unknown(flow, knowledge, tmp_path):
    m = knowledge.municipalities["glostrup"]
    booked = flow.book(
        m, _slots(flow, m)[0], "Karen Hansen", "+45 20 30 40 50", None, None, "s", now=NOW, client="1' OR '1'='1"
    )
    assert booked.status == BOOKED
    with sqlite3.connect(tmp_path / "k.db") as conn:
        assert conn.execute("SELECT client FROM callbacks").fetchall() == [(None,)]
    conn.close()


def test_refusal_texts_in_english_offer_the_phone_too(knowledge):
    responder = Responder(knowledge)
    m = knowledge.municipalities["guldborgsund"]
    for key in ("too_many_bookings_address", "no_chat_places"):
        danish, english = responder.message(key, m), responder.message(key, m, language="en")
        assert m.phone_number in danish and m.phone_number in english and danish != english
    assert "call on" in responder.message("too_many_bookings_address", m, language="en")


def _small(knowledge, key="glostrup"):
    return replace(knowledge.municipalities[key], callback_hours=SMALL)


def test_the_listing_says_when_only_staff_places_are_left(flow, knowledge):
    m = _small(knowledge)
    now = dt.datetime(2026, 11, 24, 6, 0, tzinfo=dt.timezone.utc)  # Tuesday morning; Wednesday too is in range
    offered = [dt.datetime.fromisoformat(b["payload"]) for b in flow.slot_question(m, now).buttons[:-1]]
    assert [s.date() for s in offered] == [dt.date(2026, 11, 24)] * 2 + [dt.date(2026, 11, 25)]
    tuesday = offered[:2]
    for i, s in enumerate([tuesday[0], tuesday[1]]):
        assert flow.book(m, s, "Karen Hansen", f"+45 20 30 40 6{i}", None, None, f"t{i}", now=now).status == BOOKED
    # Tuesday's chat places are booked: Tuesday's free staff places are not offered, Wednesday's are.
    offered = [dt.datetime.fromisoformat(b["payload"]) for b in flow.slot_question(m, now).buttons[:-1]]
    assert offered and all(s.date() == dt.date(2026, 11, 25) for s in offered)
    assert flow.check_slot(tuesday[0].isoformat(), m, now).error.startswith("Den tid blev netop optaget")
    # A race: the slot was offered before the day's chat places went. Another time is offered.
    late = flow.book(m, tuesday[1], "Bo Ek", "+45 21 30 40 50", None, None, "late", now=now)
    assert late.status == SLOT_TAKEN and "optaget" in late.text
    for i, s in enumerate(offered[:2]):
        assert flow.book(m, s, "Karen Hansen", f"+45 22 30 40 6{i}", None, None, f"w{i}", now=now).status == BOOKED
    reply = flow.slot_question(m, now)
    assert not reply.buttons and "medarbejderne har stadig tider til borgere, der ringer" in reply.text
    assert m.phone_number in reply.text
    # Staff fill the rest: now there is nothing at all.
    for s in [*tuesday, *offered[:2]]:
        flow.store.book(m.key, s, 2, "Staff", "+45 40 40 40 40")
    assert flow.slot_question(m, now).text.startswith("Der er desværre ingen ledige tider")


# --- knowledge validation ------------------------------------------------------------------------


def test_default_chat_share_is_in_the_real_knowledge(knowledge):
    assert all(m.callback_hours.chat_share == 75 for m in knowledge.municipalities.values() if m.callback_hours)


@pytest.mark.parametrize("value", ["0", "101", "'halvdelen'", "-5"])
def test_a_bad_chat_share_names_the_file_and_field(kdir, value):  # noqa: F811
    edit(kdir / "national" / "callbacks.yml", "chat_share: 75", f"chat_share: {value}")
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(kdir)
    (problem,) = [p for p in info.value.problems if "chat_share" in p.field]
    assert problem.file.endswith("national/callbacks.yml") and problem.field == "callbacks.chat_share"
    assert problem.line


def test_a_municipality_may_set_its_own_chat_share(kdir):  # noqa: F811
    path = kdir / "municipalities" / "nyborg.yml"
    path.write_text(path.read_text(encoding="utf-8") + "callbacks:\n  chat_share: 60\n", encoding="utf-8")
    loaded = load_knowledge(kdir)
    assert loaded.municipalities["nyborg"].callback_hours.chat_share == 60
    assert loaded.municipalities["glostrup"].callback_hours.chat_share == 75


# --- the schema: an existing database gets the column --------------------------------------------


def test_a_database_at_the_previous_revision_gets_the_client_column(tmp_path):
    from alembic import command

    from bot.records import migrations
    from bot.records.database import Database

    path = tmp_path / "old.db"
    db = Database(path)
    with db.begin() as conn:
        command.upgrade(migrations._config(conn), "0002")
        conn.exec_driver_sql(
            "INSERT INTO callbacks (reference, municipality, name, phone, slot, status, created, updated)"
            " VALUES ('CB-2026-000001', 'nyborg', 'Karen', '+4520304050', '2026-11-24T08:00:00+00:00', 'booked',"
            " '2026-11-20T08:00:00+00:00', '2026-11-20T08:00:00+00:00')"
        )
    db.dispose()
    store = Casework(path)
    assert store.same_address([store.get("CB-2026-000001")]) == {}  # an older booking: address unknown
    assert _book(store, 1).status == "booked"
    with sqlite3.connect(path) as conn:
        indexes = {row[1] for row in conn.execute("PRAGMA index_list(callbacks)")}
        assert "callbacks_client" in indexes
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (migrations.head(),)
    conn.close()


# --- what caseworkers see ------------------------------------------------------------------------


def test_caseworkers_get_the_bookings_from_the_same_address_never_the_pseudonym(tmp_path):
    work = Casework(tmp_path / "k.db")
    mine = [_book(work, n) for n in range(3)]
    alone = _book(work, 10, client=OTHER)
    unknown = _book(work, 11, client=None)
    elsewhere = work.book("glostrup", _slot(12), 5, "G", "+45 50 50 50 50", client=CLIENT)
    work.cancel(mine[2].reference, conversation_id=mine[2].conversation_id)
    shown = [work.get(cb.reference) for cb in (*mine, alone, unknown, elsewhere)]
    same = work.same_address(shown)
    refs = [cb.reference for cb in mine]
    # Active ones from the same address in the same municipality; a closed one lists itself and the active ones.
    assert same[refs[0]] == same[refs[1]] == refs[:2]
    assert same[refs[2]] == refs
    assert same[alone.reference] == [alone.reference] and same[elsewhere.reference] == [elsewhere.reference]
    assert unknown.reference not in same
    assert CLIENT not in str(same) and not hasattr(shown[0], "client")


# --- the action reads the pseudonym from the latest message's metadata ----------------------------


def _booking_tracker(sender: str, slot: str, phone: str, metadata: dict):
    from rasa_sdk import Tracker

    slots = {
        "kommune": None,
        "topic": "pas",
        "sensitive_category": None,
        "cb_name": "Karen Hansen",
        "cb_phone": phone,
        "cb_topic_ok": True,
        "cb_slot": slot,
    }
    message = {"text": slot, "intent": {"name": "inform", "confidence": 1.0}, "metadata": metadata}
    return Tracker(sender, slots, message, [], False, None, {"name": "callback_form"}, "action_listen")


def test_the_booking_action_passes_the_metadata_client_to_the_store(runtime_env, monkeypatch):
    from rasa_sdk.executor import CollectingDispatcher

    from actions.callback_form import BookCallback
    from bot.chat import runtime
    from tests.conftest import run_async

    monkeypatch.setenv("KOMMUNEBOT_MAX_BOOKINGS_ADDRESS", "1")
    runtime.reset()
    flow = runtime.get_booking()
    assert flow.per_address == AddressLimit(1, 12, 86400)
    m = runtime.get_assistant().municipality("nyborg")
    now = dt.datetime.now(dt.timezone.utc)
    slots = [b["payload"] for b in flow.slot_question(m, now).buttons[:3]]
    said = []
    for sender, slot, phone, metadata in (
        ("sender-a", slots[0], "+45 20 30 40 50", {"client": CLIENT}),
        ("sender-b", slots[1], "+45 21 30 40 50", {"client": CLIENT}),
        ("sender-c", slots[2], "+45 22 30 40 50", {"client": "NOT-A-PSEUDONYM"}),
    ):
        dispatcher = CollectingDispatcher()
        run_async(BookCallback().run(dispatcher, _booking_tracker(sender, slot, phone, metadata), {}))
        said.append(dispatcher.messages[0]["text"])
    assert said[0].startswith("Tak, Karen") and said[2].startswith("Tak, Karen")
    assert "internetforbindelse" in said[1] and "Ring til Nyborg Kommune" in said[1]
    with sqlite3.connect(runtime_env / "kommunebot.db") as conn:
        stored = conn.execute("SELECT conversation_id, client FROM callbacks ORDER BY id").fetchall()
    conn.close()
    assert stored == [("sender-a", CLIENT), ("sender-c", None)]


def test_the_address_settings_and_their_defaults():
    from bot.settings import SettingError, Settings

    defaults = Settings.load({})
    assert (defaults.max_bookings_address, defaults.rate_bookings_address) == (8, (12, 86400))
    assert Settings.load({"KOMMUNEBOT_RATE_BOOKINGS_ADDRESS": "3/3600"}).rate_bookings_address == (3, 3600)
    with pytest.raises(SettingError, match="KOMMUNEBOT_RATE_BOOKINGS_ADDRESS"):
        Settings.load({"KOMMUNEBOT_RATE_BOOKINGS_ADDRESS": "tolv om dagen"})
    with pytest.raises(SettingError, match="KOMMUNEBOT_MAX_BOOKINGS_ADDRESS"):
        Settings.load({"KOMMUNEBOT_MAX_BOOKINGS_ADDRESS": "otte"})
