"""A new time after "Intet svar" (issue 28 item 4): the same reference, the
booking's slot rules and capacity, journaled with the old and the new time."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.callbacks.casework import Casework, InvalidChange, VersionConflict

# Monday 23 November 2026, 11.00 local time.
NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def work(tmp_path):
    return Casework(tmp_path / "kommunebot.db")


@pytest.fixture
def hours(knowledge):
    return knowledge.municipalities["nyborg"].callback_hours  # capacity 2, two hours' notice


def no_answer(work, name="Karen Jensen"):
    cb = work.book("nyborg", NOW + dt.timedelta(hours=2), 2, name, "+45 20 30 40 50", "pas", "case", "conv")
    taken = work.take(cb.reference, cb.version, "anna")
    return work.change_status(cb.reference, taken.version, "no_answer", "anna", "Tog ikke telefonen.")


def test_a_new_time_keeps_the_reference_and_books_it_again(work, hours):
    cb = no_answer(work)
    slot = work.free_slots("nyborg", hours, NOW)[3]
    moved = work.reschedule(cb.reference, cb.version, slot, "anna", hours, NOW)
    assert (moved.reference, moved.status, moved.slot, moved.attempts) == (cb.reference, "booked", slot, 1)
    assert moved.version == cb.version + 1 and moved.assigned_to == "anna"
    rescheduled, status = work.events(cb.reference)[-2:]
    assert (rescheduled["action"], rescheduled["actor"]) == ("rescheduled", "anna")
    assert dt.datetime.fromisoformat(rescheduled["details"]["from"]) == cb.slot
    assert dt.datetime.fromisoformat(rescheduled["details"]["to"]) == slot
    assert status["details"] == {"from": "no_answer", "to": "booked"}


@pytest.mark.parametrize("status", ["booked", "in_progress", "completed"])
def test_only_after_no_answer(work, hours, status):
    cb = work.book("nyborg", NOW + dt.timedelta(hours=2), 2, "Bo", "+45 20 30 40 51", "pas", None, "c2")
    if status != "booked":
        cb = work.take(cb.reference, cb.version, "anna")
    if status == "completed":
        cb = work.change_status(cb.reference, cb.version, "completed", "anna", "Klaret.")
    slot = work.free_slots("nyborg", hours, NOW)[0]
    with pytest.raises(InvalidChange) as refused:
        work.reschedule(cb.reference, cb.version, slot, "anna", hours, NOW)
    assert refused.value.reason == "reschedule_not_allowed"


@pytest.mark.parametrize(
    "slot",
    [
        dt.datetime(2026, 11, 23, 10, 15, tzinfo=dt.timezone.utc),  # 11.15 today: less than two hours' notice
        dt.datetime(2026, 11, 24, 5, 0, tzinfo=dt.timezone.utc),  # 06.00: outside the callback hours
        dt.datetime(2026, 12, 25, 9, 0, tzinfo=dt.timezone.utc),  # Christmas Day
        dt.datetime(2026, 11, 24, 9, 7, tzinfo=dt.timezone.utc),  # not a slot start
        dt.datetime(2026, 11, 24, 9, 0),  # no time zone
    ],
)
def test_a_time_the_booking_would_not_offer_is_refused(work, hours, slot):
    cb = no_answer(work)
    with pytest.raises(InvalidChange) as refused:
        work.reschedule(cb.reference, cb.version, slot, "anna", hours, NOW)
    assert refused.value.reason == "slot_unavailable"
    assert work.get(cb.reference).status == "no_answer"


def test_a_full_time_is_neither_offered_nor_taken(work, hours):
    cb = no_answer(work)
    full = work.free_slots("nyborg", hours, NOW)[0]
    for i in range(hours.capacity - work.booked_count("nyborg", full)):
        work.book("nyborg", full, hours.capacity, f"Borger {i}", f"+45 20 30 40 6{i}", None, None, f"x{i}")
    assert full not in work.free_slots("nyborg", hours, NOW)
    with pytest.raises(InvalidChange) as refused:
        work.reschedule(cb.reference, cb.version, full, "anna", hours, NOW)
    assert refused.value.reason == "slot_unavailable"


def test_staff_may_use_the_places_kept_from_the_chat(work, hours):
    """The chat may book 75 % of a day's places; a caseworker's new time may use the rest."""
    from bot.records.database import storage_time

    tuesday = [s for s in hours.slot_starts(NOW) if s.date() == dt.date(2026, 11, 24)]
    share = hours.chat_day(tuesday[0]).places
    for i in range(share):
        slot = tuesday[i // hours.capacity]
        work.book("nyborg", slot, hours.capacity, f"Borger {i}", f"+45 20 30 {i:02d} 00", None, None, f"t{i}")
    counts = work.booked_counts("nyborg", NOW)
    chat = hours.free_slots(
        NOW, lambda s: counts.get(storage_time(s), 0), 200, None, lambda d: work.booked_on("nyborg", d)
    )
    staff = work.free_slots("nyborg", hours, NOW, count=200)
    assert not [s for s in chat if s in tuesday]
    assert [s for s in staff if s in tuesday] == tuesday[share // hours.capacity :]


def test_a_stale_form_is_refused(work, hours):
    cb = no_answer(work)
    work.add_note(cb.reference, "bo", "Notater ændrer ikke versionen.")
    work.assign(cb.reference, cb.version, "bo", "bo")
    slot = work.free_slots("nyborg", hours, NOW)[0]
    with pytest.raises(VersionConflict):
        work.reschedule(cb.reference, cb.version, slot, "anna", hours, NOW)
