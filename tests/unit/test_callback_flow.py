"""Booking steps and the sensitive reply, with the real knowledge and SQLite."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from bot.callbacks.store import CallbackStore
from bot.chat.answers import Responder
from bot.chat.booking import BOOKED, MORE, REFUSED, SLOT_TAKEN, CallbackFlow
from bot.chat.conversation import Assistant, Turn
from bot.chat.sensitive import Detection

NOW = dt.datetime(2026, 11, 23, 6, 0, tzinfo=dt.timezone.utc)  # a Monday morning


@pytest.fixture
def flow(knowledge, tmp_path):
    return CallbackFlow(knowledge, Responder(knowledge), CallbackStore(tmp_path / "k.db"))


def test_privacy_sentence_comes_before_the_first_question(flow, knowledge):
    text = flow.ask_name(knowledge.municipalities["nyborg"])
    assert "sletter dem senest 30 dage efter" in text and text.endswith("Hvad er dit navn?")


@pytest.mark.parametrize("name", ["Karen Hansen", "Jens-Ole Ærø", "O'Neil", "Bo"])
def test_names_accepted(flow, knowledge, name):
    assert flow.check_name(name, knowledge.municipalities["nyborg"]).value == name


@pytest.mark.parametrize("name", ["", "1234", "K", "[CPR-nummer fjernet]", "karen@example.dk", "x" * 90])
def test_names_refused_in_danish(flow, knowledge, name):
    check = flow.check_name(name, knowledge.municipalities["nyborg"])
    assert check.value is None and "navn" in check.error


def test_phone_validation(flow, knowledge):
    m = knowledge.municipalities["nyborg"]
    assert flow.check_phone("+45 20 30 40 50", m).value == "+45 20 30 40 50"
    assert "dansk telefonnummer" in flow.check_phone("1234", m).error


def test_slot_offer_more_and_validation(flow, knowledge):
    m = knowledge.municipalities["glostrup"]
    first = flow.slot_question(m, NOW)
    payloads = [b["payload"] for b in first.buttons]
    assert len(payloads) == 4 and payloads[-1] == MORE
    later = flow.slot_question(m, NOW, after=dt.datetime.fromisoformat(payloads[2]))
    assert later.buttons[0]["payload"] > payloads[2]
    assert flow.check_slot(payloads[0], m, NOW).value == dt.datetime.fromisoformat(payloads[0])
    assert flow.check_slot("andre tider", m, NOW).value == MORE
    assert flow.check_slot("i morgen", m, NOW).error
    # A time outside the callback hours or in the past is refused.
    assert flow.check_slot("2026-11-23T02:00:00+01:00", m, NOW).error
    assert flow.check_slot("2026-11-20T09:00:00+01:00", m, NOW).error


def test_holiday_is_never_offered(flow, knowledge):
    m = knowledge.municipalities["nyborg"]
    christmas_eve = dt.datetime(2026, 12, 23, 16, 0, tzinfo=dt.timezone.utc)
    days = {dt.datetime.fromisoformat(b["payload"]).date() for b in flow.slot_question(m, christmas_eve).buttons[:-1]}
    assert days and all(d >= dt.date(2026, 12, 28) for d in days)  # 24th closed, 25th-26th holidays, 27th Sunday


def test_booking_taken_slot_and_cancel(flow, knowledge):
    m = knowledge.municipalities["nyborg"]
    slot = dt.datetime.fromisoformat(flow.slot_question(m, NOW).buttons[0]["payload"])
    replies = [
        flow.book(m, slot, f"Borger {'ABC'[i]}", f"+45 20 30 40 5{i}", "pas", None, f"c{i}", now=NOW) for i in range(3)
    ]
    assert replies[0].outcome == "callback" and "CB-" in replies[0].text and "kl." in replies[0].text
    # What happens when the citizen does not answer (issue 28 item 4).
    assert "Tager du ikke telefonen, prøver vi at ringe igen senere." in replies[0].text
    assert replies[1].outcome == "callback"
    assert replies[2].status == SLOT_TAKEN and replies[2].outcome is None  # capacity 2
    assert flow.check_slot(slot.isoformat(), m, NOW).error
    reference = replies[0].text.split("bookingnummer er ")[1].split(".")[0]
    # Another conversation is asked for the phone's last four digits (tests/unit/test_cancel_anywhere.py).
    assert "sidste 4 cifre" in flow.cancel(f"aflys {reference}", m, "someone-else").text
    assert "er aflyst" in flow.cancel(f"aflys {reference.lower()}", m, "c0").text
    assert "CB-2026-000123" in flow.cancel("aflys min tid", m, "c0").text


def test_storage_failure_is_told_plainly(flow, knowledge, tmp_path, caplog):
    m = knowledge.municipalities["guldborgsund"]
    for name in ("k.db", "k.db-wal", "k.db-shm"):  # deleted under the running server
        (tmp_path / name).unlink(missing_ok=True)
    reply = flow.book(
        m, dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.timezone.utc), "Anna", "+45 20 30 40 50", None, None, "c", now=NOW
    )
    assert "teknisk fejl" in reply.text and "54 73 10 00" in reply.text and reply.outcome is None
    assert f"database {tmp_path / 'k.db'}" in caplog.text  # the log says which database failed
    assert not (tmp_path / "k.db").exists()  # an error, never a new empty database


def test_sensitive_reply_never_repeats_and_offers_callback(knowledge):
    assistant = Assistant(knowledge, None, "nyborg")
    turn = Turn(intent="personal_matter", municipality="nyborg", redacted={"cpr": 1})
    result = assistant.sensitive(turn, Detection("health", "Helbred", False, "terms"))
    text = result.reply.text
    assert "ikke er en sikker kanal" in text and "fjernet dit CPR-nummer" in text
    assert [b["payload"] for b in result.reply.buttons] == ["/callback_request", "/deny"]
    assert result.slots["sensitive_category"] == "health" and result.reply.outcome is None
    urgent = assistant.sensitive(replace(turn, redacted={}), Detection("suicide", "Selvmordstanker", True, "terms"))
    assert urgent.reply.text.startswith("Er du eller en anden i akut fare, så ring 112 nu.")
    assert urgent.reply.outcome == "emergency" and "CPR" not in urgent.reply.text


def _free_slot(flow, m):
    return dt.datetime.fromisoformat(flow.slot_question(m, NOW).buttons[0]["payload"])


@pytest.mark.parametrize(
    "name,phone,reply",
    [
        ("[CPR-nummer fjernet]", "+45 20 30 40 50", "navn"),
        ("Karen 010190-1234", "+45 20 30 40 50", "navn"),
        ("x" * 200, "+45 20 30 40 50", "navn"),
        ("Karen Hansen", "112", "dansk telefonnummer"),
        ("Karen Hansen", "<script>", "dansk telefonnummer"),
    ],
)
def test_forged_tracker_values_are_checked_again(flow, knowledge, name, phone, reply):
    """The action server gets its slots from the tracker; a forged call can
    put anything there, so booking validates every value once more."""
    m = knowledge.municipalities["nyborg"]
    booking = flow.book(m, _free_slot(flow, m), name, phone, "pas", None, "c1", now=NOW)
    assert booking.status == REFUSED and reply in booking.text and booking.reference is None
    assert flow.store.booked_counts("nyborg", NOW) == {}


def test_a_slot_that_cannot_be_booked_is_refused(flow, knowledge):
    m = knowledge.municipalities["nyborg"]
    sunday_night = dt.datetime(2026, 11, 29, 23, 0, tzinfo=dt.timezone.utc)
    past = NOW - dt.timedelta(days=1)
    for slot in (sunday_night, past, _free_slot(flow, m).replace(tzinfo=None)):
        booking = flow.book(m, slot, "Karen Hansen", "+45 20 30 40 50", "pas", None, "c1", now=NOW)
        assert booking.status in (REFUSED, SLOT_TAKEN) and booking.reference is None
    assert flow.store.booked_counts("nyborg", NOW - dt.timedelta(days=2)) == {}


def test_a_retry_returns_the_booking_it_already_has(flow, knowledge):
    m = knowledge.municipalities["nyborg"]
    slot = _free_slot(flow, m)
    first = flow.book(m, slot, "Karen Hansen", "+45 20 30 40 50", "pas", None, "c1", now=NOW)
    again = flow.book(m, slot, "Karen Hansen", "+45 20 30 40 50", "pas", None, "c1", now=NOW)
    assert first.status == again.status == BOOKED and first.reference == again.reference
    assert flow.store.booked_count("nyborg", slot) == 1


def test_bookings_are_capped_per_phone_and_per_conversation(flow, knowledge):
    m = knowledge.municipalities["glostrup"]
    slots = [dt.datetime.fromisoformat(b["payload"]) for b in flow.slot_question(m, NOW).buttons[:3]]
    booked = [
        flow.book(m, s, "Karen Hansen", "+45 20 30 40 50", None, None, f"c{i}", now=NOW) for i, s in enumerate(slots)
    ]
    assert [b.status for b in booked] == [BOOKED, BOOKED, REFUSED]  # the same phone from three conversations
    assert "allerede 2 bestilte opkald" in booked[2].text
    other = [
        flow.book(m, s, "Bo Ek", f"+45 21 30 40 5{i}", None, None, "one-chat", now=NOW) for i, s in enumerate(slots)
    ]
    assert [b.status for b in other] == [BOOKED, BOOKED, REFUSED]  # one conversation, three phones


def test_a_case_matters_booking_keeps_its_errand_and_category(flow, knowledge):
    """The caseworker sees the errand and that it is the citizen's own case."""
    m = knowledge.municipalities["nyborg"]
    assert "boligstøtte" in flow.ask_topic("boligstoette", "case", m).text
    assert knowledge.case_signals.label.lower() in flow.ask_topic(None, "case", m).text
    booking = flow.book(
        m, _free_slot(flow, m), "Karen Hansen", "+45 20 30 40 59", "boligstoette", "case", "c9", now=NOW
    )
    assert booking.outcome == "callback"
    stored = flow.store.get(booking.reference)
    assert (stored.topic, stored.category) == ("boligstoette", "case")
