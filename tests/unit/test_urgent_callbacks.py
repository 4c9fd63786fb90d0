"""Issue 27, item 7: an urgent callback gets today's earliest free time, or a
same-day line that never invents a phone number; configurable per municipality."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from bot.callbacks.hours import CallbackHours, parse_window
from bot.callbacks.store import CallbackStore
from bot.chat.answers import Responder
from bot.chat.booking import BOOKED, CallbackFlow
from bot.chat.sensitive import SensitiveDetector
from bot.knowledge.model import DEFAULT_URGENT_CALLBACKS
from bot.settings import PROJECT_ROOT

# Two places a day, half of them the chat's: one chat place a day.
TINY = CallbackHours(
    windows={d: (parse_window("09:00-10:00"),) for d in ("mon", "tue", "wed", "thu", "fri")},
    slot_minutes=30,
    capacity=1,
    min_notice_minutes=60,
    days_ahead=3,
    chat_share=50,
)
TUESDAY_MORNING = dt.datetime(2026, 11, 24, 6, 0, tzinfo=dt.timezone.utc)  # 07.00 in Denmark


@pytest.fixture
def flow(knowledge, tmp_path):
    return CallbackFlow(knowledge, Responder(knowledge), CallbackStore(tmp_path / "k.db"))


def _offered(reply) -> list[dt.datetime]:
    return [dt.datetime.fromisoformat(b["payload"]) for b in reply.buttons[:-1]]


def test_the_default_urgent_categories(knowledge):
    assert set(DEFAULT_URGENT_CALLBACKS) == {"basic_needs", "child_worry", "violence", "urgent"}
    assert all(k in knowledge.sensitive for k in ("basic_needs", "child_worry", "violence"))
    assert knowledge.municipalities["nyborg"].urgent_callbacks == DEFAULT_URGENT_CALLBACKS


def test_eviction_and_no_money_for_food_are_basic_needs(knowledge):
    detector = SensitiveDetector(knowledge.sensitive, PROJECT_ROOT / "build" / "spacy-da")
    for text in ("jeg har fået brev fra fogeden og bliver sat ud", "jeg har ikke råd til mad til børnene"):
        found = detector.match_terms(text)
        assert found is not None and found.key == "basic_needs", text
    assert detector.match_terms("jeg har gæld til inkasso").key == "economy"


def test_an_eviction_gets_todays_time_the_chat_share_left_to_staff(flow, knowledge):
    m = replace(knowledge.municipalities["glostrup"], callback_hours=TINY)
    today = TUESDAY_MORNING.astimezone(TINY.tz).date()
    # Today's one chat place is taken: an ordinary callback waits for tomorrow.
    first = _offered(flow.slot_question(m, TUESDAY_MORNING))[0]
    assert flow.book(m, first, "Karen Hansen", "+45 20 30 40 50", None, None, "a", now=TUESDAY_MORNING).status == BOOKED
    assert all(s.date() > today for s in _offered(flow.slot_question(m, TUESDAY_MORNING)))
    # An eviction is offered today's free place, the earliest first, and can book it.
    urgent = flow.slot_question(m, TUESDAY_MORNING, category="basic_needs")
    slots = _offered(urgent)
    assert slots and all(s.date() == today for s in slots) and slots == sorted(slots)
    assert flow.check_slot(slots[0].isoformat(), m, TUESDAY_MORNING, "basic_needs").value == slots[0]
    assert flow.check_slot(slots[0].isoformat(), m, TUESDAY_MORNING).error  # not for an ordinary callback
    booked = flow.book(m, slots[0], "Bo Ek", "+45 21 30 40 50", None, "basic_needs", "b", now=TUESDAY_MORNING)
    assert booked.status == BOOKED


def test_no_time_today_gives_the_same_day_line_without_a_number_never_verified(flow, knowledge):
    nyborg = knowledge.municipalities["nyborg"]
    assert nyborg.phone_number is None
    m = replace(nyborg, callback_hours=TINY)
    evening = dt.datetime(2026, 11, 24, 17, 0, tzinfo=dt.timezone.utc)  # today's window is over
    reply = flow.slot_question(m, evening, category="child_worry")
    assert reply.text.startswith("Det haster, og der er ingen ledig tid i dag.")
    assert "hovednummeret, som står på https://www.nyborg.dk" in reply.text and "Borgerservice" in reply.text
    assert "Ring til kommunen i dag på" not in reply.text
    assert _offered(reply)  # the later times follow
    # A verified number is given.
    glostrup = replace(knowledge.municipalities["glostrup"], callback_hours=TINY)
    text = flow.slot_question(glostrup, evening, category="violence").text
    assert f"Ring til kommunen i dag på {glostrup.phone_number}" in text
    # An ordinary callback gets no such line.
    assert not flow.slot_question(m, evening, category="economy").text.startswith("Det haster")


def test_a_municipality_chooses_its_urgent_categories_and_line(flow, knowledge):
    m = replace(
        knowledge.municipalities["nyborg"],
        callback_hours=TINY,
        urgent_callbacks=("economy",),
        same_day="Ring i dag til {{ kommune.name }}s akuttelefon.",
    )
    evening = dt.datetime(2026, 11, 24, 17, 0, tzinfo=dt.timezone.utc)
    assert flow.slot_question(m, evening, category="economy").text.startswith(
        "Ring i dag til Nyborg Kommunes akuttelefon."
    )
    assert not flow.slot_question(m, evening, category="basic_needs").text.startswith("Ring i dag")
    # A sensitive category marked urgent (112) always counts.
    assert flow.is_urgent("child_danger", m)


def test_the_municipality_file_configures_urgency(kdir):  # noqa: F811
    from bot.knowledge.loader import load_knowledge

    path = kdir / "municipalities" / "nyborg.yml"
    path.write_text(
        path.read_text()
        + "urgent_callbacks:\n  categories: [basic_needs, economy]\n  same_day: Ring i dag til Borgerservice.\n"
    )
    m = load_knowledge(kdir).municipalities["nyborg"]
    assert m.urgent_callbacks == ("basic_needs", "economy") and m.same_day == "Ring i dag til Borgerservice."
