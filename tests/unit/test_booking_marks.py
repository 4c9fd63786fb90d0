"""Only a stored booking is marked as one (issue 27): the widget draws its
"Din opringning er bestilt" card from the action's custom payload, never
from a reference in the text, so a cancellation, a "which number?" question,
a "not found" or a refused booking never look like a booking."""

from __future__ import annotations

import datetime as dt

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.callback_form import BookCallback, CancelCallback
from bot.chat import runtime
from tests.conftest import run_async
from tests.unit.test_booking_caps import _booking_tracker


def _run(action, tracker) -> dict:
    dispatcher = CollectingDispatcher()
    run_async(action.run(dispatcher, tracker, {}))
    (message,) = dispatcher.messages
    return message


def _cancel_tracker(sender: str, text: str) -> Tracker:
    message = {"text": text, "intent": {"name": "cancel_callback", "confidence": 1.0}, "metadata": {}}
    return Tracker(sender, {"kommune": None}, message, [], False, None, {}, "action_listen")


def test_only_a_stored_booking_and_a_done_cancellation_are_marked(runtime_env):
    m = runtime.get_assistant().municipality("nyborg")
    slot = runtime.get_booking().slot_question(m, dt.datetime.now(dt.timezone.utc)).buttons[0]["payload"]

    booked = _run(BookCallback(), _booking_tracker("booker", slot, "+45 20 30 40 50", {}))
    reference = booked["custom"]["reference"]
    assert booked["custom"] == {"event": "callback_booked", "reference": reference} and reference in booked["text"]

    refused = _run(BookCallback(), _booking_tracker("booker", slot, "ikke et nummer", {}))
    assert refused["custom"] == {} and refused["text"]

    # Asked for the reference, a reference of another conversation, a reference that does not exist.
    asked = (("booker", "aflys"), ("someone-else", f"aflys {reference}"), ("booker", "aflys CB-2020-000001"))
    for sender, text in asked:
        reply = _run(CancelCallback(), _cancel_tracker(sender, text))
        # No booking event; another conversation's (or nobody's) reference asks for the digits (issue 27).
        assert "event" not in reply["custom"], (text, reply)
        assert "CB-" in reply["text"]  # the texts that looked like bookings to the widget before
    cancelled = _run(CancelCallback(), _cancel_tracker("booker", f"aflys {reference}"))
    assert cancelled["custom"] == {"event": "callback_cancelled", "reference": reference}


def test_nej_noget_andet_books_with_the_other_topic_and_keeps_the_reason(runtime_env):
    import sqlite3

    m = runtime.get_assistant().municipality("nyborg")
    slot = runtime.get_booking().slot_question(m, dt.datetime.now(dt.timezone.utc)).buttons[0]["payload"]
    tracker = _booking_tracker("other", slot, "+45 20 30 40 51", {})
    tracker.slots.update(cb_topic_ok=False, sensitive_category="health")
    assert _run(BookCallback(), tracker)["custom"]["event"] == "callback_booked"
    with sqlite3.connect(runtime_env / "kommunebot.db") as conn:
        stored = conn.execute("SELECT topic, category FROM callbacks").fetchall()
    conn.close()
    assert stored == [("andet", "health")]


def test_the_name_and_phone_questions_say_what_they_ask_for(runtime_env):
    from actions.callback_form import AskName, AskPhone
    from glue.turn import client_mark

    tracker = _cancel_tracker("asker", "ring mig op")
    assert client_mark(_run(AskName(), tracker)["custom"]) == {"expects": "name"}
    assert client_mark(_run(AskPhone(), tracker)["custom"]) == {"expects": "tel"}
    assert client_mark({"expects": "cpr", "lang": "en"}) == {"lang": "en"}  # only the listed values pass
